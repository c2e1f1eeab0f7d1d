"""Property suite for ``tpv.label_noise_spectral_sum`` (paper 000): try to break it.

Each test draws from the same strategy and probe the claim's property check and
``theorylab falsify`` use (:mod:`theorylab.claims.tpv.label_noise_spectral_sum`), so a
failure here is a counterexample the CLI reproduces.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.tpv.label_noise_spectral_sum.property import label_noise_search
from theorylab.falsify import hypothesis_test
from theorylab.solvers import label_noise_tpv
from theorylab.strategies import jacobian_pairs

test_label_noise_closed_form_matches_exact_rationals = hypothesis_test(label_noise_search)


@given(jacobian_pairs(), st.floats(0.01, 10.0))
def test_label_noise_is_quadratic_in_noise_std(pair, noise_std):
    unit = label_noise_tpv(pair.train, pair.test, 1.0)
    scaled = label_noise_tpv(pair.train, pair.test, noise_std)
    assert np.isclose(scaled.test, noise_std**2 * unit.test, rtol=1e-12, atol=0)
    assert np.isclose(scaled.train, noise_std**2 * unit.train, rtol=1e-12, atol=0)


@given(jacobian_pairs())
def test_label_noise_train_tpv_is_rank_over_n_at_zero_ridge(pair):
    result = label_noise_tpv(pair.train, pair.test, 1.0)
    samples = pair.train.shape[0]
    assert np.isclose(result.train, result.rank / samples, rtol=1e-12, atol=1e-15)


@given(jacobian_pairs(), st.integers(-6, 6))
def test_label_noise_ridge_only_shrinks(pair, exponent):
    plain = label_noise_tpv(pair.train, pair.test, 1.0)
    ridged = label_noise_tpv(pair.train, pair.test, 1.0, ridge=2.0**exponent)
    assert ridged.test <= plain.test * (1 + 1e-12) + 1e-300
    assert ridged.train <= plain.train * (1 + 1e-12) + 1e-300
