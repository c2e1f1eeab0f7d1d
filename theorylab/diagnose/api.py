"""``theorylab.diagnose(model, data, ...)``: what the five papers' theorems say about a network."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import torch

from theorylab import __version__
from theorylab.errors import ParameterError
from theorylab.gpu.parameters import ParameterSelection

from .curvature import curvature_figures, curvature_quantities
from .model import SKIP_NAMES, Diagnosis, PaperDiagnosis
from .paper000 import TITLE as TITLE_000
from .paper000 import diagnose_paper000
from .paper001 import TITLE as TITLE_001
from .paper001 import diagnose_paper001
from .paper002 import TITLE as TITLE_002
from .paper002 import diagnose_paper002
from .problem import Timer, prepare_problem

__all__ = ["SKIP_NAMES", "diagnose"]


_LATER = {
    "003": ("Curvature-aligned subspaces of SGD",
            "the curvature-aligned criterion of the top-D eigenspace against a random frame "
            "(needs a next batch or stream): not computed in this version"),
    "004": ("Fisher soft rank and the generalisation gap",
            "the Fisher soft rank (exact, SLQ, KFAC), the predicted generalisation gap and the "
            "calibration check: not computed in this version"),
}


def diagnose(
    model: torch.nn.Module,
    data: Any,
    *,
    loss: str | Callable[..., torch.Tensor],
    learning_rate: float,
    batch_size: int,
    parameters: ParameterSelection = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = torch.float64,
    memory_budget: int | None = None,
    level: str = "quick",
    held_out: Any = None,
    label_noise_std: float = 1.0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    skip: Collection[str] = (),
) -> Diagnosis:
    r"""Diagnose a network at its current weights: quantities and assumption verdicts per paper.

    Parameters
    ----------
    model
        Any :class:`torch.nn.Module`; it is not modified (evaluated in eval mode).
    data
        ``(inputs, targets)``, a callable returning it, or an iterable of such batches.
    loss
        ``"mse"`` (:math:`\frac12\|f-y\|^2`), ``"cross_entropy"``, ``"binary_cross_entropy"``
        or a mean-reduced callable (:mod:`theorylab.gpu.losses`).
    learning_rate, batch_size
        The SGD step :math:`\eta > 0` (in the loss's convention) and :math:`B` in samples.
    parameters
        Which parameters curvature is taken over (default: all trainable).
    device, dtype
        Where and in what precision to compute (default float64 on the model's device).
    memory_budget
        Bytes one dense request may take (default 2 GiB); checked before allocating.
    level
        ``"quick"`` or ``"full"`` (more eigenpairs, larger sub-kernels, more samples).
    held_out
        Optional ``(inputs, targets)`` for test-point quantities (the test label-noise TPV).
    label_noise_std
        :math:`\sigma` of the label noise in paper 000's TPV.
    seed
        Seeds the Lanczos start vector and the sample subsets.
    progress
        Called with a one-line description before each stage (the CLI prints it).
    skip
        Parts not to compute, of :data:`SKIP_NAMES`: ``"hessian_trace"``,
        ``"spectral_density"`` or a paper ``"000"``, ``"001"``, ``"002"``; each is reported as
        not computed (the benchmark uses it to time the parts that scale).

    Returns
    -------
    Diagnosis
        Curvature quantities, then one :class:`PaperDiagnosis` per paper 000-004.

    Raises
    ------
    ParameterError, ShapeError, NonFiniteError, MemoryBudgetError
        For bad input (checked before any computation) or a dense request over budget.
    """
    if isinstance(skip, str) or not all(isinstance(name, str) for name in skip):
        raise ParameterError(f"skip must be a collection of names, got {skip!r}")
    unknown = sorted(set(skip) - set(SKIP_NAMES))
    if unknown:
        raise ParameterError(f"skip: unknown part(s) {unknown}; choose from {list(SKIP_NAMES)}")
    skipped = frozenset(skip)
    with Timer() as total:
        problem = prepare_problem(
            model, data, loss=loss, learning_rate=learning_rate, batch_size=batch_size,
            parameters=parameters, device=device, dtype=dtype, memory_budget=memory_budget,
            level=level, held_out=held_out, label_noise_std=label_noise_std, seed=seed)
        announce = progress or (lambda _: None)
        announce(f"curvature: top-{problem.level.top_k} Hessian and GGN eigenpairs, exact traces,"
                 f" SLQ density (p = {problem.num_parameters}, n = {problem.num_samples})")
        curvature = curvature_quantities(problem, skipped)
        by_name = {quantity.name: quantity for quantity in curvature}
        hessian = by_name["hessian_top_eigenvalues"]
        stages = [
            ("000", TITLE_000, "label-noise TPV (NTK Gram route), gradient norm and noise",
             lambda: diagnose_paper000(problem, by_name["effective_curvature_trace"].value)),
            ("001", TITLE_001, "per-sample Hessians, PSD fraction, alignment exponent α",
             lambda: diagnose_paper001(problem)),
            ("002", TITLE_002, "K, K_full, max|λ(T)| and the stochastic edge of stability η*",
             lambda: diagnose_paper002(problem, hessian.values[0], hessian.residuals[0])),
        ]
        papers = []
        for label, title, what, run in stages:
            if label in skipped:
                papers.append(PaperDiagnosis(paper=label, title=title, not_computed=[
                    "skipped at the caller's request (skip=...)"]))
                continue
            announce(f"paper {label}: {what}")
            papers.append(run())
        papers += [PaperDiagnosis(paper=label, title=title, not_computed=[reason])
                   for label, (title, reason) in _LATER.items()]
    setting = {
        "parameters": problem.num_parameters, "samples": problem.num_samples,
        "outputs": problem.num_outputs, "loss": problem.loss_name,
        "learning_rate": problem.learning_rate, "batch_size": problem.batch_size,
        "dtype": str(problem.dtype).removeprefix("torch."), "device": str(problem.device),
        "held_out_samples": 0 if problem.held_out is None else int(problem.held_out[0].shape[0]),
        "seed": seed, "theorylab": __version__, "torch": torch.__version__,
    }
    return Diagnosis(setting=setting, curvature=curvature, figures=curvature_figures(curvature),
                     papers=papers, seconds=total.seconds)
