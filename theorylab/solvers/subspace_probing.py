r"""Curvature-aligned probing of the one-sample loss increment (paper 003, Sec. 3-5, App. A).

Notation of the paper: sample losses :math:`\ell_i`, :math:`L_m = \frac1m\sum_{i\le m}\ell_i`,
:math:`w_k^*` a minimiser of :math:`L_k`, :math:`U_D` the top-:math:`D` eigenvectors of
:math:`H^{(k)}(w_k^*)` (descending eigenvalues), probe :math:`w = w_k^* + U_D z`,
:math:`z\sim\mathcal N(0,\sigma^2 I_D)`. The local quadratic model of the increment (Eq. 8)
in compressed coordinates (Lemma 1, Eq. 9) is

.. math:: L_{k+1}(w) - L_k(w) \approx a_k + c_k^\top z + \tfrac12 z^\top B_k z,\qquad
          c_k = U_D^\top g^{(k+1)}(w_k^*),\quad B_k = U_D^\top (H^{(k+1)} - H^{(k)}) U_D .

Three estimators of :math:`\Delta_2^{(D)} = \mathbb E[(L_{k+1}-L_k)^2]` (Sec. 5): direct
Monte Carlo on the true increment (Eq. 11, :func:`direct_monte_carlo`), Monte Carlo of the
quadratic surrogate (Eq. 13, :func:`quadratic_monte_carlo`) and the closed-form Gaussian
moment (Eq. 15, :func:`gaussian_moment_criterion`). Theorem 2's bound is
:func:`subspace_rate_bound`, Corollary 4's closed form :func:`spectral_criterion`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from theorylab.arrays import as_matrix, as_symmetric, as_vector, check_positive
from theorylab.errors import NonFiniteError, ParameterError, ShapeError

__all__ = [
    "CompressedIncrement",
    "MonteCarloEstimate",
    "compress_increment",
    "direct_monte_carlo",
    "gaussian_moment_criterion",
    "quadratic_monte_carlo",
    "spectral_criterion",
    "subspace_rate_bound",
    "top_eigenspace",
]


@dataclass(frozen=True)
class CompressedIncrement:
    r"""The quadratic surrogate's coefficients :math:`(a_k, c_k, B_k)` in a probe basis.

    Attributes
    ----------
    value_gap : float
        :math:`a_k = L_{k+1}(w_k^*) - L_k(w_k^*)`.
    gradient : numpy.ndarray
        :math:`c_k = U^\top g^{(k+1)}(w_k^*)`, shape ``(D,)``.
    hessian : numpy.ndarray
        :math:`B_k = U^\top A_k U`, shape ``(D, D)``, symmetric.
    basis : numpy.ndarray
        The orthonormal probe basis :math:`U`, shape ``(N, D)``.
    """

    value_gap: float
    gradient: np.ndarray
    hessian: np.ndarray
    basis: np.ndarray

    def criterion(self, sigma: float) -> float:
        """Gaussian-moment value (Eq. 15) of this surrogate at scale ``sigma``."""
        return gaussian_moment_criterion(self.value_gap, self.gradient, self.hessian, sigma)


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A Monte Carlo mean with its standard error and sample count."""

    mean: float
    stderr: float
    samples: int


def _scalar(value: float, name: str) -> float:
    number = float(value)
    if not np.isfinite(number):
        raise NonFiniteError(f"{name} must be finite, got {number}")
    return number


def _surrogate(
    value_gap: float, gradient: object, hessian: object, sigma: float
) -> tuple[float, np.ndarray, np.ndarray, float]:
    gap = _scalar(value_gap, "value_gap")
    scale = check_positive(sigma, "sigma")
    matrix = as_symmetric(hessian, "hessian")
    vector = as_vector(gradient, "gradient", length=matrix.shape[0])
    return gap, vector, matrix, scale


