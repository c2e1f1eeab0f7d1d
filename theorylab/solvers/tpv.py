r"""Test prediction variance (paper 000): effective curvature, the TPV trace, label-noise TPV.

Conventions (paper 000, Eq. 6-7, 18-20): for a Jacobian with rows :math:`J(x)`,
:math:`H_{\mathrm{eff}}(X) = \frac{1}{|X|}\sum_{x\in X} J(x)^\top J(x)` and
:math:`\mathrm{TPV}(X) = \mathrm{Tr}(H_{\mathrm{eff}}(X)\,C)` for a parameter-perturbation
covariance :math:`C \succeq 0`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_psd, check_nonnegative
from theorylab.errors import ShapeError
from theorylab.solvers.linalg import compact_svd, jacobian_rows

__all__ = ["LabelNoiseTPV", "effective_curvature", "label_noise_tpv", "tpv_trace"]


def effective_curvature(jacobian: Any) -> np.ndarray:
    r"""Effective curvature :math:`H_{\mathrm{eff}} = \frac1n \sum_x J(x)^\top J(x)` (Eq. 7, 18).

    Parameters
    ----------
    jacobian
        Shape ``(n, p)`` (scalar outputs) or ``(n, K, p)`` (K outputs, summed).

    Returns
    -------
    numpy.ndarray
        The ``(p, p)`` symmetric PSD matrix.

    Examples
    --------
    >>> effective_curvature([[1.0, 0.0], [1.0, 2.0]])
    array([[1., 1.],
           [1., 2.]])
    """
    rows, sample_count = jacobian_rows(jacobian)
    return rows.T @ rows / sample_count


def tpv_trace(h_eff: Any, covariance: Any) -> float:
    r"""Test prediction variance :math:`\mathrm{Tr}(H_{\mathrm{eff}}\,C)` (Eq. 6, 20).

    Both matrices must be symmetric PSD of the same size.

    Raises
    ------
    NotPSDError
        If either matrix has a negative eigenvalue.
    ShapeError
        If the sizes differ.

    Examples
    --------
    >>> tpv_trace([[2.0, 0.0], [0.0, 1.0]], [[0.5, 0.0], [0.0, 3.0]])
    4.0
    """
    curvature = as_psd(h_eff, "h_eff")
    perturbation = as_psd(covariance, "covariance")
    if curvature.shape != perturbation.shape:
        raise ShapeError(
            f"h_eff and covariance must have the same shape, got {curvature.shape} "
            f"and {perturbation.shape}"
        )
    return float(np.sum(curvature * perturbation))


@dataclass(frozen=True)
class LabelNoiseTPV:
    r"""Label-noise TPV of the linearised model (paper 000, Theorem 3.2, App. C.1-C.2).

    Attributes
    ----------
    test
        :math:`\sigma^2 \sum_{i\le r} B_{ii}\, s_i^2/(s_i^2+\lambda)^2` — Eq. 39 for
        :math:`\lambda = 0` (where the factor is :math:`1/s_i^2`).
    train
        :math:`\frac{\sigma^2}{n} \sum_{i\le r} (s_i^2/(s_i^2+\lambda))^2` — App. C.2 (1);
        :math:`\sigma^2 r/n` for :math:`\lambda = 0` (C.2 (2a), (3)).
    singular_values
        The :math:`r` retained singular values :math:`s_i` of the training Jacobian.
    b_diagonal
        :math:`B_{ii} = v_i^\top H_{\mathrm{eff}}(X_{te}) v_i` (Eq. 37), one per :math:`s_i`.
    rank
        :math:`r`.
    rank_tolerance
        Singular values at or below this were treated as zero.
    noise_std, ridge
        :math:`\sigma_\varepsilon` and :math:`\lambda`.
    """

    test: float
    train: float
    singular_values: np.ndarray
    b_diagonal: np.ndarray
    rank: int
    rank_tolerance: float
    noise_std: float
    ridge: float

    @property
    def shrinkage(self) -> np.ndarray:
        r"""Per-direction factors :math:`s_i^2/(s_i^2+\lambda)^2` multiplying :math:`B_{ii}`."""
        squares = self.singular_values**2
        return squares / (squares + self.ridge) ** 2


def label_noise_tpv(
    jacobian_train: Any,
    jacobian_test: Any,
    noise_std: float,
    ridge: float = 0.0,
    rank_tolerance: float | None = None,
) -> LabelNoiseTPV:
    r"""Label-noise TPV on train and test inputs, for the min-norm (or ridge) linearised fit.

    The perturbation is the minimum-norm stationary point of
    :math:`\frac12\|J\delta w-\varepsilon\|^2 + \frac{\lambda}{2}\|\delta w\|^2` (Eq. 27, 31;
    App. C.2 (1)), :math:`\delta w = V_r\,\mathrm{diag}(s_i/(s_i^2+\lambda))\,U_r^\top
    \varepsilon`, with :math:`\mathbb{E}[\varepsilon\varepsilon^\top] = \sigma^2 I`. Then

    .. math::
        \mathrm{TPV}_{test} = \sigma^2 \sum_{i=1}^r B_{ii}\,\frac{s_i^2}{(s_i^2+\lambda)^2},
        \qquad B = V_r^\top H_{\mathrm{eff}}(X_{te}) V_r,

    which is Eq. 39 (:math:`\sigma^2\sum_i B_{ii}/s_i^2`) at :math:`\lambda = 0`.

    Rank cut-off: singular values :math:`\le \max(nK, p)\,\epsilon\,s_{\max}` are zero unless
    ``rank_tolerance`` is given. Cost :math:`O(\min(nK,p)\,nK\,p + n_{te}K\,p\,r)`; the
    :math:`p\times p` matrix :math:`H_{\mathrm{eff}}` is never formed.

    Parameters
    ----------
    jacobian_train
        Training Jacobian, ``(n, p)`` or ``(n, K, p)``.
    jacobian_test
        Test Jacobian with the same ``p`` (and ``K``).
    noise_std
        Label-noise standard deviation :math:`\sigma_\varepsilon \ge 0`.
    ridge
        :math:`\lambda \ge 0`; 0 gives the min-norm solution of Theorem 3.2.
    rank_tolerance
        Optional explicit singular-value cut-off.

    Raises
    ------
    ShapeError
        On arrays that are not 2-D/3-D, or train/test with different ``p`` or ``K``.
    NonFiniteError
        On NaN or infinite entries.
    ParameterError
        On negative ``noise_std`` or ``ridge``.

    Examples
    --------
    One sample, one parameter, ``J = [[2]]``, test Jacobian ``[[3]]``, :math:`\sigma = 1`:
    :math:`\delta w = \varepsilon/2`, so the test variance is :math:`9/4`.

    >>> result = label_noise_tpv([[2.0]], [[3.0]], noise_std=1.0)
    >>> result.test, result.train, result.rank
    (2.25, 1.0, 1)
    """
    train_rows, train_count = jacobian_rows(jacobian_train, "jacobian_train")
    test_rows, test_count = jacobian_rows(jacobian_test, "jacobian_test")
    train_shape = np.shape(jacobian_train)
    test_shape = np.shape(jacobian_test)
    if train_rows.shape[1] != test_rows.shape[1]:
        raise ShapeError(
            "jacobian_train and jacobian_test must have the same parameter count p, got "
            f"{train_rows.shape[1]} and {test_rows.shape[1]}"
        )
    if len(train_shape) != len(test_shape) or train_shape[1:-1] != test_shape[1:-1]:
        raise ShapeError(
            "jacobian_train and jacobian_test must have the same output layout, got shapes "
            f"{train_shape} and {test_shape}"
        )
    std = check_nonnegative(noise_std, "noise_std")
    ridge_value = check_nonnegative(ridge, "ridge")

    svd = compact_svd(train_rows, rank_tolerance)
    squares = svd.singular_values**2
    projected = test_rows @ svd.right  # rows b(x)^T, shape (n_te K, r)
    b_diagonal = np.sum(projected**2, axis=0) / test_count
    test = std**2 * float(np.sum(b_diagonal * squares / (squares + ridge_value) ** 2))
    train = std**2 * float(np.sum((squares / (squares + ridge_value)) ** 2)) / train_count
    return LabelNoiseTPV(
        test=test,
        train=train,
        singular_values=svd.singular_values,
        b_diagonal=b_diagonal,
        rank=svd.rank,
        rank_tolerance=svd.rank_tolerance,
        noise_std=std,
        ridge=ridge_value,
    )
