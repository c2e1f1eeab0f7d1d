r"""Two-level (training seed, then sample) bootstrap of a statistic averaged over seeds.

An experiment is repeated for :math:`S` training seeds; on seed :math:`s` a statistic
:math:`\hat\theta_s \in \mathbb{R}^K` (e.g. the fitted exponents :math:`(\alpha,
\alpha_{\rm AWD})` of paper 001, Table 1) is computed from its :math:`n_s` samples, and
:math:`B` within-seed bootstrap replicates :math:`\hat\theta_s^{*b}` (samples resampled with
replacement, :math:`b = 1..B`) are available. The quantity of interest is the mean over
training seeds,

.. math::

    \bar\theta = \frac{1}{S}\sum_{s=1}^{S}\hat\theta_s .

A two-level (hierarchical) bootstrap replicate resamples the seeds with replacement,
:math:`c_1..c_S \sim \mathrm{Uniform}\{1..S\}`, then the samples within each chosen seed:

.. math::

    \bar\theta^{*m} = \frac{1}{S}\sum_{k=1}^{S}\hat\theta_{c_k}^{*\,r(m,k)},
    \qquad r(m, k) = (m + k) \bmod B ,

so that a seed drawn twice in one replicate gets two different (independent) sample
resamples, and every within-seed replicate is used equally often. Its percentile interval
contains both the seed-to-seed spread and the within-seed sampling noise; a linear contrast
(e.g. :math:`\alpha_{\rm AWD} - \alpha`) is bootstrapped paired, from the same draws.

Limits (exact, tested): with zero within-seed noise the replicates are the ordinary
bootstrap of the seed means; with one seed and ``resamples = B`` they are the within-seed
replicates themselves, so the interval is the samples-only one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_array
from theorylab.errors import ParameterError, ShapeError

__all__ = ["HierarchicalBootstrap", "hierarchical_bootstrap"]

Contrast = int | Sequence[float] | np.ndarray


def _project(values: np.ndarray, contrast: Contrast) -> np.ndarray:
    """Column ``contrast`` of ``values`` (last axis), or its linear combination."""
    if isinstance(contrast, int | np.integer):
        if not -values.shape[-1] <= int(contrast) < values.shape[-1]:
            raise ParameterError(
                f"contrast column {contrast} out of range for {values.shape[-1]} statistics"
            )
        return values[..., int(contrast)]
    weights = as_array(contrast, "contrast")
    if weights.shape != (values.shape[-1],):
        raise ShapeError(
            f"contrast must have {values.shape[-1]} weights, got shape {weights.shape}"
        )
    return values @ weights


def _percentile_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    if not 0.0 < level < 1.0:
        raise ParameterError(f"level must lie in (0, 1), got {level}")
    tail = (1.0 - level) / 2.0
    return float(np.quantile(values, tail)), float(np.quantile(values, 1.0 - tail))


@dataclass(frozen=True)
class HierarchicalBootstrap:
    r"""Seed-averaged statistic with its two-level and its samples-only bootstrap draws.

    Attributes
    ----------
    per_seed : numpy.ndarray, shape (S, K)
        :math:`\hat\theta_s`, the statistic on each seed's full sample.
    estimate : numpy.ndarray, shape (K,)
        :math:`\bar\theta`, the mean over seeds of ``per_seed``.
    between_seed_std : numpy.ndarray, shape (K,)
        Standard deviation of ``per_seed`` over seeds (``ddof=1``); NaN for one seed.
    draws : numpy.ndarray, shape (M, K)
        Two-level bootstrap replicates :math:`\bar\theta^{*m}`.
    replicates : numpy.ndarray, shape (S, B, K)
        The within-seed (samples-only) replicates that were combined.
    """

    per_seed: np.ndarray
    estimate: np.ndarray
    between_seed_std: np.ndarray
    draws: np.ndarray
    replicates: np.ndarray

    @property
    def seeds(self) -> int:
        """Number of training seeds :math:`S`."""
        return int(self.per_seed.shape[0])

    def interval(self, contrast: Contrast = 0, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of the seed mean (seed + sample noise) for ``contrast``.

        ``contrast`` is a column index or a weight vector of length :math:`K` (paired).
        """
        return _percentile_interval(_project(self.draws, contrast), level)

    def bias(self, contrast: Contrast = 0) -> float:
        r"""Bootstrap bias :math:`\mathrm{mean}_m\,\bar\theta^{*m} - \bar\theta` of ``contrast``.

        A bias comparable with the interval's width means the percentile interval is shifted
        (see :meth:`basic_interval`).
        """
        return float(np.mean(_project(self.draws, contrast)) - _project(self.estimate, contrast))

    def basic_interval(self, contrast: Contrast = 0, level: float = 0.95) -> tuple[float, float]:
        r"""Basic (reverse-percentile) interval :math:`(2\bar\theta-q_{hi},\ 2\bar\theta-q_{lo})`.

        It corrects the percentile interval for a bootstrap bias to first order (a biased
        statistic, e.g. a fitted exponent on resampled data with duplicated samples, shifts
        the percentile interval in the direction of the bias).
        """
        low, high = self.interval(contrast, level)
        centre = float(_project(self.estimate, contrast))
        return 2.0 * centre - high, 2.0 * centre - low

    def samples_only_interval(
        self, seed_index: int = 0, contrast: Contrast = 0, level: float = 0.95
    ) -> tuple[float, float]:
        """Percentile interval of the within-seed replicates of one seed (no seed noise)."""
        if not 0 <= seed_index < self.seeds:
            raise ParameterError(f"seed_index {seed_index} out of range for {self.seeds} seeds")
        return _percentile_interval(_project(self.replicates[seed_index], contrast), level)


