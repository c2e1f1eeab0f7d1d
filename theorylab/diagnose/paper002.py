r"""Paper 002 at the user's point: the noise kernel norm and the stochastic edge of stability.

On :math:`D` samples (all of them, or random subsets of ``level.kernel_samples`` when there
are more) the exact NTK :math:`\hat\Theta = JJ^\top/D` (Sec. 2.1; :func:`theorylab.gpu.ntk_gram`,
float64) gives, for the user's :math:`\eta` and :math:`B` (in samples):

* :math:`\mathcal{K}` (Eq. 9, :func:`theorylab.solvers.noise_kernel.noise_kernel_norm`, on the
  NTK's range), :math:`\mathcal{K}_{\rm full}` (the full-dynamics criterion,
  :func:`~theorylab.solvers.noise_kernel_second_moment.noise_kernel_norm_full`) and
  :math:`\max|\lambda(T)|` of the second-moment operator (Eq. 30, Arnoldi, with residual):
  SGD on the linearised model is mean-square stable iff :math:`\max|\lambda(T)|<1`
  iff :math:`\mathcal{K}_{\rm full}<1`;
* :math:`\eta^\star`, the learning rate where :math:`\mathcal{K}_{\rm full}(\eta^\star) = 1`
  (Brent's method on a bracket from a grid over :math:`(0, 2/\lambda_{\max}(\hat\Theta))`),
  so :math:`\eta/\eta^\star` says how far the user is from the stochastic edge of stability;
  and the curve :math:`\mathcal{K}(\eta)` on that grid.

With subsets, each quantity is the mean over ``_SUBSETS`` subsets with its standard error;
:math:`B` is kept (not :math:`B/D`): :math:`\mathcal{K}\approx\frac{\eta}{B}\sum_\alpha
\frac{\lambda_\alpha}{2-\eta\lambda_\alpha}` (Eq. 10) depends on :math:`B` and on
:math:`\operatorname{Tr}\hat\Theta`, which a subset estimates without bias.
:math:`\mathcal{K}_{\rm full}` and :math:`T` are defined for one output per sample; with
:math:`K>1` outputs only :math:`\mathcal{K}` (App. A.7.1 block form) is computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from scipy.optimize import brentq

from theorylab.errors import TheorylabError
from theorylab.gpu import ntk_gram
from theorylab.gpu.memory import check_memory
from theorylab.solvers.noise_kernel import noise_kernel_norm
from theorylab.solvers.noise_kernel_second_moment import (
    ARNOLDI_MAX_SIZE,
    noise_kernel_norm_full,
    second_moment_spectral_radius,
)

from .figures import kernel_curve_figure
from .model import AssumptionStatus, AssumptionVerdict, PaperDiagnosis, Quantity
from .problem import Problem, Timer

__all__ = ["PAPER", "TITLE", "criterion", "diagnose_paper002", "kernel_subsets",
           "stochastic_eos_rate"]

PAPER = "002"
TITLE = "Conservative sharpening and a stochastic edge of stability (noise kernel norm)"
_SUBSETS = 3
_EDGE = 1.0 - 1e-9
"""The grid stops just below the deterministic EOS 2/λ_max, where K_full is undefined."""


def kernel_subsets(problem: Problem) -> list[torch.Tensor]:
    """Sample indices of the NTK sub-kernels: everything, or ``_SUBSETS`` random subsets."""
    size = min(problem.num_samples, max(problem.level.kernel_samples, 2 * problem.batch_size))
    if size == problem.num_samples:
        return [torch.arange(size)]
    generator = torch.Generator().manual_seed(problem.seed + 2)
    return [torch.randperm(problem.num_samples, generator=generator)[:size].sort().values
            for _ in range(_SUBSETS)]


def _normalised_ntk(problem: Problem, rows: torch.Tensor) -> np.ndarray:
    gram = ntk_gram(problem.model, problem.inputs[rows], parameters=problem.parameters,
                    device=problem.device, dtype=torch.float64,
                    memory_budget=problem.memory_budget).cpu().numpy()
    gram = gram / rows.numel()
    return (gram + gram.T) / 2


def criterion(ntk: np.ndarray, batch_size: int, outputs: int) -> Callable[[float], float]:
    r"""The stability criterion as a function of :math:`\eta`.

    :math:`\mathcal{K}_{\rm full}` (mean-square stability iff < 1) for one output per sample;
    with :math:`K > 1` outputs Theorem 2.1's :math:`\mathcal{K}` (App. A.7.1 block form).
    """
    if outputs == 1:
        return lambda eta: noise_kernel_norm_full(ntk, eta, batch_size)
    return lambda eta: noise_kernel_norm(ntk, eta, batch_size, outputs_per_sample=outputs,
                                         restrict_to_range=True).value


def stochastic_eos_rate(measure: Callable[[float], float], ntk: np.ndarray,
                        points: int) -> tuple[float | None, float, np.ndarray, np.ndarray]:
    r""":math:`\eta^\star` where ``measure`` (:math:`\mathcal{K}_{\rm full}` or K) equals 1.

    The measure is evaluated on a geometric grid over :math:`(0, 2/\lambda_{\max}(\hat\Theta))`
    and Brent's method refines the first bracket where it reaches 1. Returns
    ``(eta_star or None, |measure(eta_star) - 1|, grid, measure on grid)``; ``None`` when the
    measure stays below 1 up to the deterministic EOS.
    """
    top = float(np.linalg.eigvalsh(ntk)[-1])
    grid = (2.0 / top) * np.geomspace(1e-3, _EDGE, points)
    values = np.array([measure(eta) for eta in grid])
    above = np.nonzero(values >= 1.0)[0]
    if above.size == 0:
        return None, math.nan, grid, values
    first = int(above[0])
    if first == 0:
        return float(grid[0]), abs(values[0] - 1.0), grid, values
    root = brentq(lambda eta: measure(eta) - 1.0, grid[first - 1], grid[first], xtol=1e-14,
                  rtol=1e-12)
    return float(root), abs(measure(root) - 1.0), grid, values


def _mean_and_stderr(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=float)
    stderr = float(array.std(ddof=1) / math.sqrt(array.size)) if array.size > 1 else 0.0
    return float(array.mean()), stderr


def _scalar(name: str, symbol: str, values: list[float], seconds: float, method: str,
            reference: str, note: str) -> Quantity:
    mean, stderr = _mean_and_stderr(values)
    return Quantity(name=name, symbol=symbol, value=mean, stderr=stderr, seconds=seconds,
                    method=method, reference=reference, note=note)


def _verdicts(problem: Problem, hessian_top: float,
              hessian_residual: float = 0.0) -> list[AssumptionVerdict]:
    mse = problem.loss_name == "mse"
    loss = AssumptionVerdict(
        name="mse_loss", paper=PAPER, theorem="Sec. 2.1 (SGD on MSE, linearised model)",
        status=AssumptionStatus.HOLDS if mse else AssumptionStatus.FAILS,
        evidence=("the loss is ½‖f-y‖², the theory's" if mse else
                  f"the loss is {problem.loss_name}, not MSE: K is computed on the NTK as if "
                  "the loss were MSE"))
    # a Ritz value lies within its residual of an eigenvalue: ηλ_max is known to ± η·residual
    product = problem.learning_rate * hessian_top
    margin = problem.learning_rate * hessian_residual
    if product + margin < 2.0:
        status, relation = AssumptionStatus.HOLDS, "<"
    elif product - margin >= 2.0:
        status, relation = AssumptionStatus.FAILS, "≥"
    else:
        status, relation = AssumptionStatus.UNDECIDED, "≈"
    deterministic = AssumptionVerdict(
        name="below_deterministic_eos", paper=PAPER, theorem="Theorem 2.1 (η λ_max < 2)",
        status=status,
        evidence=(f"η λ_max(∇²L) = {problem.learning_rate:g} × {hessian_top:.4g} = "
                  f"{product:.4g} ± {margin:.2g} {relation} 2 (Lanczos top Hessian eigenvalue "
                  "and its residual)"),
        numbers={"eta_lambda_max": product, "uncertainty": margin})
    return [loss, deterministic]


def diagnose_paper002(problem: Problem, hessian_top: float,
                      hessian_residual: float = 0.0) -> PaperDiagnosis:
    """Paper 002's K, K_full, max|λ(T)|, η* and the K-vs-η curve at the user's η and B."""
    eta, batch, outputs = problem.learning_rate, problem.batch_size, problem.num_outputs
    subsets = kernel_subsets(problem)
    size = int(subsets[0].numel())
    rows = size * outputs
    check_memory(3 * rows**3 * 8, f"K_full work arrays ({rows}, {rows}²)", problem.memory_budget)
    where = (f"D = {size} of n = {problem.num_samples} samples"
             + (f", mean ± stderr over {len(subsets)} random subsets" if len(subsets) > 1
                else " (all)"))
    reference = "paper 002, Eq. 9 (K), Eq. 30 (T)"
    quantities: list[Quantity] = []
    figures = []
    not_computed: list[str] = ["the sharpening trajectory (conservative sharpening) under "
                               "continued training: not computed in this version"]
    with Timer("K") as timer:
        kernels = [_normalised_ntk(problem, subset) for subset in subsets]
    ntk_seconds = timer.seconds / len(subsets)
    quantities.append(_at_learning_rate(
        "noise_kernel_norm", "K", lambda k: noise_kernel_norm(
            k, eta, batch, outputs_per_sample=outputs, restrict_to_range=True).value, kernels,
        ntk_seconds, "exact (NTK eigendecomposition)", reference, where))
    if outputs == 1:
        quantities.append(_at_learning_rate(
            "noise_kernel_norm_full", "K_full", lambda k: criterion(k, batch, 1)(eta), kernels,
            0.0, "exact (K(1), paper 002 Eq. 30 reduced)", reference,
            where + "; SGD is mean-square stable iff K_full < 1"))
    else:
        not_computed.append(f"K_full and max|λ(T)|: defined for one output per sample, the "
                            f"network has K = {outputs}; η* and the curve use K instead")
    symbol = "K_full" if outputs == 1 else "K"
    try:
        with Timer("η*") as timer:
            roots = [stochastic_eos_rate(criterion(k, batch, outputs), k,
                                         problem.level.curve_points) for k in kernels]
    except TheorylabError as exc:
        quantities.append(Quantity(name="stochastic_eos_learning_rate", symbol="η*",
                                   note=f"not computed: {exc}"))
    else:
        quantities.append(_eos_quantity(roots, eta, symbol, timer.seconds, where))
        grid, curve = roots[0][2], roots[0][3]
        quantities.append(Quantity(
            name="noise_kernel_curve", symbol=f"{symbol}(η)", values=curve.tolist(),
            grid=grid.tolist(), stderr=0.0, method="exact on a geometric η grid",
            reference="paper 002, Fig. 1", note=f"first kernel ({size} samples); your η = {eta:g}"))
        figures.append(kernel_curve_figure(grid.tolist(), curve.tolist(), eta, symbol))
    if outputs == 1 and size <= ARNOLDI_MAX_SIZE:
        quantities.append(_spectral_radius(kernels[0], eta, batch, size))
    elif outputs == 1:
        not_computed.append(f"max|λ(T)|: D = {size} > {ARNOLDI_MAX_SIZE} (Arnoldi is O(D⁵))")
    return PaperDiagnosis(paper=PAPER, title=TITLE, quantities=quantities,
                          assumptions=_verdicts(problem, hessian_top, hessian_residual),
                          not_computed=not_computed, figures=figures)


def _at_learning_rate(name: str, symbol: str, measure: Callable[[np.ndarray], float],
                      kernels: list[np.ndarray], extra_seconds: float, method: str,
                      reference: str, where: str) -> Quantity:
    try:
        with Timer(symbol) as timer:
            values = [measure(kernel) for kernel in kernels]
    except TheorylabError as exc:
        return Quantity(name=name, symbol=symbol, note=f"not computed: {exc}")
    return _scalar(name, symbol, values, timer.seconds + extra_seconds, method, reference, where)


def _eos_quantity(roots: list[tuple], eta: float, symbol: str, seconds: float,
                  where: str) -> Quantity:
    found = [root[0] for root in roots if root[0] is not None]
    if len(found) < len(roots):
        return Quantity(
            name="stochastic_eos_learning_rate", symbol="η*", seconds=seconds,
            note=(f"not reached: {symbol} < 1 up to the deterministic EOS 2/λ_max(Θ̂) on "
                  f"{len(roots) - len(found)} of {len(roots)} kernels"))
    mean, stderr = _mean_and_stderr(found)
    return Quantity(
        name="stochastic_eos_learning_rate", symbol="η*", value=mean, stderr=stderr,
        residuals=[root[1] for root in roots], seconds=seconds, method=f"Brent on {symbol}",
        reference="paper 002, Sec. 3 (stochastic EOS)",
        note=f"{where}; your η/η* = {eta / mean:.3g} (residuals = |{symbol}(η*) - 1|)")


def _spectral_radius(ntk: np.ndarray, eta: float, batch: int, size: int) -> Quantity:
    try:
        spectrum = second_moment_spectral_radius(ntk, eta, batch)
    except TheorylabError as exc:
        return Quantity(name="second_moment_spectral_radius", symbol="max|λ(T)|",
                        note=f"not computed: {exc}")
    return Quantity(
        name="second_moment_spectral_radius", symbol="max|λ(T)|",
        value=spectrum.spectral_radius, residuals=[spectrum.residual], seconds=spectrum.seconds,
        matvecs=spectrum.matvecs, method=spectrum.method, reference="paper 002, Eq. 30",
        note=(f"first kernel ({size} samples); at least (1 - ηλ_min(Θ̂))², so near 1 when the "
              "NTK has small eigenvalues: K_full decides mean-square stability"))