def gaussian_moment_criterion(
    value_gap: float, gradient: object, hessian: object, sigma: float
) -> float:
    r"""Closed-form Gaussian moment of the quadratic surrogate (paper 003, Eq. 14-15).

    .. math:: \hat\Delta_{\rm GM} = \mathbb E_{z\sim\mathcal N(0,\sigma^2 I_D)}
              \big[(a + c^\top z + \tfrac12 z^\top B z)^2\big]
              = a^2 + a\sigma^2\operatorname{Tr}B + \sigma^2\|c\|^2
              + \tfrac{\sigma^4}{4}\big(2\operatorname{Tr}B^2 + (\operatorname{Tr}B)^2\big).

    Parameters
    ----------
    value_gap : float
        :math:`a_k`.
    gradient : array_like, shape (D,)
        :math:`c_k` (compressed coordinates).
    hessian : array_like, shape (D, D)
        :math:`B_k`, symmetric (any sign).
    sigma : float
        Probe scale :math:`\sigma > 0`.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        If ``sigma <= 0``.
    ShapeError, NotSymmetricError, NonFiniteError
        For mismatched shapes, a non-symmetric ``hessian`` or NaN/inf entries.

    Examples
    --------
    ``a = 1, c = 0, B = [[2]], sigma = 1``: :math:`1 + 2 + (2\cdot4 + 4)/4 = 6`.

    >>> gaussian_moment_criterion(1.0, [0.0], [[2.0]], 1.0)
    6.0
    """
    gap, vector, matrix, scale = _surrogate(value_gap, gradient, hessian, sigma)
    variance = scale**2
    trace = float(np.trace(matrix))
    frobenius = float(np.sum(matrix * matrix))
    return float(
        gap**2
        + gap * variance * trace
        + variance * float(vector @ vector)
        + variance**2 / 4.0 * (2.0 * frobenius + trace**2)
    )


def quadratic_monte_carlo(
    value_gap: float,
    gradient: object,
    hessian: object,
    sigma: float,
    samples: int,
    rng: np.random.Generator,
) -> MonteCarloEstimate:
    r"""Monte Carlo of the quadratic surrogate (paper 003, Eq. 13).

    :math:`\frac1R\sum_r (a + c^\top z_r + \frac12 z_r^\top B z_r)^2`,
    :math:`z_r\sim\mathcal N(0,\sigma^2 I_D)` drawn from ``rng``.

    Examples
    --------
    With :math:`c = 0`, :math:`B = 0` every draw equals :math:`a^2`:

    >>> quadratic_monte_carlo(2.0, [0.0], [[0.0]], 1.0, 8, np.random.default_rng(0)).mean
    4.0
    """
    gap, vector, matrix, scale = _surrogate(value_gap, gradient, hessian, sigma)
    count = _sample_count(samples)
    draws = scale * rng.standard_normal((count, vector.shape[0]))
    values = gap + draws @ vector + 0.5 * np.einsum("ri,ij,rj->r", draws, matrix, draws)
    return _estimate(values**2)


def _sample_count(samples: int) -> int:
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 2:
        raise ParameterError(f"samples must be an int >= 2, got {samples!r}")
    return int(samples)


def _estimate(values: np.ndarray) -> MonteCarloEstimate:
    return MonteCarloEstimate(
        mean=float(np.mean(values)),
        stderr=float(np.std(values, ddof=1) / np.sqrt(values.shape[0])),
        samples=int(values.shape[0]),
    )


