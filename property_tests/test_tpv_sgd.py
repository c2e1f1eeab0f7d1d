"""Property suite for paper 000, App. D-E (SGD noise, Lyapunov, quantization): try to break them.

Each test draws from the strategy and probe a claim's property check and ``theorylab
falsify`` use, so a failure here is a counterexample the CLI reproduces.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.tpv.quantization import quantization_search
from theorylab.claims.tpv.sgd_lyapunov import (
    gauss_newton_search,
    lyapunov_search,
    multiplicative_search,
)
from theorylab.claims.tpv.sgd_noise import enumeration_search
from theorylab.solvers.lyapunov import sgd_stationary_covariance
from theorylab.strategies import psd_matrices


@given(enumeration_search.strategy())
def test_minibatch_closed_form_matches_enumeration(instance):
    counterexample = enumeration_search.probe(instance)
    assert counterexample is None, counterexample.message


@given(gauss_newton_search.strategy())
def test_gauss_newton_remainder_within_bound(instance):
    counterexample = gauss_newton_search.probe(instance)
    assert counterexample is None, counterexample.message


@given(lyapunov_search.strategy())
def test_lyapunov_solutions_and_trace_bounds(instance):
    counterexample = lyapunov_search.probe(instance)
    assert counterexample is None, counterexample.message


@given(multiplicative_search.strategy())
def test_multiplicative_noise_trace_identity(instance):
    counterexample = multiplicative_search.probe(instance)
    assert counterexample is None, counterexample.message


@given(quantization_search.strategy())
def test_quadratic_quantization_matches_quadrature(instance):
    counterexample = quantization_search.probe(instance)
    assert counterexample is None, counterexample.message


@given(psd_matrices(max_size=5), st.floats(1e-3, 1.99))
def test_continuous_trace_is_half_eta_trace_noise_on_range(hessian, fraction):
    largest = float(np.linalg.eigvalsh(hessian)[-1])
    rate = fraction / largest if largest > 0 else fraction
    noise = np.eye(hessian.shape[0])
    result = sgd_stationary_covariance(hessian, noise, rate, "continuous", null_space="restrict")
    rank = result.rank
    assert np.isclose(np.sum(hessian * result.covariance), rate / 2 * rank, rtol=1e-8, atol=1e-12)
