"""Fitting the scaling exponent of an approximation's error (the "≈" error laws).

A check that measures an error law sweeps a parameter (n, η, σ, width, ...) and fits the
slope of log(error) against log(parameter); the claim's stated law fixes the expected slope.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["loglog_slope"]


def loglog_slope(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Least-squares slope of ``log y`` on ``log x`` (the measured exponent of a power law).

    Examples
    --------
    >>> round(loglog_slope([1, 2, 4, 8], [1.0, 0.25, 0.0625, 0.015625]), 12)
    -2.0
    """
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])
