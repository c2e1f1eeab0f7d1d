r"""Stationary covariance of linearised SGD (paper 000, App. D.3, Eq. 60-74; Remark 3.4).

Two models of the noise:

* **additive** (the paper's Eq. 65): :math:`\delta w_{t+1} = A\delta w_t - \eta\xi_t`,
  :math:`A = I - \eta H`, with a *fixed* noise covariance :math:`\Sigma`.
  :func:`sgd_stationary_covariance` solves the discrete Lyapunov equation (Eq. 66)
  :math:`C = ACA + \eta^2\Sigma` or the continuous one (Eq. 70) :math:`HC + CH = \eta\Sigma`
  in the eigenbasis of :math:`H` (in :mod:`theorylab.solvers.lyapunov_additive`, re-exported
  here).
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

from theorylab.arrays import as_matrix, as_vector, check_nonnegative, check_positive
from theorylab.errors import ParameterError, StabilityError
from theorylab.solvers.lyapunov_additive import (
    EPS,
    StationaryCovariance,
    _check_rate,
    sgd_stationary_covariance,
)
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
    mean_kron = (
        np.einsum("iab,icd->acbd", per_sample, per_sample).reshape(parameters**2, parameters**2)
        / sample_count
    )
    return np.kron(transition, transition) + rate**2 * factor * (
        mean_kron - np.kron(curvature, curvature)
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