def direct_monte_carlo(
    increment: Callable[[np.ndarray], np.ndarray],
    center: object,
    basis: object,
    sigma: float,
    samples: int,
    rng: np.random.Generator,
) -> MonteCarloEstimate:
    r"""Direct Monte Carlo of the true criterion (paper 003, Eq. 4 / Eq. 11).

    :math:`\frac1R\sum_r \big(L_{k+1}(w_r) - L_k(w_r)\big)^2`,
    :math:`w_r = w_k^* + U z_r`, :math:`z_r\sim\mathcal N(0,\sigma^2 I_D)`.

    Parameters
    ----------
    increment : callable
        Maps points ``(R, N)`` to increments :math:`L_{k+1}(w) - L_k(w)`, shape ``(R,)``.
    center : array_like, shape (N,)
        :math:`w_k^*`.
    basis : array_like, shape (N, D)
        Orthonormal columns :math:`U` (``D <= N``).
    sigma : float
        Probe scale, ``> 0``.
    samples : int
        :math:`R \ge 2`.
    rng : numpy.random.Generator

    Examples
    --------
    A constant increment 3 gives 9 for any probe:

    >>> direct_monte_carlo(lambda w: np.full(len(w), 3.0), [0.0, 0.0], np.eye(2)[:, :1],
    ...                    0.5, 4, np.random.default_rng(0)).mean
    9.0
    """
    point = as_vector(center, "center")
    frame = _orthonormal_basis(basis, point.shape[0])
    scale = check_positive(sigma, "sigma")
    count = _sample_count(samples)
    draws = scale * rng.standard_normal((count, frame.shape[1]))
    values = np.asarray(increment(point + draws @ frame.T), dtype=np.float64).reshape(-1)
    if values.shape[0] != count:
        raise ShapeError(f"increment must return {count} values, got {values.shape[0]}")
    if not np.all(np.isfinite(values)):
        raise NonFiniteError("increment returned NaN or infinite values")
    return _estimate(values**2)


def _orthonormal_basis(basis: object, ambient: int) -> np.ndarray:
    frame = as_matrix(basis, "basis", rows=ambient)
    if frame.shape[1] > ambient:
        raise ShapeError(f"subspace dimension D={frame.shape[1]} exceeds N={ambient}")
    gram_error = float(np.max(np.abs(frame.T @ frame - np.eye(frame.shape[1]))))
    if gram_error > 1e-8:
        raise ParameterError(f"basis columns must be orthonormal: max |UᵀU - I| = {gram_error:.3g}")
    return frame


