"""Tests of ``softrank.empirical``'s rank statistics."""

import numpy as np


def test_vectorised_kendall_matches_scipy():
    """Oracle: scipy.stats.kendalltau (τ_b, ties included)."""
    from scipy.stats import kendalltau

    from theorylab.claims.softrank.empirical.statistics import kendall_tau_b

    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, (20, 7)).astype(float)
    y = rng.standard_normal((20, 7))
    expected = [kendalltau(a, b).statistic for a, b in zip(x, y, strict=True)]
    assert np.allclose(kendall_tau_b(x, y), expected, equal_nan=True)
