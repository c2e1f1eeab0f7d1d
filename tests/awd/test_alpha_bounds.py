"""``awd.alpha_bounds``: Eq. 19-20, the fitted exponent and the sharp window bounds."""

import math

import numpy as np
import pytest

from theorylab.claims.awd.alpha_bounds import MINIMAL_SLOPE_COUNTEREXAMPLE
from theorylab.claims.awd.alpha_bounds.corrected import (
    sharp_window_instance,
    window_bounds_are_sharp,
)
from theorylab.claims.awd.alpha_bounds.exact import bounds_and_fitted_exponent, instance_verdict
from theorylab.proofs.awd.alpha_bounds import alpha_bounds_derivation, window_bounds_derivation
from theorylab.registry import CheckContext
from theorylab.solvers.awd import (
    elementwise_alpha_bounds,
    fit_power_law,
    per_sample_psd_report,
    window_slope_bounds,
)
from theorylab.spec import Verdict


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


def test_window_bounds_derivation_steps_all_hold():
    steps = window_bounds_derivation()
    failing = [step.name for step in steps if not step.holds]
    assert not failing, failing


def test_app_e3_fails_exactly_at_the_fitted_exponent_step():
    steps = alpha_bounds_derivation(2)
    failing = [step for step in steps if not step.holds]
    assert [step.name for step in failing] == ["fitted_exponent_in_1_2"]
    assert "log(50)/log(5)" in failing[0].residual


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (bounds_and_fitted_exponent, Verdict.REFUTED),
        (window_bounds_are_sharp, Verdict.HOLDS),
    ],
)
def test_claim_checks_give_expected_verdicts(check, expected):
    assert check(CheckContext(seed=0)).verdict is expected