def top_eigenspace(hessian: object, dimension: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Top-:math:`D` eigenpairs of a symmetric matrix, descending (the paper's :math:`U_D`).

    Returns ``(eigenvalues (D,), eigenvectors (N, D))``.

    Raises
    ------
    ParameterError
        If ``dimension`` is not in ``1..N`` (``D > N`` is impossible).

    Examples
    --------
    >>> values, vectors = top_eigenspace([[1.0, 0.0], [0.0, 3.0]], 1)
    >>> values.tolist(), np.abs(vectors[:, 0]).tolist()
    ([3.0], [0.0, 1.0])
    """
    matrix = as_symmetric(hessian, "hessian")
    size = matrix.shape[0]
    if isinstance(dimension, bool) or not isinstance(dimension, int | np.integer):
        raise ParameterError(f"dimension must be an int, got {dimension!r}")
    if not 1 <= dimension <= size:
        raise ParameterError(f"dimension must lie in 1..N={size}, got {dimension}")
    values, vectors = np.linalg.eigh(matrix)
    order = np.argsort(values)[::-1][:dimension]
    return values[order], vectors[:, order]


def compress_increment(
    value_gap: float, gradient: object, hessian_difference: object, basis: object
) -> CompressedIncrement:
    r"""Compressed coefficients of Lemma 1: :math:`c = U^\top g`, :math:`B = U^\top A U`.

    Parameters
    ----------
    value_gap : float
        :math:`a_k`.
    gradient : array_like, shape (N,)
        :math:`g^{(k+1)}(w_k^*)`.
    hessian_difference : array_like, shape (N, N)
        :math:`A_k = H^{(k+1)}(w_k^*) - H^{(k)}(w_k^*)`, symmetric.
    basis : array_like, shape (N, D)
        Orthonormal columns, ``D <= N``.

    Examples
    --------
    >>> compressed = compress_increment(0.5, [1.0, 2.0], [[1.0, 0.0], [0.0, 4.0]], [[0.0], [1.0]])
    >>> compressed.gradient.tolist(), compressed.hessian.tolist()
    ([2.0], [[4.0]])
    """
    gap = _scalar(value_gap, "value_gap")
    matrix = as_symmetric(hessian_difference, "hessian_difference")
    vector = as_vector(gradient, "gradient", length=matrix.shape[0])
    frame = _orthonormal_basis(basis, matrix.shape[0])
    compressed = frame.T @ matrix @ frame
    return CompressedIncrement(
        value_gap=gap,
        gradient=frame.T @ vector,
        hessian=0.5 * (compressed + compressed.T),
        basis=frame,
    )


def subspace_rate_bound(
    loss_bound: float,
    gradient_bound: float,
    hessian_bound: float,
    sigma: float,
    dimension: int,
    k: int,
) -> float:
    r"""Theorem 2 (paper 003, Eq. 10): the bound on :math:`\Delta_2^{(D)}(k+1)`.

    .. math:: \Delta_2^{(D)}(k+1) \le \frac{12M_\ell^2 + 3\sigma^2M_g^2
              + 3\sigma^4(D^2+2D)M_H^2}{(k+1)^2}.

    The full-space criterion uses ``dimension = N``.

    Raises
    ------
    ParameterError
        For negative bounds, ``sigma <= 0``, ``dimension < 1`` or ``k < 1``.

    Examples
    --------
    :math:`M_\ell = M_g = M_H = \sigma = D = 1`, :math:`k = 1`: :math:`(12 + 3 + 9)/4 = 6`.

    >>> subspace_rate_bound(1.0, 1.0, 1.0, 1.0, 1, 1)
    6.0
    """
    bounds = []
    for value, name in ((loss_bound, "loss_bound"), (gradient_bound, "gradient_bound"),
                        (hessian_bound, "hessian_bound")):
        number = _scalar(value, name)
        if number < 0:
            raise ParameterError(f"{name} must be >= 0, got {number:g}")
        bounds.append(number)
    scale = check_positive(sigma, "sigma")
    for value, name in ((dimension, "dimension"), (k, "k")):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ParameterError(f"{name} must be an int >= 1, got {value!r}")
    loss, gradient, hessian = bounds
    numerator = (
        12.0 * loss**2
        + 3.0 * scale**2 * gradient**2
        + 3.0 * scale**4 * (dimension**2 + 2 * dimension) * hessian**2
    )
    return float(numerator / (k + 1) ** 2)


def spectral_criterion(
    eigenvalue_increments: object, sigma: float, indices: object = None
) -> float:
    r"""Corollary 4 / Lemma 5 (paper 003, Eq. 16-17): the pure quadratic signal.

    .. math:: \Delta_2^{(S)} = \frac{\sigma^4}{4}\Big(2\sum_{i\in S}\delta_i^2
              + \big(\sum_{i\in S}\delta_i\big)^2\Big),

    :math:`\delta_i` the eigenvalue increments along the common eigenbasis, :math:`S` the
    probed index set (default: all given increments, i.e. :math:`S = \{1..D\}`).

    Raises
    ------
    ParameterError
        If ``sigma <= 0`` or ``indices`` repeats or leaves the range.

    Examples
    --------
    :math:`\delta = (1, 1)`, :math:`\sigma = 1`: :math:`(2\cdot2 + 4)/4 = 2`.

    >>> spectral_criterion([1.0, 1.0], 1.0)
    2.0
    """
    increments = as_vector(eigenvalue_increments, "eigenvalue_increments")
    scale = check_positive(sigma, "sigma")
    if indices is not None:
        chosen = np.asarray(indices)
        if chosen.ndim != 1 or not np.issubdtype(chosen.dtype, np.integer):
            raise ParameterError("indices must be a 1-D sequence of ints")
        if len(set(chosen.tolist())) != chosen.shape[0]:
            raise ParameterError(f"indices must be distinct, got {chosen.tolist()}")
        if chosen.size and (chosen.min() < 0 or chosen.max() >= increments.shape[0]):
            raise ParameterError(f"indices must lie in 0..{increments.shape[0] - 1}")
        increments = increments[chosen]
    total = float(np.sum(increments))
    return float(scale**4 / 4.0 * (2.0 * float(increments @ increments) + total**2))
