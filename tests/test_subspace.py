"""Example-based tests for paper 003 (``subspace.*``); each names its oracle."""

import numpy as np
import pytest

from theorylab.claims.subspace.spectral import best_index_sets
from theorylab.errors import NonFiniteError, NotSymmetricError, ParameterError, ShapeError
from theorylab.registry import CheckContext
from theorylab.solvers import gaussian_moment_criterion, spectral_criterion, subspace_rate_bound
from theorylab.solvers.subspace_probing import (
    compress_increment,
    direct_monte_carlo,
    quadratic_monte_carlo,
    top_eigenspace,
)
from theorylab.solvers.subspace_sequences import (
    gauss_hermite_criterion,
    make_sequential_problem,
    sequential_increments,
)
from theorylab.spec import Verdict


def test_gaussian_moment_hand_case():
    # closed form by hand: a=1, c=(1,), B=[[2]], sigma=1: 1 + 2 + 1 + (8+4)/4 = 7
    assert gaussian_moment_criterion(1.0, [1.0], [[2.0]], 1.0) == pytest.approx(7.0)


def test_gaussian_moment_matches_quadrature_oracle():
    # oracle: tensor Gauss-Hermite quadrature (exact for the quartic integrand)
    rng = np.random.default_rng(1)
    raw = rng.standard_normal((3, 3))
    gap, gradient, hessian, sigma = 0.3, rng.standard_normal(3), raw + raw.T, 0.7

    def surrogate(z):
        return gap + z @ gradient + 0.5 * np.einsum("ri,ij,rj->r", z, hessian, z)

    exact = gauss_hermite_criterion(surrogate, np.zeros(3), np.eye(3), sigma, 3)
    assert gaussian_moment_criterion(gap, gradient, hessian, sigma) == pytest.approx(exact, 1e-12)


def test_quadratic_monte_carlo_within_five_stderr():
    # oracle: Monte Carlo of Eq. 13 vs the closed form
    rng = np.random.default_rng(2)
    estimate = quadratic_monte_carlo(0.5, [1.0, -1.0], [[1.0, 0.5], [0.5, -2.0]], 0.5, 20000, rng)
    closed = gaussian_moment_criterion(0.5, [1.0, -1.0], [[1.0, 0.5], [0.5, -2.0]], 0.5)
    assert abs(estimate.mean - closed) <= 5 * estimate.stderr


def test_direct_monte_carlo_on_exact_ridge_increment():
    # oracle: on ridge the increment is quadratic, so direct MC must match Eq. 15 (stderr)
    rng = np.random.default_rng(3)
    problem = make_sequential_problem("ridge", 51, 3, rng)
    sequence = sequential_increments(problem, 50, 50)
    _, basis = top_eigenspace(sequence.hessians[0], 2)
    compressed = compress_increment(sequence.value_gaps[0], sequence.gradients[0],
                                    sequence.hessian_differences[0], basis)
    estimate = direct_monte_carlo(lambda w: problem.increment(w, 50), sequence.minimisers[0],
                                  basis, 0.5, 20000, rng)
    assert abs(estimate.mean - compressed.criterion(0.5)) <= 5 * estimate.stderr


def test_rate_bound_hand_case_and_full_space():
    assert subspace_rate_bound(1, 1, 1, 1, 1, 1) == pytest.approx(6.0)
    assert subspace_rate_bound(1, 0, 1, 2, 3, 3) == pytest.approx((12 + 3 * 16 * 15) / 16)


def test_spectral_criterion_and_brute_force_extremality():
    # oracle: brute-force enumeration of index sets
    assert spectral_criterion([0.0, 1.0], 1.0, indices=[1]) == pytest.approx(0.75)
    best, maximisers = best_index_sets(np.array([0.0, 1.0]), 1)
    assert best == 3.0 and maximisers == [(1,)]


def test_sequential_minimisers_are_stationary():
    # oracle: exact gradient of L_k at w_k* (closed form ridge, Newton logistic)
    for kind in ("ridge", "logistic"):
        problem = make_sequential_problem(kind, 201, 4, np.random.default_rng(4))
        sequence = sequential_increments(problem, 1, 200)
        assert sequence.stationarity < 1e-11


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: gaussian_moment_criterion(0.0, [1.0], [[1.0]], 0.0), ParameterError),
        (lambda: gaussian_moment_criterion(0.0, [1.0], [[1.0]], -1.0), ParameterError),
        (lambda: gaussian_moment_criterion(0.0, [1.0, 2.0], [[1.0]], 1.0), ShapeError),
        (lambda: gaussian_moment_criterion(np.nan, [1.0], [[1.0]], 1.0), NonFiniteError),
        (lambda: gaussian_moment_criterion(0.0, [np.nan], [[1.0]], 1.0), NonFiniteError),
        (lambda: gaussian_moment_criterion(0.0, [0.0, 0.0], [[1.0, 2.0], [0.0, 1.0]], 1.0),
         NotSymmetricError),
        (lambda: top_eigenspace(np.eye(2), 3), ParameterError),
        (lambda: compress_increment(0.0, [0.0, 0.0], np.eye(2), np.ones((2, 3))), ShapeError),
        (lambda: subspace_rate_bound(1, 1, 1, 0.0, 1, 1), ParameterError),
        (lambda: spectral_criterion([1.0, 2.0], 1.0, indices=[0, 0]), ParameterError),
    ],
)
def test_bad_input_raises_typed_errors(call, error):
    with pytest.raises(error):
        call()


def test_claim_checks_give_expected_verdicts():
    from theorylab.claims.subspace import spectral
    from theorylab.claims.subspace.increment import reduction_error_law

    context = CheckContext()
    assert spectral.proposition3_minimal(context).verdict is Verdict.REFUTED
    finding = reduction_error_law(context)
    assert finding.verdict is Verdict.HOLDS_APPROX
    assert abs(finding.details["criterion_exponent"] - 4.0) < 0.5
