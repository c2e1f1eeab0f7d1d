"""Property suite for paper 001 (``awd.*``): try to break each claim.

Tests draw from the same strategies and probes as the claims' property checks
(:mod:`theorylab.claims.awd`), so a failure here is a counterexample ``theorylab falsify``
reproduces. The paper's Eq. 20 (fitted exponent in [1, 2]) is *expected* to break: the test
asserts that hypothesis finds and shrinks a counterexample.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.awd.alpha_bounds import (
    elementwise_search,
    fitted_exponent_search,
    instance_verdict,
    lower_bound_search,
    window_search,
)
from theorylab.claims.awd.minimal_duality import duality_search
from theorylab.claims.awd.paper import single_threaded
from theorylab.falsify import hypothesis_test, search
from theorylab.solvers.awd import (
    awd_noise_covariance,
    eigenbasis_diagonals,
    local_spectral_moments,
    minimal_awd_perturbation,
)
from theorylab.spec import Verdict
from theorylab.strategies import per_sample_hessian_stacks

test_minimal_duality_exact = hypothesis_test(duality_search)


@given(duality_search.strategy(), st.floats(-4, 4, allow_nan=False))
def test_minimal_duality_is_linear_in_activity_delta(instance, scale):
    weight, activity, delta = instance
    if not activity.any():
        return
    base = minimal_awd_perturbation(weight, activity, delta)
    scaled = minimal_awd_perturbation(weight, activity, scale * delta)
    np.testing.assert_allclose(
        scaled, scale * base, rtol=1e-12, atol=1e-12 * np.abs(base).max(initial=1)
    )


test_elementwise_bounds_hold_on_psd_stacks = hypothesis_test(elementwise_search)
test_lower_bound_needs_no_psd = hypothesis_test(lower_bound_search)
test_fitted_exponent_within_window_bounds = hypothesis_test(window_search)


@given(per_sample_hessian_stacks(psd=False))
def test_indefinite_stacks_are_not_applicable_or_psd(stack):
    verdict, details = instance_verdict(stack)
    if details["psd"]:
        assert verdict is Verdict.HOLDS
    else:
        assert verdict is Verdict.NOT_APPLICABLE
        assert details["lower_bound_holds"]  # Cauchy-Schwarz + Jensen need no PSD


@given(per_sample_hessian_stacks(psd=None), st.integers(1, 4), st.integers(-3, 3))
def test_eq15_local_path_equals_direct_formula(stack, batch, exponent):
    variance = 2.0**exponent
    covariance = awd_noise_covariance(stack, variance, batch)
    diagonals = eigenbasis_diagonals(stack.mean(axis=0), covariance)
    first, second = local_spectral_moments(stack, diagonals.basis, variance, batch)
    scale = max(float(np.max(np.abs(stack))) ** 2 * variance, 1e-300)
    assert np.max(np.abs(second - diagonals.covariance_in_basis)) <= 1e-12 * scale * stack.shape[1]
    assert np.max(np.abs(np.diag(first) - diagonals.h_diag)) <= 1e-12 * scale**0.5 * stack.shape[1]


def test_paper_eq20_is_falsified_and_shrunk():
    outcome = single_threaded(search)(fitted_exponent_search, max_examples=100, seed=0)
    assert outcome.counterexample is not None
    stack = np.asarray(outcome.counterexample.instance["per_sample_hessians"])
    assert stack.shape[1] == 2  # shrinks to two parameters
    assert not 1.0 <= outcome.counterexample.actual <= 2.0
