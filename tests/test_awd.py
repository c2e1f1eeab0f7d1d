"""Example-based tests for paper 001 (``awd.*``) solvers, each naming its oracle."""

import itertools
import math

import numpy as np
import pytest

from theorylab.claims.awd.alignment_limits import perfect_alignment
from theorylab.claims.awd.alpha_bounds import (
    MINIMAL_SLOPE_COUNTEREXAMPLE,
    bounds_and_fitted_exponent,
    instance_verdict,
    sharp_window_instance,
    window_bounds_are_sharp,
)
from theorylab.claims.awd.minimal_duality import minimum_norm_reference
from theorylab.claims.awd.noise_models import SoftmaxRegression
from theorylab.claims.awd.paper import single_threaded
from theorylab.claims.awd.random_baseline import equal_spikes_error_law, z_test_size
from theorylab.claims.awd.spectral_decomposition import (
    identity_vs_enumeration,
    remark_3_5_offdiagonal_mass,
)
from theorylab.errors import (
    NonFiniteError,
    NotSymmetricError,
    ParameterError,
    ShapeError,
)
from theorylab.numerics import roundoff_tolerance
from theorylab.registry import CheckContext
from theorylab.solvers.awd import (
    awd_noise_covariance,
    eigenbasis_diagonals,
    elementwise_alpha_bounds,
    empirical_noise_covariance,
    fit_power_law,
    local_spectral_moments,
    minimal_awd_perturbation,
    per_sample_psd_report,
    window_slope_bounds,
)
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
from theorylab.spec import Verdict

RTOL = 1e-12


def test_minimal_perturbation_matches_svd_least_norm_oracle():
    rng = np.random.default_rng(0)
    weight, activity, delta = (
        rng.standard_normal((3, 4)),
        rng.standard_normal(4),
        rng.standard_normal(4),
    )
    closed = minimal_awd_perturbation(weight, activity, delta)
    np.testing.assert_allclose(closed, minimum_norm_reference(weight, activity, delta), rtol=1e-12)
    np.testing.assert_allclose(
        (weight + closed) @ activity, weight @ (activity + delta), rtol=1e-12
    )


def test_minimal_perturbation_hand_checked_case():
    # W = [1 2], a = e1, da = e2: W da = 2, dW = 2 e1^T.
    np.testing.assert_array_equal(
        minimal_awd_perturbation([[1.0, 2.0]], [1.0, 0.0], [0.0, 1.0]), [[2.0, 0.0]]
    )


def test_awd_covariance_matches_minibatch_enumeration_oracle():
    stack = np.array([[[2.0, 1.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 3.0]], [[0.0, 0.0], [0.0, 1.0]]])
    enumerated = np.zeros((2, 2))
    for batch in itertools.product(range(3), repeat=2):
        enumerated += sum(stack[s] @ stack[s] for s in batch) * 0.5 / 4
    enumerated /= 9
    np.testing.assert_allclose(awd_noise_covariance(stack, 0.5, 2), enumerated, rtol=RTOL)


def test_local_spectral_path_matches_direct_formula():
    rng = np.random.default_rng(1)
    factors = rng.standard_normal((4, 5, 2))
    stack = np.einsum("sik,sjk->sij", factors, factors)
    diagonals = eigenbasis_diagonals(stack.mean(axis=0), awd_noise_covariance(stack, 2.0, 3))
    first, second = local_spectral_moments(stack, diagonals.basis, 2.0, 3)
    np.testing.assert_allclose(second, diagonals.covariance_in_basis, atol=1e-12)
    np.testing.assert_allclose(np.diag(first), diagonals.h_diag, atol=1e-12)


def test_empirical_noise_covariance_closed_form():
    # gradients +-1: E g^2 - (E g)^2 = 1, divided by b = 2.
    np.testing.assert_allclose(empirical_noise_covariance([[1.0], [-1.0]], 2), [[0.5]])


def test_softmax_regression_hessian_vs_finite_differences():
    rng = np.random.default_rng(2)
    model = SoftmaxRegression.random(5, 3, 3, rng)
    weights = rng.standard_normal(model.parameters)
    samples = np.arange(5)
    step = 1e-6
    columns = []
    for j in range(model.parameters):
        shift = step * np.eye(model.parameters)[j]
        plus = model.gradients(np.broadcast_to(weights + shift, (5, 9)), samples)
        minus = model.gradients(np.broadcast_to(weights - shift, (5, 9)), samples)
        columns.append((plus - minus) / (2 * step))
    np.testing.assert_allclose(np.stack(columns, axis=2), model.hessians(weights), atol=1e-8)


