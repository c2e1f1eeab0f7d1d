"""The torch checks of ``subspace.empirical`` and ``subspace.empirical.corrected``.

All four read one cached run of
:func:`theorylab.claims.subspace.empirical.experiment.run_probe_experiment` (imported lazily:
torch is optional) and are judged by :mod:`theorylab.claims.subspace.empirical.judges`.
"""

from __future__ import annotations

from typing import Any

from theorylab.claims.subspace.empirical import EMPIRICAL, EMPIRICAL_CORRECTED
from theorylab.claims.subspace.empirical.judges import (
    judge_agreement,
    judge_deficits,
    judge_probe_experiment,
    judge_timings,
)
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Finding

__all__ = ["deficit_law", "estimator_agreement", "estimator_timings", "transformer_probe"]


def _run(context: CheckContext) -> dict[str, Any]:
    from theorylab.claims.subspace.empirical.experiment import run_probe_experiment

    return run_probe_experiment(context.device, context.full, context.seed)


@CATALOG.check(EMPIRICAL, kind=CheckKind.TORCH,
               description="tiny causal transformer on a seeded Markov corpus: top-D (Lanczos; "
               "deflated power iteration compared) vs full-space Δ₂ over σ, random-frame control")
def transformer_probe(context: CheckContext) -> Finding:
    """Sec. 6, Fig. 3 at small scale (CPU quick, CUDA full)."""
    return judge_probe_experiment(_run(context)).model_copy(update={"device": context.device})


@CATALOG.check(EMPIRICAL, kind=CheckKind.TORCH,
               description="direct MC (true increment), quadratic MC and GM over σ")
def estimator_agreement(context: CheckContext) -> Finding:
    """Sec. 6, Fig. 5-6."""
    return judge_agreement(_run(context)).model_copy(update={"device": context.device})


@CATALOG.check(EMPIRICAL, kind=CheckKind.TORCH,
               description="Table 3: stage I/II/III wall times; GM vs direct MC speed-up")
def estimator_timings(context: CheckContext) -> Finding:
    """Sec. 6, Table 3."""
    return judge_timings(_run(context)).model_copy(update={"device": context.device})


@CATALOG.check(EMPIRICAL_CORRECTED, kind=CheckKind.TORCH,
               description="predicted first-order deficit vs direct MC on the true increment "
               "(common random numbers) at σ = 1e-3, for every added sample")
def deficit_law(context: CheckContext) -> Finding:
    """Compare the closed-form deficit with the measured one, sample by sample."""
    return judge_deficits(_run(context), context.device)
