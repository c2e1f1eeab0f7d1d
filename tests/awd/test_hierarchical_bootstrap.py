"""Two-level (training seed, sample) bootstrap against brute force and closed forms.

Oracles: full enumeration of the seed resamplings (``enumeration``), the closed-form
bootstrap variance of a mean and the law of total variance (``closed form``), and the
samples-only bootstrap it must reduce to for one seed (``reduction``).
"""

import doctest
import importlib
import itertools
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest

from theorylab.errors import NonFiniteError, ParameterError, ShapeError
from theorylab.solvers import HierarchicalBootstrap, hierarchical_bootstrap

# the package attribute of that name is the function; the module is found by its full name
MODULE = importlib.import_module("theorylab.solvers.hierarchical_bootstrap")
EXACT = {"rel": 1e-12, "abs": 1e-15}


def test_module_doctests_pass():
    failures, attempted = doctest.testmod(MODULE)
    assert attempted > 0 and failures == 0


def test_one_seed_reduces_to_the_samples_only_bootstrap():
    # Oracle (reduction): with S = 1 every two-level replicate is a within-seed replicate,
    # in order, so every interval equals the samples-only one exactly (paired contrasts too).
    rng = np.random.default_rng(3)
    replicates = rng.normal(size=(1, 60, 2))
    result = hierarchical_bootstrap([[1.0, 1.2]], replicates, np.random.default_rng(0))
    np.testing.assert_array_equal(result.draws, replicates[0])
    for contrast in (0, 1, (-1.0, 1.0)):
        assert result.interval(contrast) == result.samples_only_interval(0, contrast)
    values = replicates[0, :, 1] - replicates[0, :, 0]
    assert result.interval((-1.0, 1.0)) == pytest.approx(
        (np.quantile(values, 0.025), np.quantile(values, 0.975)), **EXACT
    )
    assert np.isnan(result.between_seed_std).all() and result.seeds == 1


def _exact_seed_mean_distribution(means):
    """Enumeration: every ordered seed resampling is equally likely (S^S of them)."""
    counts = Counter(
        sum(Fraction(means[i]) for i in pick) / len(means)
        for pick in itertools.product(range(len(means)), repeat=len(means))
    )
    total = len(means) ** len(means)
    return {value: Fraction(count, total) for value, count in sorted(counts.items())}


def test_zero_within_seed_noise_is_the_bootstrap_of_seed_means():
    # Oracle (enumeration): without sample noise each replicate is the mean of S seed means
    # drawn with replacement; its law is enumerated exactly over the 4^4 resamplings.
    means = [0, 1, 3, 8]
    exact = _exact_seed_mean_distribution(means)
    replicates = np.repeat(np.array(means, dtype=float)[:, None], 50, axis=1)
    draws = 40_000
    result = hierarchical_bootstrap(means, replicates, np.random.default_rng(11), resamples=draws)
    observed = Counter(Fraction(value).limit_denominator(8) for value in result.draws[:, 0])
    assert set(observed) <= set(exact)
    for value, probability in exact.items():
        stderr = np.sqrt(float(probability) * (1 - float(probability)) / draws)
        assert abs(observed[value] / draws - float(probability)) <= 5 * stderr + 1e-12
    # percentile interval: the atoms where the exact CDF crosses 2.5 % and 97.5 %, both
    # crossings at least 0.005 away from an atom's CDF so the empirical quantile is stable
    values = list(exact)
    cdf = np.cumsum([float(p) for p in exact.values()])
    assert np.min(np.abs(cdf - 0.025)) > 0.005 and np.min(np.abs(cdf - 0.975)) > 0.005
    low = values[int(np.searchsorted(cdf, 0.025))]
    high = values[int(np.searchsorted(cdf, 0.975))]
    assert result.interval(0) == (float(low), float(high))
    # the estimate and the between-seed spread are the plain seed statistics
    assert result.estimate[0] == pytest.approx(3.0)
    assert result.between_seed_std[0] == pytest.approx(np.std(means, ddof=1))


