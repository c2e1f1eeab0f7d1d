r"""Rank statistics of ``softrank.empirical`` (Table 1, Fig. 4): Kendall τ and its bootstrap.

:func:`kendall_tau_b` is a vectorised :math:`\tau_b` over bootstrap resamples;
:func:`bootstrap_kendall` adds a percentile CI to scipy's τ; :func:`moving_window_kendall`
and :func:`half_split_advantage` measure how τ changes along a sorted key (Fig. 4).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BOOTSTRAP",
    "bootstrap_kendall",
    "half_split_advantage",
    "kendall_tau_b",
    "moving_window_kendall",
]

BOOTSTRAP = 1000


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""Kendall :math:`\tau_b` of the rows of ``x``, ``y`` (shape ``(B, n)``), vectorised.

    :math:`\tau_b = (n_c - n_d)/\sqrt{(n_0-n_1)(n_0-n_2)}` with :math:`n_1, n_2` the pairs tied
    in x, y — the statistic of :func:`scipy.stats.kendalltau` (checked in the tests).
    """
    sx = np.sign(x[:, :, None] - x[:, None, :])
    sy = np.sign(y[:, :, None] - y[:, None, :])
    pairs = x.shape[1] * (x.shape[1] - 1) / 2
    ties_x = pairs - np.count_nonzero(sx, axis=(1, 2)) / 2
    ties_y = pairs - np.count_nonzero(sy, axis=(1, 2)) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sx * sy).sum(axis=(1, 2)) / 2 / np.sqrt((pairs - ties_x) * (pairs - ties_y))


def bootstrap_kendall(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator, draws: int = BOOTSTRAP
) -> tuple[float, float, float]:
    """Kendall τ (scipy) and a percentile bootstrap 95% CI over the paired samples."""
    from scipy.stats import kendalltau

    tau = float(kendalltau(x, y).statistic)
    index = rng.integers(0, len(x), (draws, len(x)))
    samples = kendall_tau_b(x[index], y[index])
    samples = samples[np.isfinite(samples)]
    low, high = np.percentile(samples, [2.5, 97.5]) if samples.size else (np.nan, np.nan)
    return tau, float(low), float(high)


def moving_window_kendall(order: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[float]:
    """τ(x, y) in windows covering 50% of the points, sorted by ``order`` (Fig. 4)."""
    from scipy.stats import kendalltau

    sort = np.argsort(order)
    width = max(3, len(order) // 2)
    return [
        float(kendalltau(x[sort[i : i + width]], y[sort[i : i + width]]).statistic)
        for i in range(len(order) - width + 1)
    ]


def half_split_advantage(
    key: np.ndarray,
    measure: np.ndarray,
    gap: np.ndarray,
    rng: np.random.Generator,
    draws: int = BOOTSTRAP,
) -> tuple[float, float, float]:
    """τ(measure, gap) on the half with the smaller ``key`` minus τ on the other half, with a CI.

    The bootstrap resamples nets and re-splits each resample at its own median key.
    """

    def advantage(index: np.ndarray) -> float:
        order = index[np.argsort(key[index], kind="stable")]
        half = len(order) // 2
        low = kendall_tau_b(measure[order[:half]][None], gap[order[:half]][None])[0]
        high = kendall_tau_b(measure[order[half:]][None], gap[order[half:]][None])[0]
        return float(low - high)

    point = advantage(np.arange(len(key)))
    samples = np.array([advantage(rng.integers(0, len(key), len(key))) for _ in range(draws)])
    samples = samples[np.isfinite(samples)]
    return point, float(np.percentile(samples, 2.5)), float(np.percentile(samples, 97.5))
