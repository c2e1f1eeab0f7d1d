"""Property suite of ``awd.spectral_decomposition``: Eq. 15 local path vs the direct formula."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.solvers.awd import awd_noise_covariance, eigenbasis_diagonals, local_spectral_moments
from theorylab.strategies import per_sample_hessian_stacks


@given(per_sample_hessian_stacks(psd=None), st.integers(1, 4), st.integers(-3, 3))
def test_eq15_local_path_equals_direct_formula(stack, batch, exponent):
    variance = 2.0**exponent
    covariance = awd_noise_covariance(stack, variance, batch)
    diagonals = eigenbasis_diagonals(stack.mean(axis=0), covariance)
    first, second = local_spectral_moments(stack, diagonals.basis, variance, batch)
    scale = max(float(np.max(np.abs(stack))) ** 2 * variance, 1e-300)
    assert np.max(np.abs(second - diagonals.covariance_in_basis)) <= 1e-12 * scale * stack.shape[1]
    assert np.max(np.abs(np.diag(first) - diagonals.h_diag)) <= 1e-12 * scale**0.5 * stack.shape[1]
