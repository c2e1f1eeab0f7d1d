r"""Soft rank, TIC and the soft-rank gap estimate (paper 004, "Flatness After All?").

Conventions (paper 004, Sec. 2): for a PSD matrix :math:`S` and an SPD regulariser
:math:`\Lambda` (a positive scalar :math:`\lambda` means :math:`\lambda I`),

.. math::
    P_\Lambda(S) = S(S+\Lambda)^{-1},\qquad
    \mathrm{rank}_\Lambda(S) = \mathrm{Tr}\,P_\Lambda(S),\qquad
    \mathrm{rank}^{(2)}_\Lambda(S) = \mathrm{Tr}\,P_\Lambda(S)^2 .

Both are trace functions of :math:`M = \Lambda^{-1/2} S \Lambda^{-1/2}` (App. C):
:math:`\mathrm{rank}_\Lambda(S) = \sum_i \mu_i/(\mu_i+1)` and
:math:`\mathrm{rank}^{(2)}_\Lambda(S) = \sum_i \mu_i^2/(\mu_i+1)^2`, :math:`\mu_i` the
eigenvalues of :math:`M`; that is how they are computed here (stable for any rank of S).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_array, as_matrix, as_psd, as_vector, check_positive
from theorylab.errors import NotPSDError, ParameterError, ShapeError
from theorylab.numerics import roundoff_tolerance

__all__ = [
    "ErrorUncertaintyRatio",
    "SoftRankGapEstimate",
    "block_diagonal_part",
    "error_uncertainty_ratio",
    "log_det_complexity",
    "regularizer_matrix",
    "relative_eigenvalues",
    "soft_rank",
    "soft_rank_gap_estimate",
    "soft_rank_squared",
    "tic_gap",
]


def regularizer_matrix(regularization: Any, size: int) -> np.ndarray:
    r"""Return :math:`\Lambda` as an SPD ``(size, size)`` matrix (a scalar means :math:`\lambda I`).

    Raises
    ------
    ParameterError
        A scalar :math:`\lambda \le 0` (or NaN via :class:`NonFiniteError`).
    NotPSDError
        A matrix that is not symmetric positive definite.
    ShapeError
        A matrix of the wrong size.
    """
    if np.ndim(regularization) == 0:
        return check_positive(regularization, "regularization") * np.eye(size)
    matrix = as_psd(regularization, "regularization", size=size)
    smallest = float(np.linalg.eigvalsh(matrix)[0])
    margin = roundoff_tolerance(matrix, symmetric=True)  # λ_min within it: singular
    if smallest <= margin:
        raise NotPSDError(
            f"regularization must be positive definite: smallest eigenvalue {smallest:.3g} "
            f"<= roundoff margin {margin:.2g}"
        )
    return matrix


def relative_eigenvalues(matrix: Any, regularization: Any) -> np.ndarray:
    r"""Eigenvalues :math:`\mu_i \ge 0` of :math:`\Lambda^{-1/2} S \Lambda^{-1/2}` (App. C).

    Raises
    ------
    NotPSDError
        If ``matrix`` is not PSD or ``regularization`` is not SPD.
    """
    psd = as_psd(matrix, "matrix")
    lam = regularizer_matrix(regularization, psd.shape[0])
    values, vectors = np.linalg.eigh(lam)
    inverse_root = (vectors / np.sqrt(values)) @ vectors.T
    relative = inverse_root @ psd @ inverse_root
    return np.clip(np.linalg.eigvalsh(0.5 * (relative + relative.T)), 0.0, None)


def soft_rank(matrix: Any, regularization: Any) -> float:
    r"""Soft rank :math:`\mathrm{rank}_\Lambda(S) = \mathrm{Tr}(S(S+\Lambda)^{-1})` (Sec. 2).

    Parameters
    ----------
    matrix : array_like, (d, d)
        PSD :math:`S` (e.g. the Fisher information :math:`F(\theta^*)`).
    regularization : float or array_like (d, d)
        :math:`\lambda > 0` (meaning :math:`\lambda I`) or an SPD :math:`\Lambda`.

    Returns
    -------
    float
        :math:`\sum_i \mu_i/(\mu_i+1) \in [0, \mathrm{rank}\,S]`.

    Raises
    ------
    NotPSDError, ParameterError, ShapeError, NonFiniteError
        Non-PSD S, non-SPD Λ, λ ≤ 0, wrong shapes, NaN.

    Examples
    --------
    >>> soft_rank([[1.0, 0.0], [0.0, 3.0]], 1.0)  # 1/2 + 3/4
    1.25
    """
    mu = relative_eigenvalues(matrix, regularization)
    return float(np.sum(mu / (mu + 1.0)))


def soft_rank_squared(matrix: Any, regularization: Any) -> float:
    r"""Squared soft rank :math:`\mathrm{rank}^{(2)}_\Lambda(S) = \mathrm{Tr}(P_\Lambda(S)^2)`.

    Examples
    --------
    >>> soft_rank_squared([[1.0, 0.0], [0.0, 3.0]], 1.0)  # 1/4 + 9/16
    0.8125
    """
    mu = relative_eigenvalues(matrix, regularization)
    return float(np.sum((mu / (mu + 1.0)) ** 2))


def log_det_complexity(matrix: Any, regularization: Any) -> float:
    r"""Bayesian complexity :math:`\tfrac12\log\det(\Lambda^{-1/2}S\Lambda^{-1/2}+I)` (App. B).

    Examples
    --------
    >>> round(log_det_complexity([[3.0]], 1.0), 6)  # log(2)
    0.693147
    """
    mu = relative_eigenvalues(matrix, regularization)
    return float(0.5 * np.sum(np.log1p(mu)))


def tic_gap(gradient_covariance: Any, hessian: Any) -> float:
    r"""Takeuchi information criterion :math:`\mathrm{Tr}(C H^{-1})` (Eq. 1, TIC).

    ``hessian`` must be symmetric positive definite (the regularised
    :math:`H_\kappa(\theta^*)` at a strict local minimum); ``gradient_covariance`` PSD.

    Examples
    --------
    >>> tic_gap([[2.0, 0.0], [0.0, 1.0]], [[4.0, 0.0], [0.0, 1.0]])  # 2/4 + 1/1
    1.5
    """
    covariance = as_psd(gradient_covariance, "gradient_covariance")
    curvature = regularizer_matrix(
        as_psd(hessian, "hessian", size=covariance.shape[0]), covariance.shape[0]
    )
    return float(np.trace(np.linalg.solve(curvature, covariance)))


@dataclass(frozen=True)
class SoftRankGapEstimate:
    r"""Eq. 8 gap estimate with its parts (trace ratio, soft rank, regularised TIC)."""

    estimate: float
    trace_ratio: float
    soft_rank: float
    regularized_tic: float
    r""":math:`\mathrm{Tr}(C(F+\Lambda)^{-1})`, the middle line of the Eq. 8 derivation."""


def soft_rank_gap_estimate(
    gradient_covariance: Any, fisher: Any, regularization: Any
) -> SoftRankGapEstimate:
    r"""Eq. 8 gap estimate :math:`\frac{\mathrm{Tr}(C)}{\mathrm{Tr}(F)}\,\mathrm{rank}_\Lambda(F)`.

    Raises
    ------
    ParameterError
        If :math:`\mathrm{Tr}\,F = 0` (the ratio is undefined).

    Examples
    --------
    >>> soft_rank_gap_estimate([[2.0]], [[1.0]], 1.0).estimate  # (2/1) * 1/2
    1.0
    """
    covariance = as_psd(gradient_covariance, "gradient_covariance")
    information = as_psd(fisher, "fisher", size=covariance.shape[0])
    lam = regularizer_matrix(regularization, covariance.shape[0])
    trace_f = float(np.trace(information))
    if trace_f <= 0:
        raise ParameterError("fisher has zero trace: Tr(C)/Tr(F) is undefined")
    ratio = float(np.trace(covariance)) / trace_f
    rank = soft_rank(information, lam)
    middle = float(np.trace(np.linalg.solve(information + lam, covariance)))
    return SoftRankGapEstimate(ratio * rank, ratio, rank, middle)


@dataclass(frozen=True)
class ErrorUncertaintyRatio:
    r"""Error (MSE) and uncertainty of Sec. 5, and their ratio."""

    mse: float
    uncertainty: float
    ratio: float
    max_confidence_gap: float
    r""":math:`\max_s (1 - \hat y_{s,i_s})`, the smallest ε for which Prop. 5.4 applies."""


def error_uncertainty_ratio(probabilities: Any, labels: Any) -> ErrorUncertaintyRatio:
    r"""Error/uncertainty ratio :math:`\alpha = \mathrm{MSE}/\mathrm{Uncertainty}` (Prop. 5.3-5.4).

    Parameters
    ----------
    probabilities : array_like, (m, K)
        Rows are probability vectors :math:`\hat y` (non-negative, summing to 1 within
        :math:`10^{-9}`).
    labels : array_like of int, (m,)
        Class indices :math:`i` (:math:`y = \mathrm{onehot}(i)`).

    Raises
    ------
    ParameterError
        Rows not on the simplex, labels out of range, or zero uncertainty (all one-hot).

    Examples
    --------
    >>> r = error_uncertainty_ratio([[0.75, 0.25]], [0])  # MSE 1/8, Uncertainty 3/8
    >>> round(r.ratio, 12)
    0.333333333333
    """
    probs = as_matrix(probabilities, "probabilities")
    label_array = as_array(labels, "labels")
    if label_array.ndim != 1 or label_array.shape[0] != probs.shape[0]:
        raise ShapeError(f"labels must have shape ({probs.shape[0]},), got {label_array.shape}")
    classes = probs.shape[1]
    if np.any(label_array != np.round(label_array)) or np.any(
        (label_array < 0) | (label_array >= classes)
    ):
        raise ParameterError(f"labels must be integers in [0, {classes - 1}]")
    if np.any(probs < 0) or np.any(np.abs(probs.sum(axis=1) - 1.0) > 1e-9):
        raise ParameterError("probabilities must be non-negative rows summing to 1")
    index = label_array.astype(int)
    onehot = np.eye(classes)[index]
    mse = float(np.mean(np.sum((onehot - probs) ** 2, axis=1)))
    uncertainty = float(np.mean(1.0 - np.sum(probs**2, axis=1)))
    if uncertainty <= 0:
        raise ParameterError("uncertainty is 0 (all predictions one-hot): ratio undefined")
    gap = float(np.max(1.0 - probs[np.arange(len(index)), index]))
    return ErrorUncertaintyRatio(mse, uncertainty, mse / uncertainty, gap)


def block_diagonal_part(matrix: Any, block_sizes: Any) -> np.ndarray:
    r"""Pinching :math:`\mathcal{P}(A) = \sum_i D_i A D_i` (Def. C.1): keep the diagonal blocks.

    Examples
    --------
    >>> block_diagonal_part(np.ones((3, 3)), [1, 2]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    """
    square = as_matrix(matrix, "matrix")
    sizes = as_vector(block_sizes, "block_sizes")
    if np.any(sizes < 1) or np.any(sizes != np.round(sizes)) or sizes.sum() != square.shape[0]:
        raise ShapeError(
            f"block_sizes {sizes.tolist()} must be positive and sum to {square.shape[0]}"
        )
    if square.shape[0] != square.shape[1]:
        raise ShapeError(f"matrix must be square, got {square.shape}")
    result = np.zeros_like(square)
    start = 0
    for size in sizes.astype(int):
        block = slice(start, start + size)
        result[block, block] = square[block, block]
        start += size
    return result
