r"""Stationary covariance of SGD with fixed additive noise (paper 000, App. D.3, Eq. 60-74).

The additive model of the paper's Eq. 65: :math:`\delta w_{t+1} = A\delta w_t - \eta\xi_t`,
:math:`A = I - \eta H`, with a *fixed* noise covariance :math:`\Sigma`.
:func:`sgd_stationary_covariance` solves the discrete Lyapunov equation (Eq. 66)
:math:`C = ACA + \eta^2\Sigma` or the continuous one (Eq. 70) :math:`HC + CH = \eta\Sigma`
in the eigenbasis of :math:`H`. The multiplicative model (what SGD on squared loss does near
a minimiser) and the closed forms are in :mod:`theorylab.solvers.lyapunov`, which re-exports
this module's public names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_psd, check_positive
from theorylab.errors import ParameterError, ShapeError, StabilityError

__all__ = ["StationaryCovariance", "sgd_stationary_covariance"]

EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class StationaryCovariance:
    r"""Solution of the discrete (Eq. 66) or continuous (Eq. 70) Lyapunov equation.

    Attributes
    ----------
    covariance
        :math:`C_{\mathrm{sgd}}`, symmetric PSD ``(p, p)``.
    kind
        ``"discrete"`` or ``"continuous"``.
    learning_rate
        :math:`\eta`.
    residual
        :math:`\|\mathrm{lhs}-\mathrm{rhs}\|_F / \|\eta^2\Sigma\|_F` (discrete) or
        :math:`/\|\eta\Sigma\|_F` (continuous) of the solved equation, restricted to the
        range of :math:`H` when the null-space noise was dropped.
    rank
        Number of eigenvalues of :math:`H` above the cut-off.
    null_noise
        :math:`\max|\Sigma|` on the null-space block of :math:`H` (dropped if ``restrict``).
    """

    covariance: np.ndarray
    kind: str
    learning_rate: float
    residual: float
    rank: int
    null_noise: float


def _hessian_spectrum(hessian: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    eigenvalues, vectors = np.linalg.eigh(hessian)
    largest = float(max(eigenvalues[-1], 0.0))
    cutoff = 64.0 * hessian.shape[0] * EPS * largest
    eigenvalues = np.where(eigenvalues > cutoff, eigenvalues, 0.0)
    return eigenvalues, vectors, largest


def _check_rate(learning_rate: float, largest: float) -> float:
    rate = check_positive(learning_rate, "learning_rate")
    if largest > 0 and rate * largest >= 2.0:
        raise StabilityError(
            f"learning_rate {rate:g} >= 2/lambda_max = {2.0 / largest:g}: SGD is not stable"
        )
    return rate


def sgd_stationary_covariance(
    hessian: Any,
    noise_covariance: Any,
    learning_rate: float,
    kind: str = "discrete",
    null_space: str = "raise",
) -> StationaryCovariance:
    r"""Stationary parameter covariance of SGD with fixed additive noise (paper 000, App. D.3).

    ``kind="discrete"`` solves Eq. 66, :math:`C = (I-\eta H)C(I-\eta H) + \eta^2\Sigma`;
    ``kind="continuous"`` solves Eq. 70, :math:`HC + CH = \eta\Sigma`. In the eigenbasis
    :math:`H = Q\Lambda Q^\top`, :math:`\tilde\Sigma = Q^\top\Sigma Q`:

    .. math:: \tilde C_{ij} = \frac{\eta\,\tilde\Sigma_{ij}}{\lambda_i+\lambda_j-\eta\lambda_i
              \lambda_j}\ \text{(discrete)},\qquad
              \tilde C_{ij} = \frac{\eta\,\tilde\Sigma_{ij}}{\lambda_i+\lambda_j}\
              \text{(continuous)}.

    Singular :math:`H`: on the block where :math:`\lambda_i = \lambda_j = 0` neither equation
    has a solution if :math:`\tilde\Sigma` is non-zero there (the iterates random-walk) and
    the solution is not unique if it is zero (the minimal one, zero there, is returned).
    ``null_space="raise"`` raises :class:`StabilityError` in the first case; ``"restrict"``
    replaces :math:`\Sigma` by :math:`P\Sigma P` (:math:`P` the projector on the range of
    :math:`H`) and returns that solution, supported on the range — the stationary covariance
    of the range components, the only ones that reach a stationary law.

    Parameters
    ----------
    hessian
        Symmetric PSD ``(p, p)`` :math:`H` (:math:`H_{\mathrm{eff}}\approx\nabla^2L`).
    noise_covariance
        Symmetric PSD ``(p, p)`` :math:`\Sigma_\xi`.
    learning_rate
        :math:`0 < \eta < 2/\lambda_{\max}(H)` (checked for both kinds).
    kind
        ``"discrete"`` (Eq. 66) or ``"continuous"`` (Eq. 70).
    null_space
        ``"raise"`` or ``"restrict"``, see above.

    Raises
    ------
    StabilityError
        :math:`\eta\lambda_{\max}\ge 2`, or noise on the null space with ``"raise"``.
    NotPSDError, ShapeError, ParameterError
        Bad inputs.

    Examples
    --------
    Scalar case :math:`H = 2`, :math:`\Sigma = 1`, :math:`\eta = 1/4`: discrete
    :math:`C = \eta/(2\lambda - \eta\lambda^2) = 1/12`, continuous :math:`\eta/(2\lambda) = 1/16`.

    >>> float(sgd_stationary_covariance([[2.0]], [[1.0]], 0.25).covariance[0, 0]) * 12
    1.0
    >>> float(sgd_stationary_covariance([[2.0]], [[1.0]], 0.25, "continuous").covariance[0, 0])
    0.0625
    """
    if kind not in ("discrete", "continuous"):
        raise ParameterError(f"kind must be 'discrete' or 'continuous', got {kind!r}")
    if null_space not in ("raise", "restrict"):
        raise ParameterError(f"null_space must be 'raise' or 'restrict', got {null_space!r}")
    curvature = as_psd(hessian, "hessian")
    noise = as_psd(noise_covariance, "noise_covariance")
    if noise.shape != curvature.shape:
        raise ShapeError(
            f"hessian and noise_covariance must have the same shape, got {curvature.shape} "
            f"and {noise.shape}"
        )
    eigenvalues, vectors, largest = _hessian_spectrum(curvature)
    rate = _check_rate(learning_rate, largest)
    rotated = vectors.T @ noise @ vectors
    pair_sum = eigenvalues[:, None] + eigenvalues[None, :]
    if kind == "discrete":
        denominator = pair_sum - rate * np.outer(eigenvalues, eigenvalues)
    else:
        denominator = pair_sum
    null_block = denominator <= 0.0
    null_noise = float(np.max(np.abs(rotated[null_block]))) if null_block.any() else 0.0
    noise_scale = float(np.max(np.abs(noise))) if noise.size else 0.0
    if null_noise > 64.0 * noise.shape[0] * EPS * noise_scale and null_space == "raise":
        raise StabilityError(
            f"noise covariance has a component {null_noise:.3g} on the null space of the "
            "hessian: no stationary covariance (use null_space='restrict')"
        )
    # restrict: the noise seen by the range of H, P Σ P (P the range projector); its
    # solution lives on the range x range block (mixed blocks would break PSD-ness).
    on_range = eigenvalues > 0
    kept = np.outer(on_range, on_range)
    safe = np.where(null_block, 1.0, denominator)
    rotated_solution = np.where(kept, rate * rotated / safe, 0.0)
    covariance = vectors @ rotated_solution @ vectors.T
    covariance = 0.5 * (covariance + covariance.T)
    kept_noise = vectors @ np.where(kept, rotated, 0.0) @ vectors.T
    if kind == "discrete":
        transition = np.eye(curvature.shape[0]) - rate * curvature
        left = covariance - transition @ covariance @ transition
        right = rate**2 * kept_noise
    else:
        left = curvature @ covariance + covariance @ curvature
        right = rate * kept_noise
    scale = float(np.linalg.norm(right))
    residual = float(np.linalg.norm(left - right)) / scale if scale > 0 else 0.0
    return StationaryCovariance(
        covariance=covariance,
        kind=kind,
        learning_rate=rate,
        residual=residual,
        rank=int(np.count_nonzero(eigenvalues)),
        null_noise=null_noise,
    )
