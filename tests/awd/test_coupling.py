"""The coupling of C and H (:mod:`theorylab.solvers.awd_coupling`): baselines, suppression."""

import numpy as np
import pytest

from theorylab.claims.awd.paper import single_threaded
from theorylab.numerics import roundoff_tolerance
from theorylab.solvers.awd_coupling import (
    coupling_matrix,
    coupling_z_test,
    haar_coupling_monte_carlo,
    haar_orthogonal,
    mean_offdiagonal_coupling,
    random_coupling_baseline,
    random_coupling_limit,
    suppress_per_sample_spectra,
)


def test_coupling_hand_case_and_baselines():
    np.testing.assert_allclose(coupling_matrix([[4.0, 1.0], [1.0, 1.0]]), [[1.0, 0.5], [0.5, 1.0]])
    assert mean_offdiagonal_coupling([[1.0, -0.5], [-0.5, 1.0]]) == 0.5
    assert random_coupling_limit(1) == 1.0
    # Gamma-function limit = sqrt(2/(pi K)) (1 + 1/(4K) + O(K^-2))
    assert abs(random_coupling_limit(100) / random_coupling_baseline(100) - 1 - 1 / 400) < 1e-4


@single_threaded
def test_haar_monte_carlo_matches_limit_within_stderr_and_finite_p():
    rng = np.random.default_rng(3)
    spectrum = np.r_[np.ones(4), np.zeros(252)]
    estimate = haar_coupling_monte_carlo(spectrum, 8, rng)
    # finite-p correction O(K/p) ~ 0.4 K/p = 0.6 %; allow it plus 4 stderr.
    gap = abs(estimate.mean - random_coupling_limit(4))
    assert gap <= 4 * estimate.stderr + 0.01 * random_coupling_limit(4)


def test_haar_orthogonal_is_orthogonal():
    q = haar_orthogonal(5, np.random.default_rng(0))
    np.testing.assert_allclose(q.T @ q, np.eye(5), atol=1e-12)


def test_z_test_at_null_mean():
    test = coupling_z_test(random_coupling_baseline(4), spikes=4, pairs=10)
    assert test.z == 0.0 and test.p_value == 0.5


@pytest.mark.numerics
def test_suppression_keeps_rank_one_part():
    stack = np.array([np.diag([3.0, 1.0]), np.diag([0.1, 0.0])])
    out = suppress_per_sample_spectra(stack, threshold=0.5, factor=1e-3)
    # eigh and V diag V^T: exact zeros come back within n eps ||A||_2 of zero
    for index, expected in enumerate((np.diag([3.0, 1e-3]), np.diag([1e-4, 0.0]))):
        np.testing.assert_allclose(
            out[index], expected, atol=roundoff_tolerance(stack[index], symmetric=True)
        )