def test_variance_follows_the_law_of_total_variance():
    # Oracle (closed form): a replicate averages S independent draws, each a uniformly chosen
    # seed and one of its B replicates, so Var = (between + mean within variance) / S with
    # population (ddof = 0) variances; a seed drawn twice gets distinct replicates, which
    # changes this by O(1/B) only.
    rng = np.random.default_rng(5)
    seeds, pool = 3, 400
    centres = np.array([1.0, 1.3, 0.8])
    widths = np.array([0.05, 0.2, 0.1])
    replicates = centres[:, None] + widths[:, None] * rng.standard_normal((seeds, pool))
    draws = 60_000
    result = hierarchical_bootstrap(centres, replicates, np.random.default_rng(6), resamples=draws)
    expected = (np.var(replicates.mean(axis=1)) + np.mean(np.var(replicates, axis=1))) / seeds
    observed = np.var(result.draws[:, 0])
    # relative stderr of a variance estimate ~ sqrt(2 / draws) (near-Gaussian replicates)
    assert observed == pytest.approx(expected, rel=5 * np.sqrt(2 / draws) + 2 / pool)
    assert np.mean(result.draws[:, 0]) == pytest.approx(replicates.mean(), abs=5e-3)


def test_paired_contrast_is_taken_on_the_same_draws():
    # Oracle (definition): the interval of alpha_AWD - alpha is the percentile interval of the
    # per-draw differences, narrower than combining the two marginal intervals.
    rng = np.random.default_rng(8)
    common = rng.normal(size=(3, 80))
    replicates = np.stack([common, common + 0.05 + 0.01 * rng.normal(size=(3, 80))], axis=-1)
    result = hierarchical_bootstrap(
        replicates.mean(axis=1), replicates, np.random.default_rng(9), resamples=500
    )
    difference = result.draws[:, 1] - result.draws[:, 0]
    low, high = result.interval((-1.0, 1.0))
    assert (low, high) == pytest.approx(
        (np.quantile(difference, 0.025), np.quantile(difference, 0.975)), **EXACT
    )
    assert 0.0 < low < high < 0.1
    assert isinstance(result, HierarchicalBootstrap)


def test_deterministic_for_a_seeded_generator():
    replicates = np.random.default_rng(1).normal(size=(2, 10))
    first = hierarchical_bootstrap([0.0, 1.0], replicates, np.random.default_rng(4))
    second = hierarchical_bootstrap([0.0, 1.0], replicates, np.random.default_rng(4))
    np.testing.assert_array_equal(first.draws, second.draws)


@pytest.mark.parametrize(
    ("per_seed", "replicates", "error"),
    [
        ([0.0, np.nan], np.zeros((2, 5)), NonFiniteError),
        ([0.0, 1.0], np.zeros((3, 5)), ShapeError),
        ([[0.0, 1.0]], np.zeros((1, 5, 3)), ShapeError),
        ([0.0, 1.0, 2.0], np.zeros((3, 2)), ParameterError),
        (np.zeros((0, 1)), np.zeros((0, 4, 1)), ShapeError),
    ],
)
def test_rejects_bad_input(per_seed, replicates, error):
    with pytest.raises(error):
        hierarchical_bootstrap(per_seed, replicates, np.random.default_rng(0))


def test_rejects_bad_resamples_level_and_contrast():
    result = hierarchical_bootstrap([0.0, 1.0], np.zeros((2, 4)), np.random.default_rng(0))
    with pytest.raises(ParameterError):
        hierarchical_bootstrap([0.0, 1.0], np.zeros((2, 4)), np.random.default_rng(0), resamples=0)
    with pytest.raises(ParameterError):
        result.interval(0, level=1.0)
    with pytest.raises(ParameterError):
        result.interval(3)
    with pytest.raises(ShapeError):
        result.interval((1.0, 1.0))
    with pytest.raises(ParameterError):
        result.samples_only_interval(2)


def test_bias_and_basic_interval_reflect_the_percentile_interval_about_the_estimate():
    # Oracle (closed form): within-seed replicates centred d above each seed's value give a
    # bootstrap bias of d (up to Monte Carlo noise of the seed choice), and the basic
    # interval is the percentile interval reflected about the estimate (definition).
    rng = np.random.default_rng(12)
    centres = np.array([1.0, 1.2, 1.1])
    noise = 0.02 * rng.standard_normal((3, 200))
    shifted = centres[:, None] + 0.05 + noise
    result = hierarchical_bootstrap(centres, shifted, np.random.default_rng(13), resamples=4000)
    assert result.bias(0) == pytest.approx(np.mean(result.draws[:, 0]) - 1.1, **EXACT)
    assert result.bias(0) == pytest.approx(0.05, abs=0.01)
    low, high = result.interval(0)
    assert result.basic_interval(0) == pytest.approx((2.2 - high, 2.2 - low), **EXACT)
    # the percentile interval is shifted up by the bias, the basic one is not
    assert low > 1.1 - 0.05 and result.basic_interval(0)[0] < 1.1 - 0.05
    assert result.bias((-1.0,)) == pytest.approx(-result.bias(0), **EXACT)
