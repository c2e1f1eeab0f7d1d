"""Property suite for ``tpv.sgd_lyapunov`` (+ corrected), paper 000 App. D.3: try to break them.

Each test draws from the strategy and probe a claim's property check and ``theorylab
falsify`` use, so a failure here is a counterexample the CLI reproduces.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.tpv.sgd_lyapunov.property import lyapunov_search, multiplicative_search
from theorylab.falsify import hypothesis_test
from theorylab.solvers.lyapunov import sgd_stationary_covariance
from theorylab.strategies import psd_matrices

test_lyapunov_solutions_and_trace_bounds = hypothesis_test(lyapunov_search)
test_multiplicative_noise_trace_identity = hypothesis_test(multiplicative_search)


@given(psd_matrices(max_size=5), st.floats(1e-3, 1.99))
def test_continuous_trace_is_half_eta_trace_noise_on_range(hessian, fraction):
    largest = float(np.linalg.eigvalsh(hessian)[-1])
    rate = fraction / largest if largest > 0 else fraction
    noise = np.eye(hessian.shape[0])
    result = sgd_stationary_covariance(hessian, noise, rate, "continuous", null_space="restrict")
    rank = result.rank
    assert np.isclose(np.sum(hessian * result.covariance), rate / 2 * rank, rtol=1e-8, atol=1e-12)
