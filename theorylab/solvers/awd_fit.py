r"""Power-law fits of the AWD noise diagonals against curvature (paper 001, Sec. 4-5).

A power law :math:`C_{ii}\propto H_{ii}^\alpha` between the diagonals of
:mod:`theorylab.solvers.awd` (Eq. 16-17) is fitted by ordinary least squares of
:math:`\ln C_{ii}` on :math:`\ln H_{ii}` over a window of top directions (Sec. 4, Eq. 18);
:func:`window_slope_bounds` gives the sharp slope range the element-wise bounds of
Theorem 5.1 (Eq. 19) allow on that window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from theorylab.arrays import as_vector, check_positive
from theorylab.errors import ParameterError

__all__ = ["PowerLawFit", "fit_power_law", "window_slope_bounds"]

EPS = float(np.finfo(np.float64).eps)


def window_slope_bounds(log_h: Any, log_lambda_max: float) -> tuple[float, float]:
    r"""Sharp range of the OLS slope allowed by Eq. 19 on a window (corrected Theorem 5.1 (2)).

    With :math:`x_i = \ln H_{ii}` and :math:`y_i = x_i + t_i`, Eq. 19 reads
    :math:`x_i \le t_i \le L = \ln\lambda_{\max}`. The OLS slope is
    :math:`\hat\alpha = 1 + \sum_i (x_i-\bar x)t_i/S_{xx}`, linear in :math:`t`, so over the
    box its extremes sit at vertices:

    .. math:: \hat\alpha_{\max} = 1 + \frac{\sum_{x_i>\bar x}(x_i-\bar x)L
              + \sum_{x_i<\bar x}(x_i-\bar x)x_i}{S_{xx}},\quad
              \hat\alpha_{\min} = 1 + \frac{\sum_{x_i>\bar x}(x_i-\bar x)x_i
              + \sum_{x_i<\bar x}(x_i-\bar x)L}{S_{xx}}.

    Both contain [1, 2] and equal it only in degenerate windows.

    Examples
    --------
    >>> low, high = window_slope_bounds([np.log(0.01), np.log(0.1)], 0.0)
    >>> abs(round(low, 12)), round(high, 12)
    (0.0, 3.0)
    """
    x = as_vector(log_h, "log_h")
    ceiling = float(log_lambda_max)
    if np.any(x > ceiling + 1e-12 * max(1.0, abs(ceiling))):
        raise ParameterError("every ln H_ii must be <= ln lambda_max (H_ii <= lambda_max)")
    centred = x - x.mean()
    spread = float(centred @ centred)
    if x.size < 2 or spread == 0.0:
        raise ParameterError("the window needs at least two distinct H_ii values")
    above, below = centred > 0, centred < 0
    high = (np.sum(centred[above]) * ceiling + centred[below] @ x[below]) / spread
    low = (centred[above] @ x[above] + np.sum(centred[below]) * ceiling) / spread
    return 1.0 + float(low), 1.0 + float(high)


@dataclass(frozen=True)
class PowerLawFit:
    r"""OLS fit :math:`\ln C_{ii} = \alpha\ln H_{ii} + \text{intercept}` on a window (Eq. 18).

    ``ci`` is the two-sided t confidence interval of :math:`\alpha` at ``confidence``
    (infinite with two points); ``window`` is :math:`(\min H_{ii}, \max H_{ii})` of the points
    used; ``implied_bounds`` the sharp slope range Eq. 19 allows on that window
    (:func:`window_slope_bounds`), ``None`` without :math:`\lambda_{\max}`.
    """

    alpha: float
    intercept: float
    r2: float
    stderr: float
    ci: tuple[float, float]
    confidence: float
    window: tuple[float, float]
    points: int
    implied_bounds: tuple[float, float] | None
    dropped: int = 0
    """Directions of the window left out as non-positive (only with ``drop_nonpositive``)."""


def fit_power_law(
    h_diag: Any,
    c_diag: Any,
    *,
    top: int | None = None,
    lambda_max: float | None = None,
    confidence: float = 0.95,
    drop_nonpositive: bool = False,
) -> PowerLawFit:
    r"""Fit :math:`C_{ii} \propto H_{ii}^\alpha` over the ``top`` largest :math:`H_{ii}` (Sec. 4).

    The fit is in logs, so every :math:`H_{ii}` and :math:`C_{ii}` of the window (the ``top``
    largest :math:`H_{ii}`, default all) must be positive: above round-off,
    :math:`64\,p\,\epsilon` times their largest magnitude. A non-positive entry is refused
    with a :class:`ParameterError` naming it; ``drop_nonpositive=True`` leaves such
    directions out instead (null or negative-curvature directions, whose logs are noise or
    undefined) and counts them in ``dropped``. At least two distinct :math:`H_{ii}` are needed.

    Raises
    ------
    ShapeError
        If the two diagonals differ in length.
    ParameterError
        If a window entry is non-positive (without ``drop_nonpositive``), fewer than two
        usable points remain, or ``top``/``confidence`` are out of range.

    Examples
    --------
    >>> fit = fit_power_law([1.0, 2.0, 4.0], [3.0, 12.0, 48.0])
    >>> round(fit.alpha, 12), round(float(np.exp(fit.intercept)), 12), round(fit.r2, 12)
    (2.0, 3.0, 1.0)
    """
    h = as_vector(h_diag, "h_diag")
    c = as_vector(c_diag, "c_diag", length=h.size)
    if not 0.0 < float(confidence) < 1.0:
        raise ParameterError(f"confidence must lie in (0, 1), got {confidence!r}")
    order = np.argsort(h)[::-1]
    if top is not None:
        if isinstance(top, bool) or int(top) != top or top < 2:
            raise ParameterError(f"top must be an integer >= 2, got {top!r}")
        order = order[: int(top)]
    floor_h = 64.0 * h.size * EPS * float(np.max(np.abs(h)))
    floor_c = 64.0 * h.size * EPS * float(np.max(np.abs(c)))
    usable = (h[order] > floor_h) & (c[order] > floor_c)
    if not drop_nonpositive and not np.all(usable):
        first = int(order[np.argmin(usable)])
        count = int(usable.size - np.count_nonzero(usable))
        raise ParameterError(
            f"fit_power_law fits logs: {count} direction(s) of the window have H_ii or C_ii <= 0 "
            f"(up to round-off), e.g. index {first}: H_ii = {h[first]:.3g}, C_ii = "
            f"{c[first]:.3g}; pass drop_nonpositive=True to leave them out"
        )
    keep = order[usable]
    x, y = np.log(h[keep]), np.log(c[keep])
    if keep.size < 2 or np.ptp(x) == 0.0:
        raise ParameterError("need at least two directions with distinct H_ii > 0 and C_ii > 0")
    centred = x - x.mean()
    spread = float(centred @ centred)
    alpha = float(centred @ (y - y.mean()) / spread)
    intercept = float(y.mean() - alpha * x.mean())
    residuals = y - (alpha * x + intercept)
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - float(residuals @ residuals) / total if total > 0 else 1.0
    dof = keep.size - 2
    if dof > 0:
        stderr = float(np.sqrt(residuals @ residuals / dof / spread))
        half = float(stats.t.ppf(0.5 + confidence / 2.0, dof)) * stderr
    else:
        stderr, half = float("inf"), float("inf")
    implied = None
    if lambda_max is not None:
        implied = window_slope_bounds(x, float(np.log(check_positive(lambda_max, "lambda_max"))))
    return PowerLawFit(
        alpha=alpha,
        intercept=intercept,
        r2=r2,
        stderr=stderr,
        ci=(alpha - half, alpha + half),
        confidence=float(confidence),
        window=(float(np.min(h[keep])), float(np.max(h[keep]))),
        points=int(keep.size),
        implied_bounds=implied,
        dropped=int(order.size - keep.size),
    )
