r"""Polishing a trained point to a verified minimiser of the decayed L_k (paper 003, Sec. 6).

:func:`polish_to_minimiser` runs damped Newton (Newton-CG on HVPs, or dense saddle-free
Newton) on :math:`F = L_k + \tfrac\lambda2\|\theta\|^2` from a
:class:`~theorylab.gpu.subspace_language_model.TrainedLanguageModel` and reports the gradient
norm and the extreme Hessian eigenvalues, with :math:`\lambda_{\min}` classified against the
roundoff margin of :mod:`theorylab.numerics` (positive definite / indefinite / singular within
roundoff). Why the settings are what they are, and what the quick-level point is, is measured
in :mod:`theorylab.gpu.subspace_language_model`'s docstring.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import torch

from theorylab.numerics import POSITIVE_DEFINITE, classify_definiteness, roundoff_tolerance

from .linear_operator import CurvatureOperator

if TYPE_CHECKING:
    from .subspace_language_model import TrainedLanguageModel

__all__ = ["DENSE_LIMIT", "PolishReport", "polish_to_minimiser"]


DENSE_LIMIT = 2000  # parameters up to which the polish forms and diagonalises the Hessian


@dataclass(frozen=True)
class PolishReport:
    r"""Diagnostics of :func:`polish_to_minimiser` on :math:`L_k+\frac\lambda2\|\theta\|^2`.

    ``converged`` is ``gradient_norm <= tolerance * (1 + |value|)``. ``second_order``
    classifies :math:`\lambda_{\min}` against ``roundoff_tolerance + ritz_residual``
    (:func:`theorylab.numerics.classify_definiteness`): ``"positive definite"``,
    ``"indefinite"`` or ``"singular within roundoff"`` (the sign of :math:`\lambda_{\min}` is
    not determined by the computation). ``minimiser`` is ``converged`` and positive definite
    (second-order sufficient condition); a singular point is not a strict minimiser, and
    :func:`theorylab.gpu.subspace_symmetry.verify_modulo_symmetry` decides whether it is one
    modulo exact symmetries. ``roundoff_tolerance`` is :math:`n\,\epsilon\,\|H\|_2` plus,
    for a dense Hessian, its measured asymmetry :math:`\|\frac12(H-H^\top)\|_F`
    (:func:`theorylab.numerics.roundoff_tolerance`); ``ritz_residual`` is
    :math:`\|Hv-\lambda_{\min}v\|` of the Lanczos pair (some eigenvalue of :math:`H` lies
    within it of the reported one), 0 for a dense spectrum.
    """

    method: str
    gradient_norm_before: float
    gradient_norm: float
    value_before: float
    value: float
    tolerance: float
    converged: bool
    minimiser: bool
    second_order: str
    roundoff_tolerance: float
    ritz_residual: float
    iterations: int
    hessian_products: int
    smallest_eigenvalue: float
    largest_eigenvalue: float
    smallest_eigenvalue_before: float
    largest_eigenvalue_before: float
    seconds: float
    gradient_norms: tuple[float, ...]


class _DecayedHessian(CurvatureOperator):
    r""":math:`\nabla^2(L_k+\frac\lambda2\|\theta\|^2)(\theta) - s I` by double backward."""

    def __init__(self, function: Any, theta: torch.Tensor, shift: float = 0.0) -> None:
        size = theta.numel()
        super().__init__((size, size), theta.dtype, theta.device, symmetric=True)
        self.function, self.theta, self.shift, self.products = function, theta.detach(), shift, 0

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        self.products += 1
        with torch.enable_grad():
            point = self.theta.clone().requires_grad_(True)
            (gradient,) = torch.autograd.grad(self.function(point), point, create_graph=True)
            (product,) = torch.autograd.grad(gradient @ vector, point)
        return product - self.shift * vector


def _value_and_gradient(function: Any, theta: torch.Tensor) -> tuple[float, torch.Tensor]:
    point = theta.detach().clone().requires_grad_(True)
    value = function(point)
    (gradient,) = torch.autograd.grad(value, point)
    return float(value.detach()), gradient


def _newton_cg_direction(operator: _DecayedHessian, gradient: torch.Tensor, iterations: int
                         ) -> torch.Tensor:
    """Truncated CG on ``H d = -g``; on negative curvature, that direction (descent sign)."""
    direction = torch.zeros_like(gradient)
    residual, search = -gradient, -gradient
    tolerance = min(0.5, float(gradient.norm()) ** 0.5) * float(gradient.norm())
    for _ in range(iterations):
        product = operator @ search
        curvature = float(search @ product)
        if curvature <= 1e-12 * float(search @ search):
            if not bool(direction.any()):
                sign = -1.0 if float(search @ gradient) > 0 else 1.0
                return sign * search * float(gradient.norm()) / max(abs(curvature), 1e-12)
            return direction
        step = float(residual @ residual) / curvature
        direction = direction + step * search
        updated = residual - step * product
        if float(updated.norm()) <= tolerance:
            return direction
        search = updated + float(updated @ updated) / float(residual @ residual) * search
        residual = updated
    return direction


@dataclass(frozen=True)
class _Extremes:
    smallest: float
    largest: float
    products: int
    roundoff_tolerance: float  # n ε ‖H‖₂ (+ measured asymmetry of a dense H)
    ritz_residual: float  # ‖H v − λ_min v‖ of the Lanczos pair; 0 for a dense spectrum


def _dense_extremes(matrix: torch.Tensor) -> _Extremes:
    """Extreme eigenvalues of the symmetrised dense Hessian and its roundoff margin."""
    values = torch.linalg.eigvalsh(0.5 * (matrix + matrix.T))
    return _Extremes(float(values[0]), float(values[-1]), matrix.shape[0],
                     roundoff_tolerance(matrix, symmetric=True), 0.0)


def _extreme_eigenvalues(function: Any, theta: torch.Tensor, seed: int) -> _Extremes:
    from .lanczos import lanczos_eigenpairs

    largest_operator = _DecayedHessian(function, theta)
    largest = float(lanczos_eigenpairs(largest_operator, 1, tolerance=1e-6, seed=seed)
                    .eigenvalues[0])
    shifted = _DecayedHessian(function, theta, shift=largest)  # H - λmax I ≤ 0
    negated = _Negated(shifted)
    pair = lanczos_eigenpairs(negated, 1, tolerance=1e-6, seed=seed)
    smallest = largest - float(pair.eigenvalues[0])
    # the residual of (λmax − μ, v) for H equals that of (μ, v) for λmax I − H
    return _Extremes(smallest, largest, largest_operator.products + shifted.products,
                     roundoff_tolerance(max(abs(smallest), abs(largest)), theta.numel(),
                                        theta.dtype), float(pair.residuals[0]))


class _Negated(CurvatureOperator):
    def __init__(self, operator: CurvatureOperator) -> None:
        super().__init__(operator.shape, operator.dtype, operator.device, symmetric=True)
        self.operator = operator

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        return -(self.operator @ vector)


def polish_to_minimiser(
    trained: TrainedLanguageModel,
    *,
    tolerance: float = 1e-8,
    max_iterations: int = 4,
    cg_iterations: int = 50,
    dense: bool = False,
    dense_spectrum: bool | None = None,
    seed: int = 0,
) -> tuple[TrainedLanguageModel, PolishReport]:
    r"""Damped Newton on :math:`F = L_k + \frac\lambda2\|\theta\|^2` from ``trained.theta``.

    Steps: Newton-CG on double-backward HVPs (truncated CG, negative-curvature exit), or with
    ``dense`` the saddle-free Newton step :math:`d = -V|\Lambda|_\epsilon^{-1}V^\top\nabla F`
    (pure Newton where :math:`H\succ0`; :math:`|\lambda|` floored at
    :math:`10^{-8}\lambda_{\max}`) on the dense Hessian ``torch.func.jacrev(torch.func.grad)``
    (reverse over reverse: ``torch.func.hessian``, forward over reverse, is not symmetric on
    this model). Final spectrum: dense when ``dense_spectrum`` (default: ``p <= DENSE_LIMIT``
    or CUDA), else Lanczos for :math:`\lambda_{\max}` and for
    :math:`\lambda_{\max}-\lambda_{\min}` (on :math:`\lambda_{\max}I-H`). Backtracking line search:
    Armijo on :math:`F`, or, once the decrease is below rounding, no rise of :math:`F` beyond
    :math:`10^{-13}(1+|F|)` with a decrease of :math:`\|\nabla F\|`. Stops at
    :math:`\|\nabla F\|\le` ``tolerance`` :math:`(1+|F|)` or after ``max_iterations``; the
    extreme Hessian eigenvalues at the final point come from the dense spectrum or Lanczos.
    The polished parameters are written back into ``trained.model``.
    """
    started = time.perf_counter()
    data = trained.objective(trained.k)
    decay = trained.decay

    def function(theta: torch.Tensor) -> torch.Tensor:
        return data(theta) + 0.5 * decay * theta.square().sum()

    if dense_spectrum is None:
        dense_spectrum = (trained.theta.numel() <= DENSE_LIMIT
                          or trained.theta.device.type == "cuda")
    chunk = None if trained.theta.numel() <= DENSE_LIMIT else 256
    hessian = torch.func.jacrev(torch.func.grad(function), chunk_size=chunk)

    def extremes(point: torch.Tensor) -> _Extremes:
        if dense_spectrum:
            return _dense_extremes(hessian(point))
        return _extreme_eigenvalues(function, point, seed)

    theta = trained.theta.detach().clone()
    initial = extremes(theta)
    products = initial.products
    value, gradient = _value_and_gradient(function, theta)
    value_before, norms, iterations = value, [float(gradient.norm())], 0
    spectrum: torch.Tensor | None = None
    matrix = theta.new_zeros(0, 0)
    while True:
        done = norms[-1] <= tolerance * (1 + abs(value)) or iterations >= max_iterations
        if dense:  # fresh at the current point, also at exit
            matrix = hessian(theta)
            products += theta.numel()
            spectrum, vectors = torch.linalg.eigh(0.5 * (matrix + matrix.T))
        if done:
            break
        iterations += 1
        if dense:
            floor = 1e-8 * float(spectrum.abs().max())
            direction = -(vectors @ ((vectors.T @ gradient) / spectrum.abs().clamp_min(floor)))
        else:
            operator = _DecayedHessian(function, theta)
            direction = _newton_cg_direction(operator, gradient, cg_iterations)
            products += operator.products
        slope, step = float(gradient @ direction), 1.0
        for _ in range(60):
            candidate = theta + step * direction
            new_value, new_gradient = _value_and_gradient(function, candidate)
            if new_value <= value + 1e-4 * step * slope or (
                    new_value <= value + 1e-13 * (1 + abs(value))
                    and float(new_gradient.norm()) < (1 - 1e-4 * step) * norms[-1]):
                break
            step *= 0.5
        else:
            break  # no acceptable step: report where it stands
        theta, value, gradient = candidate, new_value, new_gradient
        norms.append(float(gradient.norm()))
    if dense and dense_spectrum and spectrum is not None:  # already at the final point
        final = _Extremes(float(spectrum[0]), float(spectrum[-1]), 0,
                          roundoff_tolerance(matrix, symmetric=True), 0.0)
    else:
        final = extremes(theta)
        products += final.products
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(theta, trained.model.parameters())
    converged = norms[-1] <= tolerance * (1 + abs(value))
    # λ_min within roundoff (+ the Lanczos residual) of 0 has no computed sign: such a
    # point is "singular within roundoff", never a strict minimiser and never indefinite
    second_order = classify_definiteness(final.smallest,
                                         final.roundoff_tolerance + final.ritz_residual)
    report = PolishReport(
        method=("dense saddle-free Newton" if dense else "Newton-CG (HVPs)")
        + (", dense spectrum" if dense_spectrum else ", Lanczos spectrum"),
        gradient_norm_before=norms[0], gradient_norm=norms[-1], value_before=value_before,
        value=value, tolerance=tolerance, converged=converged,
        minimiser=converged and second_order == POSITIVE_DEFINITE, second_order=second_order,
        roundoff_tolerance=final.roundoff_tolerance, ritz_residual=final.ritz_residual,
        iterations=iterations, hessian_products=products,
        smallest_eigenvalue=final.smallest, largest_eigenvalue=final.largest,
        smallest_eigenvalue_before=initial.smallest, largest_eigenvalue_before=initial.largest,
        seconds=time.perf_counter() - started, gradient_norms=tuple(norms))
    polished = replace(trained, theta=theta, gradient_norm=norms[-1])
    return polished, report
