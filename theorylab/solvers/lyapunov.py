r"""Stationary covariance of linearised SGD (paper 000, App. D.3, Eq. 60-74; Remark 3.4).

Two models of the noise:

* **additive** (the paper's Eq. 65): :math:`\delta w_{t+1} = A\delta w_t - \eta\xi_t`,
  :math:`A = I - \eta H`, with a *fixed* noise covariance :math:`\Sigma`.
  :func:`sgd_stationary_covariance` solves the discrete Lyapunov equation (Eq. 66)
  :math:`C = ACA + \eta^2\Sigma` or the continuous one (Eq. 70) :math:`HC + CH = \eta\Sigma`
  in the eigenbasis of :math:`H`.
* **multiplicative** (what SGD on squared loss actually does near a minimiser of the
  linearised model): with residuals :math:`r = \varepsilon(w^*)`, :math:`J^\top r = 0`, the
  minibatch gradient is :math:`g_B = H_B\delta w + \rho_B`, so the noise
  :math:`\xi = (H_B - H)\delta w + \rho_B` depends on :math:`\delta w`. The second moment
  obeys the exact linear recursion

  .. math:: C_{t+1} = \mathcal T(C_t) + \eta^2\kappa_b\,\tfrac1n J^\top\mathrm{diag}(r^2)J,\quad
            \mathcal T(C) = ACA + \eta^2\kappa_b\Big(\tfrac1n\sum_i h_i C h_i - HCH\Big),

  :math:`h_i = J_i^\top J_i`, :math:`H = \frac1n\sum_i h_i`, whenever :math:`\mathbb E\,\delta
  w_t = 0` (true at stationarity). :func:`linearised_sgd_stationary` solves it exactly
  (vectorised on the row space of ``J``); with :math:`r = 0` (a zero-training-loss
  minimiser) the only stable stationary covariance is :math:`C = 0`.

Conventions: :math:`H = H_{\mathrm{eff}} = J^\top J/n` (Eq. 53), loss
:math:`L = \frac1{2n}\sum\varepsilon_i^2`, :math:`\kappa_b` as in
:func:`theorylab.solvers.sgd_noise.batch_factor`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_matrix, as_psd, as_vector, check_nonnegative, check_positive
from theorylab.errors import ParameterError, ShapeError, StabilityError
from theorylab.solvers.sgd_noise import batch_factor

__all__ = [
    "LinearisedSGDStationary",
    "StationaryCovariance",
    "linearised_sgd_stationary",
    "quantization_tpv",
    "second_moment_operator",
    "sgd_stationary_covariance",
    "sgd_tpv",
    "slowest_covariance_mode",
]

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


# --------------------------------------------------------------------------- multiplicative


def _row_space(rows: np.ndarray) -> np.ndarray:
    """Orthonormal basis ``(p, r)`` of the row space of ``rows``."""
    _, singular_values, right = np.linalg.svd(rows, full_matrices=False)
    cutoff = max(rows.shape) * EPS * (singular_values[0] if singular_values.size else 0.0)
    rank = int(np.count_nonzero(singular_values > cutoff))
    return right[:rank].T


def second_moment_operator(
    jacobian: Any, learning_rate: float, batch_size: int, replacement: bool = True
) -> np.ndarray:
    r"""Matrix of :math:`\mathcal T` on :math:`\mathrm{vec}(C)` (row-major), ``(p², p²)``.

    :math:`\mathcal T(C) = \mathbb E_B[(I-\eta H_B)C(I-\eta H_B)]
    = ACA + \eta^2\kappa_b(\frac1n\sum_i h_iCh_i - HCH)` (exact for both sampling schemes).

    Examples
    --------
    One sample, one parameter, :math:`J = 1`: no noise, :math:`\mathcal T(c) = (1-\eta)^2 c`.

    >>> second_moment_operator([[1.0]], 0.5, 1)
    array([[0.25]])
    """
    rows = as_matrix(jacobian, "jacobian")
    sample_count, parameters = rows.shape
    rate = check_positive(learning_rate, "learning_rate")
    factor = batch_factor(sample_count, batch_size, replacement)
    curvature = rows.T @ rows / sample_count
    transition = np.eye(parameters) - rate * curvature
    per_sample = np.einsum("ij,ik->ijk", rows, rows)
    mean_kron = np.einsum("iab,icd->acbd", per_sample, per_sample).reshape(
        parameters**2, parameters**2
    ) / sample_count
    return (
        np.kron(transition, transition)
        + rate**2 * factor * (mean_kron - np.kron(curvature, curvature))
    )


@dataclass(frozen=True)
class LinearisedSGDStationary:
    r"""Exact stationary second moment of linearised SGD at a minimiser (multiplicative noise).

    Attributes
    ----------
    covariance
        :math:`C`, ``(p, p)``, zero on the null space of ``J``.
    tpv_train
        :math:`\mathrm{Tr}(H_{\mathrm{eff}} C)` — the training TPV (Eq. 6 with Eq. 53).
    residual_variance
        :math:`\sigma_\varepsilon^2 = \frac1n\sum_i\mathbb E\varepsilon_i^2
        = \frac1n\|r\|^2 + \mathrm{Tr}(H_{\mathrm{eff}}C)` at stationarity.
    weighted_residual_norm
        :math:`\frac1n\sum_i\mathbb E[\varepsilon_i^2]\,\|J_i\|^2` (what Eq. 50 really needs).
    spectral_radius
        Of :math:`\mathcal T` on the row space; < 1 is mean-square stability.
    factor
        :math:`\kappa_b`.
    learning_rate
        :math:`\eta`.
    """

    covariance: np.ndarray
    tpv_train: float
    residual_variance: float
    weighted_residual_norm: float
    spectral_radius: float
    factor: float
    learning_rate: float


def linearised_sgd_stationary(
    jacobian: Any,
    residuals: Any,
    learning_rate: float,
    batch_size: int,
    replacement: bool = True,
) -> LinearisedSGDStationary:
    r"""Exact stationary covariance of SGD on the linearised squared loss around a minimiser.

    Solves :math:`C = \mathcal T(C) + \eta^2\kappa_b\frac1n J^\top\mathrm{diag}(r^2)J` on the
    row space of ``J`` (:func:`second_moment_operator`); ``residuals`` are
    :math:`r = \varepsilon(w^*)`, which must satisfy :math:`J^\top r = 0` (a minimiser).
    :math:`r = 0` is a zero-training-loss minimiser: then :math:`C = 0`.

    Raises
    ------
    ParameterError
        :math:`\|J^\top r\|` not negligible (``w*`` is not a stationary point).
    StabilityError
        :math:`\rho(\mathcal T) \ge 1` (not mean-square stable) or
        :math:`\eta\lambda_{\max}\ge 2`.

    Examples
    --------
    One sample, :math:`J = 1`, :math:`r = 0`: deterministic, :math:`C = 0`.

    >>> float(linearised_sgd_stationary([[1.0]], [0.0], 0.5, 1).tpv_train)
    0.0
    """
    rows = as_matrix(jacobian, "jacobian")
    errors = as_vector(residuals, "residuals", length=rows.shape[0])
    sample_count, parameters = rows.shape
    factor = batch_factor(sample_count, batch_size, replacement)
    stationarity = np.linalg.norm(rows.T @ errors)
    scale = np.linalg.norm(rows) * np.linalg.norm(errors)
    if stationarity > 1e3 * max(rows.shape) * EPS * scale:
        raise ParameterError(
            f"residuals are not at a minimiser: |J^T r| = {stationarity:.3g} (must be ~0)"
        )
    curvature = rows.T @ rows / sample_count
    largest = float(np.linalg.eigvalsh(curvature)[-1]) if parameters else 0.0
    rate = _check_rate(learning_rate, largest)
    basis = _row_space(rows)
    rank = basis.shape[1]
    if rank == 0:
        zero = np.zeros((parameters, parameters))
        noise_free = float(errors @ errors) / sample_count
        return LinearisedSGDStationary(zero, 0.0, noise_free, 0.0, 0.0, factor, rate)
    reduced = rows @ basis
    operator = second_moment_operator(reduced, rate, batch_size, replacement)
    radius = float(np.max(np.abs(np.linalg.eigvals(operator))))
    if radius >= 1.0 - 1e-12:
        raise StabilityError(
            f"spectral radius {radius:.6g} >= 1: linearised SGD is not mean-square stable"
        )
    weighted = reduced * errors[:, None]
    additive = rate**2 * factor * (weighted.T @ weighted) / sample_count
    solution = np.linalg.solve(np.eye(rank**2) - operator, additive.reshape(-1))
    reduced_covariance = solution.reshape(rank, rank)
    reduced_covariance = 0.5 * (reduced_covariance + reduced_covariance.T)
    covariance = basis @ reduced_covariance @ basis.T
    per_sample_variance = np.einsum("ij,jk,ik->i", reduced, reduced_covariance, reduced)
    expected_squares = per_sample_variance + errors**2
    return LinearisedSGDStationary(
        covariance=covariance,
        tpv_train=float(np.mean(per_sample_variance)),
        residual_variance=float(np.mean(expected_squares)),
        weighted_residual_norm=float(np.mean(expected_squares * np.sum(rows**2, axis=1))),
        spectral_radius=radius,
        factor=factor,
        learning_rate=rate,
    )


def slowest_covariance_mode(
    jacobian: Any, learning_rate: float, batch_size: int, replacement: bool = True
) -> tuple[float, np.ndarray]:
    r"""Leading eigenvalue and PSD eigenmatrix of :math:`\mathcal T` on the row space.

    At a zero-loss minimiser :math:`C_t = \mathcal T^t(C_0)` decays to 0 along this mode:
    it is the *shape* of the late-time ("quasi-stationary") SGD covariance, normalised to
    :math:`\mathrm{Tr}\,C = 1`.

    Examples
    --------
    >>> rate, mode = slowest_covariance_mode([[1.0]], 0.5, 1)
    >>> float(rate), float(mode[0, 0])
    (0.25, 1.0)
    """
    rows = as_matrix(jacobian, "jacobian")
    basis = _row_space(rows)
    reduced = rows @ basis
    operator = second_moment_operator(reduced, learning_rate, batch_size, replacement)
    values, vectors = np.linalg.eig(operator)
    leading = int(np.argmax(values.real))
    rank = basis.shape[1]
    mode = np.real(vectors[:, leading]).reshape(rank, rank)
    mode = 0.5 * (mode + mode.T)
    mode = mode / np.trace(mode)
    return float(values[leading].real), basis @ mode @ basis.T


# --------------------------------------------------------------------------- closed forms


def sgd_tpv(
    hessian_trace: float, residual_variance: float, learning_rate: float, batch_size: float
) -> float:
    r"""Closed form of Theorem 3.3 (paper 000, Eq. 11 and 74).

    :math:`\mathrm{TPV}_{\mathrm{SGD}} \approx
    \frac{\eta\sigma_\varepsilon^2}{2b}\mathrm{Tr}(\nabla^2 L(w^*))`, as the paper states
    it; see ``tpv.sgd_lyapunov`` for why it fails at a zero-training-loss minimiser.

    Examples
    --------
    >>> sgd_tpv(hessian_trace=4.0, residual_variance=0.5, learning_rate=0.1, batch_size=2)
    0.05
    """
    trace = check_nonnegative(hessian_trace, "hessian_trace")
    variance = check_nonnegative(residual_variance, "residual_variance")
    rate = check_positive(learning_rate, "learning_rate")
    size = check_positive(batch_size, "batch_size")
    return rate * variance * trace / (2.0 * size)


def quantization_tpv(hessian_trace: float, step: float) -> float:
    r"""Closed form of Remark 3.4 (paper 000, Eq. 12).

    :math:`\mathrm{TPV}_{\mathrm{quant}} \approx
    \frac{\delta^2}{12}\mathrm{Tr}(\nabla^2L(w^*))` for :math:`\delta w_j\sim
    \mathrm{Unif}(-\delta/2, \delta/2)` i.i.d.

    Examples
    --------
    >>> quantization_tpv(hessian_trace=3.0, step=2.0)
    1.0
    """
    trace = check_nonnegative(hessian_trace, "hessian_trace")
    width = check_nonnegative(step, "step")
    return width**2 * trace / 12.0