def hierarchical_bootstrap(
    per_seed: Any,
    replicates: Any,
    rng: np.random.Generator,
    *,
    resamples: int | None = None,
) -> HierarchicalBootstrap:
    r"""Two-level bootstrap of the seed mean :math:`\bar\theta = S^{-1}\sum_s\hat\theta_s`.

    Replicate :math:`m` draws seeds :math:`c_k` uniformly with replacement and averages
    :math:`\hat\theta_{c_k}^{*\,(m+k) \bmod B}` over :math:`k = 1..S` (module docstring).

    Parameters
    ----------
    per_seed : array, shape (S, K) or (S,)
        :math:`\hat\theta_s`, the statistic on each seed's full sample.
    replicates : array, shape (S, B, K) or (S, B)
        Within-seed bootstrap replicates :math:`\hat\theta_s^{*b}` (samples resampled with
        replacement on seed :math:`s`); the statistic's components are resampled paired.
    rng : numpy.random.Generator
        Draws the seed indices (``rng.integers(0, S, (M, S))``, one call).
    resamples : int, optional
        Number :math:`M` of two-level replicates; default :math:`B`.

    Returns
    -------
    HierarchicalBootstrap
        Estimate, per-seed values, between-seed standard deviation, draws and intervals.

    Raises
    ------
    ShapeError
        If the shapes do not match or there are no seeds / replicates.
    NonFiniteError
        If any value is NaN or infinite.
    ParameterError
        If ``resamples < 1`` or :math:`B < S` (a seed drawn :math:`S` times needs :math:`S`
        distinct within-seed replicates).

    Examples
    --------
    Two seeds with no within-seed noise (every replicate equals the seed's value): the
    replicates are means of two values drawn from ``{0, 2}``, i.e. 0, 1 or 2.

    >>> import numpy as np
    >>> result = hierarchical_bootstrap(
    ...     [0.0, 2.0], [[0.0] * 4, [2.0] * 4], np.random.default_rng(0), resamples=400
    ... )
    >>> float(result.estimate[0]), round(float(result.between_seed_std[0]), 4)
    (1.0, 1.4142)
    >>> sorted({float(v) for v in result.draws[:, 0]})
    [0.0, 1.0, 2.0]

    One seed: the two-level replicates are the within-seed ones.

    >>> one = hierarchical_bootstrap([1.0], [[0.9, 1.1, 1.0]], np.random.default_rng(0))
    >>> one.draws[:, 0].tolist()
    [0.9, 1.1, 1.0]
    """
    values = as_array(per_seed, "per_seed")
    draws_in = as_array(replicates, "replicates")
    if values.ndim == 1:
        values = values[:, None]
    if draws_in.ndim == 2:
        draws_in = draws_in[:, :, None]
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise ShapeError(f"per_seed must have shape (S, K) with S, K >= 1, got {values.shape}")
    seeds, statistics = values.shape
    if draws_in.ndim != 3 or draws_in.shape[0] != seeds or draws_in.shape[2] != statistics:
        raise ShapeError(
            f"replicates must have shape ({seeds}, B, {statistics}), got {draws_in.shape}"
        )
    pool = draws_in.shape[1]
    if pool < max(seeds, 1):
        raise ParameterError(f"need at least S = {seeds} within-seed replicates, got B = {pool}")
    count = pool if resamples is None else int(resamples)
    if count < 1:
        raise ParameterError(f"resamples must be >= 1, got {resamples}")
    chosen = rng.integers(0, seeds, size=(count, seeds))
    which = (np.arange(count)[:, None] + np.arange(seeds)[None, :]) % pool
    draws = draws_in[chosen, which].mean(axis=1)
    spread = (
        values.std(axis=0, ddof=1) if seeds > 1 else np.full(statistics, np.nan, dtype=np.float64)
    )
    return HierarchicalBootstrap(
        per_seed=values,
        estimate=values.mean(axis=0),
        between_seed_std=spread,
        draws=draws,
        replicates=draws_in,
    )
