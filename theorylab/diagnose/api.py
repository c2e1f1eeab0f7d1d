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
from .paper003 import TITLE as TITLE_003
from .paper003 import diagnose_paper003
from .paper004 import TITLE as TITLE_004
from .paper004 import check_weight_decay, diagnose_paper004
from .problem import Timer, prepare_problem
from .progress import StageReporter

__all__ = ["SKIP_NAMES", "diagnose"]


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
    progress: Callable[..., None] | None = None,
    skip: Collection[str] = (),
    forward: Callable[[torch.nn.Module, Any], Any] | None = None,
    target: Callable[[Any], Any] | None = None,
    weight_decay: float | None = None,
    next_batch: Any = None,
) -> Diagnosis:
    r"""Diagnose a network at its current weights: quantities and assumption verdicts per paper.

    Parameters
    ----------
    model
        Any :class:`torch.nn.Module`; it is not modified (evaluated in eval mode).
    data
        ``(inputs, targets)``, a callable returning it, or an iterable of batches: pairs or
        dicts of tensors (``{"input_ids": ..., "labels": ...}``; see ``forward``/``target``).
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
        Called with a one-line description before each stage; a callable with an ``event``
        parameter also gets every :class:`~theorylab.diagnose.progress.ProgressEvent` (stage
        start and finish, a ``begin`` and a ``step`` naming each quantity as it is computed,
        and each quantity with its seconds; the CLI draws them as bars).
    skip
        Parts not to compute, of :data:`SKIP_NAMES`: ``"hessian_trace"``,
        ``"spectral_density"`` or a paper ``"000"`` .. ``"004"``; each is
        reported as not computed (the benchmark uses it to time the parts that scale).
    forward
        ``forward(model, inputs) -> outputs`` (:mod:`theorylab.diagnose.inputs`): how the
        network runs on the inputs of some rows, a tensor or a dict of tensors sliced per key
        (default ``model(x)`` / ``model(**inputs)``); e.g. ``lambda m, b: m(**b).logits``.
    target
        ``target(batch) -> targets`` for each raw batch (default: a pair's second item, or a
        dict's ``"labels"``).
    weight_decay
        Paper 004's :math:`\lambda`: :math:`\frac12\lambda\|\theta\|^2` added to the mean
        loss, in the loss's convention (default :math:`10^{-3}\|F\|_2`, Remark 5.2).
    next_batch
        Optional next batch or stream that grows the training set, in the forms of ``data``:
        paper 003's curvature-aligned criterion of the top-D eigenspace against random frames.

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
    check_weight_decay(weight_decay)
    with Timer("diagnosis") as total:
        problem = prepare_problem(
            model, data, loss=loss, learning_rate=learning_rate, batch_size=batch_size,
            parameters=parameters, device=device, dtype=dtype, memory_budget=memory_budget,
            level=level, held_out=held_out, label_noise_std=label_noise_std, seed=seed,
            forward=forward, target=target, next_batch=next_batch)
        papers_to_run = sum(name.isdigit() and name not in skipped for name in SKIP_NAMES)
        reporter = StageReporter(progress, total=1 + papers_to_run)
        with reporter.stage("curvature", f"curvature: top-{problem.level.top_k} Hessian and GGN "
                            f"eigenpairs, exact traces, SLQ density (p = "
                            f"{problem.num_parameters}, n = {problem.num_samples})") as done:
            curvature = curvature_quantities(problem, skipped)
            done(curvature)
        by_name = {quantity.name: quantity for quantity in curvature}
        hessian = by_name["hessian_top_eigenvalues"]
        stages = [
            ("000", TITLE_000, "label-noise TPV (NTK Gram route), gradient noise and the "
             "Gauss-Newton split, the Lyapunov SGD TPV, a short retrain (NTK movement)",
             lambda: diagnose_paper000(problem, by_name["effective_curvature_trace"].value,
                                       by_name["hessian_trace"])),
            ("001", TITLE_001, "per-sample Hessians, PSD fraction, alignment exponent α",
             lambda: diagnose_paper001(problem)),
            ("002", TITLE_002, "K, K_full, max|λ(T)| and the stochastic edge of stability η*",
             lambda: diagnose_paper002(problem, hessian.values[0], hessian.residuals[0])),
            ("003", TITLE_003, "curvature-aligned criterion of the top-D eigenspace vs random "
             "frames on the next batch",
             lambda: diagnose_paper003(problem, by_name["effective_curvature_trace"].value)),
            ("004", TITLE_004, "Fisher soft rank (exact, SLQ, KFAC), calibration C vs F, "
             "predicted vs measured gap",
             lambda: diagnose_paper004(problem, by_name["ggn_top_eigenvalues"].values[0],
                                       weight_decay)),
        ]
        papers = []
        reporter.total = 1 + sum(label not in skipped for label, *_ in stages)
        for label, title, what, run in stages:
            if label in skipped:
                papers.append(PaperDiagnosis(paper=label, title=title, not_computed=[
                    "skipped at the caller's request (skip=...)"]))
                continue
            with reporter.stage(label, f"paper {label}: {what}") as done:
                papers.append(run())
                done(papers[-1].quantities)
        papers.sort(key=lambda paper: paper.paper)
    setting = {
        "parameters": problem.num_parameters, "samples": problem.num_samples,
        "outputs": problem.num_outputs, "loss": problem.loss_name,
        "learning_rate": problem.learning_rate, "batch_size": problem.batch_size,
        "dtype": str(problem.dtype).removeprefix("torch."), "device": str(problem.device),
        "held_out_samples": 0 if problem.held_out is None else int(problem.held_out[0].shape[0]),
        "next_batch_samples": (0 if problem.next_batch is None
                               else int(problem.next_batch[0].shape[0])),
        "seed": seed, "theorylab": __version__, "torch": torch.__version__,
    }
    return Diagnosis(setting=setting, curvature=curvature, figures=curvature_figures(curvature),
                     papers=papers, seconds=total.seconds)
