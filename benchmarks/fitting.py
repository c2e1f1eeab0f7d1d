"""Log-log exponents for the benchmarks: geometric size sweeps and least-squares slopes."""

from __future__ import annotations

import math
import statistics

__all__ = ["geometric", "slope"]


def geometric(maximum: int, points: int, factor: float) -> list[int]:
    """``points`` sizes from ``maximum / factor^(points-1)`` up to ``maximum``."""
    return [round(maximum / factor ** (points - 1 - i)) for i in range(points)]


def slope(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) against log(size)."""
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)
