r"""SGD noise vs curvature through activity-weight duality (paper 001, Sec. 3-5, App. E).

Conventions (paper 001): per-sample Hessians :math:`H_s` with eigenpairs
:math:`(\lambda^s_k, v^s_k)`; the Hessian :math:`H = \mathbb{E}_s H_s` with eigenpairs
:math:`(\lambda_i, u_i)` sorted by descending eigenvalue; the AWD noise covariance
:math:`C = (\sigma_w^2/b)\,\mathbb{E}_s[H_s^2]` (Theorem 3.4, Eq. 13-15); diagonals
:math:`H_{ii} = u_i^\top H u_i`, :math:`C_{ii} = u_i^\top C u_i` (Eq. 16-17). A power law
:math:`C_{ii}\propto H_{ii}^\alpha` is fitted by ordinary least squares of
:math:`\ln C_{ii}` on :math:`\ln H_{ii}` over a window of top directions (Sec. 4, Eq. 18);
the fit lives in :mod:`theorylab.solvers.awd_fit` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_array, as_matrix, as_symmetric, as_vector, check_positive
from theorylab.errors import NotSymmetricError, ParameterError, ShapeError
from theorylab.solvers.awd_fit import PowerLawFit, fit_power_law, window_slope_bounds

__all__ = [
    "EigenbasisDiagonals",
    "ElementwiseBounds",
    "PSDReport",
    "PowerLawFit",
    "as_per_sample_hessians",
    "awd_noise_covariance",
    "eigenbasis_diagonals",
    "elementwise_alpha_bounds",
    "empirical_noise_covariance",
    "fit_power_law",
    "local_spectral_moments",
    "minimal_awd_perturbation",
    "per_sample_psd_report",
    "window_slope_bounds",
]

EPS = float(np.finfo(np.float64).eps)
_BLOCK_ENTRIES = 1 << 18
"""Entries of the per-sample Hessian stack validated at a time (2 MiB of float64)."""


def minimal_awd_perturbation(weight: Any, activity: Any, activity_delta: Any) -> np.ndarray:
    r"""Minimal-norm weight change dual to an activity change (Def. 3.1, Lemma 3.2, Eq. 54).

    Solves :math:`\min\|\Delta W\|_F` s.t. :math:`(W+\Delta W)a = W(a+\Delta a)`; the unique
    solution is :math:`\Delta W = (W\Delta a)\,a^\top/\|a\|^2`.

    Parameters
    ----------
    weight : array, shape (m, n)
        :math:`W` of the fully connected layer :math:`z = Wa`.
    activity, activity_delta : array, shape (n,)
        :math:`a` and :math:`\Delta a` (partner sample minus this one, Sec. 3.1).

    Returns
    -------
    numpy.ndarray
        :math:`\Delta W`, shape ``(m, n)``.

    Raises
    ------
    ShapeError
        If the sizes do not match.
    ParameterError
        If :math:`a = 0` (the constraint has no solution unless :math:`W\Delta a = 0`).

    Examples
    --------
    >>> minimal_awd_perturbation([[1.0, 2.0]], [1.0, 0.0], [0.0, 1.0])
    array([[2., 0.]])
    """
    weight_matrix = as_matrix(weight, "weight")
    a = as_vector(activity, "activity", length=weight_matrix.shape[1])
    delta = as_vector(activity_delta, "activity_delta", length=weight_matrix.shape[1])
    norm_squared = float(a @ a)
    if norm_squared == 0.0:
        raise ParameterError("activity must be nonzero: (W + dW) 0 = W da has no minimal solution")
    return np.outer(weight_matrix @ delta, a) / norm_squared


def as_per_sample_hessians(value: Any, name: str = "per_sample_hessians") -> np.ndarray:
    r"""Validate a stack ``(n, p, p)`` of symmetric matrices (finite, float64, symmetrised).

    A float64 array that is already exactly symmetric is returned as is (no copy).

    Symmetry is judged against the round-off of the whole stack,
    :math:`\max_s|H_s - H_s^\top| \le 64\,p\,\epsilon\max_s|H_s|` (autograd Hessians of
    slices with small entries carry the round-off of the stack's scale).

    Raises
    ------
    ShapeError, NonFiniteError, NotSymmetricError
        On a wrong shape, NaN/inf entries or a non-symmetric slice.
    """
    stack = as_array(value, name)
    if stack.ndim != 3 or stack.shape[1] != stack.shape[2] or 0 in stack.shape:
        raise ShapeError(f"{name} must have shape (n, p, p) with n, p >= 1, got {stack.shape}")
    # a cache-sized block of slices at a time (the whole stack's strided transpose is slow);
    # the same numbers, bit for bit, as the whole-stack expressions
    blocks = _blocks(stack)
    asymmetry, largest = np.empty(stack.shape[0]), np.empty(stack.shape[0])
    for block in blocks:
        asymmetry[block] = np.max(np.abs(stack[block] - stack[block].transpose(0, 2, 1)), (1, 2))
        largest[block] = np.max(np.abs(stack[block]), axis=(1, 2))
    tolerance = 64.0 * stack.shape[1] * EPS * float(np.max(largest))
    if np.any(asymmetry > tolerance):
        index = int(np.argmax(asymmetry))
        raise NotSymmetricError(
            f"{name}[{index}] must be symmetric: max |A - A^T| = "
            f"{asymmetry[index]:.3g} exceeds tolerance {tolerance:.3g}"
        )
    if not np.any(asymmetry):
        return stack  # already exactly symmetric: (A + A^T) / 2 = A, no copy
    symmetric = np.empty_like(stack)
    for block in blocks:
        out = symmetric[block]
        np.multiply(np.add(stack[block], stack[block].transpose(0, 2, 1), out=out), 0.5, out=out)
    return symmetric


def _blocks(stack: np.ndarray) -> list[slice]:
    """Consecutive slices of ``stack``'s first axis, about ``_BLOCK_ENTRIES`` entries each."""
    step = max(1, _BLOCK_ENTRIES // (stack.shape[1] * stack.shape[2]))
    return [slice(start, start + step) for start in range(0, stack.shape[0], step)]


def _batch_size(batch_size: Any) -> int:
    if (
        isinstance(batch_size, bool)
        or not float(check_positive(batch_size, "batch_size")).is_integer()
    ):
        raise ParameterError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def awd_noise_covariance(
    per_sample_hessians: Any, weight_variance: float = 1.0, batch_size: int = 1
) -> np.ndarray:
    r"""AWD noise covariance :math:`C = \frac{\sigma_w^2}{b}\mathbb{E}_s[H_s^2]` (Thm 3.4, Eq. 13).

    Parameters
    ----------
    per_sample_hessians : array, shape (n, p, p)
        Symmetric :math:`H_s` (any signature; PSD is not required here).
    weight_variance : float
        :math:`\sigma_w^2 > 0`, the isotropic variance of the AWD weight perturbation (Eq. 14).
    batch_size : int
        :math:`b \ge 1`.

    Returns
    -------
    numpy.ndarray
        ``(p, p)`` PSD matrix.

    Raises
    ------
    ShapeError, NonFiniteError, NotSymmetricError, ParameterError
        On bad shapes, NaN, non-symmetric slices, non-positive variance or batch size.

    Examples
    --------
    >>> awd_noise_covariance([[[2.0]], [[4.0]]], weight_variance=0.5, batch_size=2)
    array([[2.5]])
    """
    stack = as_per_sample_hessians(per_sample_hessians)
    variance = check_positive(weight_variance, "weight_variance")
    size = _batch_size(batch_size)
    # sum_s H_s H_s = N^T N for the rows N = [H_1; ...; H_n] (H_s symmetric): one GEMM of
    # 2 n p^3 flops instead of einsum's unblocked loops (the same sum up to round-off)
    rows = stack.reshape(-1, stack.shape[2])
    second_moment = rows.T @ rows / stack.shape[0]
    return variance / size * 0.5 * (second_moment + second_moment.T)


def empirical_noise_covariance(per_sample_gradients: Any, batch_size: int = 1) -> np.ndarray:
    r"""Minibatch gradient noise :math:`\frac1b[\mathbb{E}g_ig_i^\top - \bar g\bar g^\top]` (Eq. 2).

    Sampling with replacement; ``per_sample_gradients`` has shape ``(n, p)``.

    Examples
    --------
    >>> empirical_noise_covariance([[1.0], [-1.0]], batch_size=2)
    array([[0.5]])
    """
    gradients = as_matrix(per_sample_gradients, "per_sample_gradients")
    size = _batch_size(batch_size)
    centred = gradients - gradients.mean(axis=0)
    return centred.T @ centred / (gradients.shape[0] * size)


@dataclass(frozen=True)
class EigenbasisDiagonals:
    r"""Diagonals of :math:`H` and :math:`C` in the eigenbasis of :math:`H` (Eq. 16-17).

    Unpacks as ``h_diag, c_diag``. ``residual`` is :math:`\max|HU - U\Lambda|`.
    """

    h_diag: np.ndarray
    c_diag: np.ndarray
    basis: np.ndarray
    covariance_in_basis: np.ndarray
    residual: float

    def __iter__(self) -> Iterator[np.ndarray]:
        """Yield ``h_diag`` then ``c_diag``."""
        return iter((self.h_diag, self.c_diag))


def eigenbasis_diagonals(hessian: Any, covariance: Any) -> EigenbasisDiagonals:
    r"""Project :math:`C` onto the eigenbasis of :math:`H`: :math:`C_{ij} = u_i^\top C u_j`.

    Eigenvalues are sorted in descending order, so ``h_diag`` are the eigenvalues of
    :math:`H` (Sec. 2.2, E.2.2).

    Examples
    --------
    >>> h, c = eigenbasis_diagonals([[1.0, 0.0], [0.0, 3.0]], [[2.0, 0.0], [0.0, 5.0]])
    >>> h.tolist(), c.tolist()
    ([3.0, 1.0], [5.0, 2.0])
    """
    hessian_matrix = as_symmetric(hessian, "hessian")
    covariance_matrix = as_symmetric(covariance, "covariance", size=hessian_matrix.shape[0])
    values, vectors = np.linalg.eigh(hessian_matrix)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    projected = vectors.T @ covariance_matrix @ vectors
    residual = float(np.max(np.abs(hessian_matrix @ vectors - vectors * values)))
    return EigenbasisDiagonals(values, np.diag(projected).copy(), vectors, projected, residual)


def local_spectral_moments(
    per_sample_hessians: Any, basis: Any, weight_variance: float = 1.0, batch_size: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    r"""Eq. 15-16 through per-sample eigendecompositions, in the columns ``u_i`` of ``basis``.

    :math:`H_{ij} = \mathbb{E}_s\sum_k\lambda^s_k(u_i\cdot v^s_k)(u_j\cdot v^s_k)` and
    :math:`C_{ij} = \frac{\sigma_w^2}{b}\mathbb{E}_s\sum_k(\lambda^s_k)^2(u_i\cdot v^s_k)
    (u_j\cdot v^s_k)`. An independent computation path for Theorem 3.4 (Eq. 65-71).

    Examples
    --------
    >>> h, c = local_spectral_moments([[[2.0]]], [[1.0]])
    >>> float(h[0, 0]), float(c[0, 0])
    (2.0, 4.0)
    """
    stack = as_per_sample_hessians(per_sample_hessians)
    frame = as_matrix(basis, "basis", rows=stack.shape[1])
    variance = check_positive(weight_variance, "weight_variance")
    size = _batch_size(batch_size)
    values, vectors = np.linalg.eigh(stack)
    overlaps = np.einsum("pi,spk->sik", frame, vectors)  # (u_i . v_k^s)
    first = np.einsum("sk,sik,sjk->ij", values, overlaps, overlaps) / stack.shape[0]
    second = np.einsum("sk,sik,sjk->ij", values**2, overlaps, overlaps) / stack.shape[0]
    return first, variance / size * second


@dataclass(frozen=True)
class PSDReport:
    """Which per-sample Hessians are not PSD: count, most negative eigenvalue, tolerance."""

    samples: int
    not_psd: int
    most_negative: float
    tolerance: float
    lambda_max: float

    @property
    def all_psd(self) -> bool:
        """Whether every slice is PSD within ``tolerance`` (Theorem 5.1's assumption)."""
        return self.not_psd == 0


def per_sample_psd_report(per_sample_hessians: Any) -> PSDReport:
    r"""Count per-sample Hessians with an eigenvalue below :math:`-64\,p\,\epsilon\max_s|H_s|`.

    ``lambda_max`` is :math:`\max_{s,k}\lambda^s_k` (Theorem 5.1's uniform bound).

    Examples
    --------
    >>> per_sample_psd_report([[[1.0]], [[-2.0]]]).not_psd
    1
    """
    stack = as_per_sample_hessians(per_sample_hessians)
    values = np.linalg.eigvalsh(stack)
    largest = max(float(np.max(stack)), -float(np.min(stack)))  # max|H|, no |H| copy
    tolerance = 64.0 * stack.shape[1] * EPS * largest
    negative = values[:, 0] < -tolerance
    return PSDReport(
        samples=stack.shape[0],
        not_psd=int(np.count_nonzero(negative)),
        most_negative=float(np.min(values[:, 0])),
        tolerance=tolerance,
        lambda_max=float(np.max(values)),
    )


@dataclass(frozen=True)
class ElementwiseBounds:
    r"""Theorem 5.1 (1), Eq. 19: :math:`H_{ii}^2\le C_{ii}\le\lambda_{\max}H_{ii}`, no prefactor.

    ``lower_gap = C_ii - H_ii^2`` and ``upper_gap = lambda_max H_ii - C_ii`` (both >= 0 when the
    bounds hold); ``tolerance`` is the float64 round-off allowance per entry.
    """

    h_diag: np.ndarray
    c_diag: np.ndarray
    lambda_max: float
    lower_gap: np.ndarray
    upper_gap: np.ndarray
    tolerance: np.ndarray
    psd: PSDReport

    @property
    def lower_holds(self) -> bool:
        r""":math:`H_{ii}^2 \le C_{ii}` for every direction (within round-off)."""
        return bool(np.all(self.lower_gap >= -self.tolerance))

    @property
    def upper_holds(self) -> bool:
        r""":math:`C_{ii} \le \lambda_{\max} H_{ii}` for every direction (within round-off)."""
        return bool(np.all(self.upper_gap >= -self.tolerance))


def elementwise_alpha_bounds(per_sample_hessians: Any) -> ElementwiseBounds:
    r"""Both sides of Eq. 19 for :math:`C = \mathbb{E}_s H_s^2`, :math:`H = \mathbb{E}_s H_s`.

    No PSD requirement: the result reports (``psd``) whether Theorem 5.1's assumption holds,
    and the gaps say whether its conclusion holds anyway.

    Examples
    --------
    >>> bounds = elementwise_alpha_bounds([[[1.0]], [[3.0]]])
    >>> bounds.h_diag.tolist(), bounds.c_diag.tolist(), bounds.lambda_max
    ([2.0], [5.0], 3.0)
    """
    stack = as_per_sample_hessians(per_sample_hessians)
    hessian = stack.mean(axis=0)
    diagonals = eigenbasis_diagonals(hessian, awd_noise_covariance(stack))
    psd = per_sample_psd_report(stack)
    scale = float(np.max(np.abs(stack))) ** 2
    tolerance = np.full(diagonals.h_diag.shape, 64.0 * stack.shape[1] ** 2 * EPS * scale)
    return ElementwiseBounds(
        h_diag=diagonals.h_diag,
        c_diag=diagonals.c_diag,
        lambda_max=psd.lambda_max,
        lower_gap=diagonals.c_diag - diagonals.h_diag**2,
        upper_gap=psd.lambda_max * diagonals.h_diag - diagonals.c_diag,
        tolerance=tolerance,
        psd=psd,
    )