def test_power_law_fit_exact_on_power_law_data():
    h = np.array([4.0, 2.0, 1.0, 0.5])
    fit = fit_power_law(h, 3.0 * h**1.5, lambda_max=4.0)
    assert math.isclose(fit.alpha, 1.5, rel_tol=1e-12)
    assert math.isclose(fit.r2, 1.0, rel_tol=1e-12)
    assert fit.window == (0.5, 4.0) and fit.points == 4
    assert fit.ci[0] <= 1.5 <= fit.ci[1]


def test_minimal_counterexample_slope_is_log50_over_log5():
    bounds = elementwise_alpha_bounds(MINIMAL_SLOPE_COUNTEREXAMPLE)
    assert bounds.lower_holds and bounds.upper_holds and bounds.psd.all_psd
    fit = fit_power_law(bounds.h_diag, bounds.c_diag, lambda_max=bounds.lambda_max)
    assert math.isclose(fit.alpha, math.log(50) / math.log(5), rel_tol=1e-12)
    low, high = fit.implied_bounds
    assert low <= fit.alpha <= high + 1e-12


def test_window_bounds_attained_by_vertex_construction():
    h = np.array([0.5, 0.25, 0.125, 0.0625])
    for upper in (True, False):
        bounds = elementwise_alpha_bounds(sharp_window_instance(h, 16, upper))
        fit = fit_power_law(bounds.h_diag, bounds.c_diag, lambda_max=1.0)
        target = window_slope_bounds(np.log(h), 0.0)[1 if upper else 0]
        assert math.isclose(fit.alpha, target, rel_tol=1e-12)


def test_non_psd_stack_is_not_applicable_and_reports_conclusion():
    verdict, details = instance_verdict(
        np.array([[[1.0, 0.0], [0.0, -1.0]], [[2.0, 0.0], [0.0, 1.0]]])
    )
    assert verdict is Verdict.NOT_APPLICABLE
    assert details["not_psd_count"] == 1 and details["most_negative_eigenvalue"] == -1.0
    assert details["lower_bound_holds"] is True


def test_psd_report_counts_negative_slices():
    report = per_sample_psd_report([[[1.0]], [[-2.0]], [[-0.5]]])
    assert (report.not_psd, report.most_negative, report.lambda_max) == (2, -2.0, 1.0)


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
        np.testing.assert_allclose(out[index], expected,
                                   atol=roundoff_tolerance(stack[index], symmetric=True))


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: minimal_awd_perturbation([[1.0, np.nan]], [1.0, 0.0], [0.0, 1.0]), NonFiniteError),
        (lambda: minimal_awd_perturbation([[1.0, 2.0]], [1.0, 0.0, 0.0], [0.0, 1.0]), ShapeError),
        (lambda: minimal_awd_perturbation([[1.0, 2.0]], [0.0, 0.0], [0.0, 1.0]), ParameterError),
        (lambda: awd_noise_covariance([[[1.0, 2.0], [0.0, 1.0]]]), NotSymmetricError),
        (lambda: awd_noise_covariance([[1.0]]), ShapeError),
        (lambda: awd_noise_covariance([[[1.0]]], weight_variance=0.0), ParameterError),
        (lambda: awd_noise_covariance([[[1.0]]], weight_variance=-1.0), ParameterError),
        (lambda: awd_noise_covariance([[[1.0]]], batch_size=0), ParameterError),
        (lambda: awd_noise_covariance([[[1.0]]], batch_size=1.5), ParameterError),
        (lambda: awd_noise_covariance([[[np.nan]]]), NonFiniteError),
        (lambda: eigenbasis_diagonals(np.eye(2), np.eye(3)), ShapeError),
        (lambda: fit_power_law([1.0, 2.0], [1.0]), ShapeError),
        (lambda: fit_power_law([1.0, 1.0], [1.0, 2.0]), ParameterError),
        (lambda: coupling_matrix([[0.0, 0.0], [0.0, 1.0]]), ParameterError),
        (lambda: window_slope_bounds([0.0, 1.0], 0.5), ParameterError),
    ],
)
def test_bad_input_raises_typed_errors(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (identity_vs_enumeration, Verdict.HOLDS),
        (bounds_and_fitted_exponent, Verdict.REFUTED),
        (window_bounds_are_sharp, Verdict.HOLDS),
        (perfect_alignment, Verdict.HOLDS),
        (remark_3_5_offdiagonal_mass, Verdict.REFUTED),
        (equal_spikes_error_law, Verdict.HOLDS_APPROX),
        (z_test_size, Verdict.REFUTED),
    ],
)
def test_claim_checks_give_expected_verdicts(check, expected):
    assert check(CheckContext(seed=0)).verdict is expected
