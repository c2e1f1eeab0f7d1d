"""Fitting the scaling exponent of an approximation's error (the "≈" error laws).

A check that measures an error law sweeps a parameter (n, η, σ, width, ...) and fits the
slope of log(error) against log(parameter); the claim's stated law fixes the expected slope.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["gaussian_mean_square_stderr", "loglog_slope"]


def loglog_slope(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Least-squares slope of ``log y`` on ``log x`` (the measured exponent of a power law).

    Examples
    --------
    >>> round(loglog_slope([1, 2, 4, 8], [1.0, 0.25, 0.0625, 0.015625]), 12)
    -2.0
    """
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def gaussian_mean_square_stderr(
    response: np.ndarray, noise_std: float, draws: int, count: int
) -> float:
    r"""Standard error of the Monte Carlo mean of :math:`\|M\varepsilon\|^2/\mathrm{count}`.

    For :math:`\varepsilon \sim \mathcal{N}(0, \sigma^2 I)` one draw of
    :math:`Y = \varepsilon^\top A\varepsilon/\mathrm{count}`, :math:`A = M^\top M`, has
    :math:`\mathrm{Var}\,Y = 2\sigma^4\mathrm{Tr}(A^2)/\mathrm{count}^2`, so the mean of
    ``draws`` draws has standard error :math:`\sigma^2\sqrt{2\mathrm{Tr}(A^2)/R}/\mathrm{count}`.

    Examples
    --------
    >>> gaussian_mean_square_stderr(np.eye(2), noise_std=1.0, draws=4, count=2)
    0.5
    """
    quadratic = response.T @ response
    return float(noise_std**2 * np.sqrt(2.0 * np.sum(quadratic * quadratic) / draws) / count)
