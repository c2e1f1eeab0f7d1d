r"""``seos.batch_moments``: the minibatch selection moments of Lemma A.1 (App. A.1)."""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.common import EXACT_RTOL, SGDInstance, exact_finding, sgd_search
from theorylab.claims.seos.paper import cite
from theorylab.derivations import judge_derivation
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.noise_kernel import enumerated_selection_moment, minibatch_selection_moment
from theorylab.spec import CheckKind, Counterexample, Finding

__all__ = ["BATCH_MOMENTS", "batch_moment_search"]

(BATCH_MOMENTS,) = CATALOG.add_specs(__file__, cite)


@CATALOG.check(
    BATCH_MOMENTS,
    kind=CheckKind.SYMBOLIC,
    description="Lemma A.1 by enumerating "
    "every batch with a symbolic M (exact rationals), D = 3, 4",
)
def lemma_a1_symbolic(context: CheckContext) -> Finding:
    """All ``C(D, B)`` batches summed symbolically."""
    from theorylab.proofs.seos.batch_moments import batch_moment_steps

    cases = [(3, 1), (3, 2), (4, 2)] + ([(5, 2), (5, 3)] if context.full else [])
    steps = [step for size, batch in cases for step in batch_moment_steps(size, batch)]
    return judge_derivation(steps, cases=len(cases))


@CATALOG.check(
    BATCH_MOMENTS,
    kind=CheckKind.EXACT,
    description="closed form vs float64 enumeration, every B for D <= 7",
)
def lemma_a1_enumeration(context: CheckContext) -> Finding:
    """:func:`minibatch_selection_moment` against :func:`enumerated_selection_moment`."""
    rng = context.rng()
    worst, count = 0.0, 0
    for size in range(1, 9 if context.full else 8):
        for batch in range(1, size + 1):
            matrix = rng.standard_normal((size, size))
            gap = np.max(
                np.abs(
                    minibatch_selection_moment(matrix, batch)
                    - enumerated_selection_moment(matrix, batch)
                )
            )
            worst, count = max(worst, float(gap)), count + 1
    return exact_finding(worst, EXACT_RTOL, "E[PMP] closed form vs enumeration", instances=count)


def _moment_probe(problem: SGDInstance) -> Counterexample | None:
    ntk, batch = problem.ntk, problem.batch
    gap = float(
        np.max(
            np.abs(minibatch_selection_moment(ntk, batch) - enumerated_selection_moment(ntk, batch))
        )
    )
    if gap > EXACT_RTOL * max(1.0, float(np.abs(ntk).max())):
        return Counterexample(
            instance={"M": ntk.tolist(), "B": batch},
            claimed=0.0,
            actual=gap,
            message=f"E[PMP] differs from enumeration by {gap:.3g}",
        )
    return None


batch_moment_search = sgd_search(
    BATCH_MOMENTS,
    "selection_moment_matches_enumeration",
    "hypothesis over symmetric matrices (NTKs, any spectrum/localisation), 1<=B<=D",
    _moment_probe,
)
