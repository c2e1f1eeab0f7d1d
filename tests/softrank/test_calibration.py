"""The model calibrated at θ* ≠ 0 (paper 004, Props 2.2, 4.1, 4.2; App. G.3 Eq. 12)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.verdicts import expect_verdicts
from theorylab.claims.softrank.calibration import (
    SHIFTED_INSTANCE,
    eq12_chain,
    premise_residuals,
    shifted_model_finding,
    unbounded_theta_star,
)
from theorylab.claims.softrank.models import shifted_calibrated_model
from theorylab.errata.exact.softrank import _calibrated_eq12
from theorylab.solvers.generalization_gap import FiniteBernoulliModel
from theorylab.spec import Counterexample, Verdict

RTOL = 1e-9


def test_shifted_model_matches_the_hand_computation() -> None:
    pop = shifted_calibrated_model().population()
    assert pop.theta_star == pytest.approx([1.0], abs=1e-15)
    for matrix in (pop.gradient_covariance, pop.fisher, pop.hessian):
        assert matrix[0, 0] == pytest.approx(0.25, abs=1e-15)
    assert pop.regularized_covariance[0, 0] == pytest.approx(3 / 16, abs=1e-15)
    assert (pop.parameter_error_limit, pop.gap_limit, pop.l2_error_limit) == pytest.approx(
        (3 / 4, 3 / 8, 9 / 64), abs=1e-14
    )


def test_premise_residuals_vanish_and_detect_miscalibration() -> None:
    assert max(premise_residuals(shifted_calibrated_model()).values()) < 1e-14
    broken = FiniteBernoulliModel([[1.0], [-1.0]], [0.5, 0.5], [0.75, 0.75],
                                  regularization=0.25, offsets=[-1.0, 1.0], start=[1.0])
    residuals = premise_residuals(broken)
    assert residuals["C_vs_F"] > 0.1 or residuals["calibration_given_r"] > 0.1


def test_eq12_chain_against_dense_inverses() -> None:
    rng = np.random.default_rng(0)
    factor = rng.standard_normal((3, 3))
    fisher, lam = factor @ factor.T, np.diag([0.5, 1.0, 2.0])
    shift = lam @ rng.standard_normal(3)
    c_lam = fisher - np.outer(shift, shift)
    chain = eq12_chain(fisher, c_lam, fisher + lam, lam)
    inverse = np.linalg.inv(fisher + lam)
    assert np.allclose(chain["sandwich"], inverse @ c_lam @ inverse, atol=1e-12)
    # the corrected order holds: sandwich ⪯ middle ⪯ inverse
    assert np.linalg.eigvalsh(chain["middle"] - chain["sandwich"])[0] > -1e-12
    assert np.linalg.eigvalsh(chain["inverse"] - chain["middle"])[0] > -1e-12


def test_printed_chain_refuted_with_an_exact_counterexample() -> None:
    finding = shifted_model_finding(corrected=False, rtol=RTOL)
    assert finding.verdict is Verdict.REFUTED
    assert finding.counterexample is not None
    assert finding.counterexample.instance == SHIFTED_INSTANCE
    exact = _calibrated_eq12(finding.counterexample)
    assert exact is not None and exact.refutes
    assert "3/4 >= (F+L)^-1 F (F+L)^-1 = 1 >= (F+L)^-1 = 2" in exact.claimed
    assert "bounds hold" in exact.actual  # the statement survives; only the proof step fails


def test_corrected_chain_holds() -> None:
    finding = shifted_model_finding(corrected=True, rtol=RTOL)
    assert finding.verdict is Verdict.HOLDS and finding.counterexample is None


def test_exact_recheck_rejects_an_instance_that_is_no_minimiser() -> None:
    moved = Counterexample(instance={**SHIFTED_INSTANCE, "theta_star": 0.5}, message="-")
    assert _calibrated_eq12(moved) is None
    miscalibrated = Counterexample(instance={**SHIFTED_INSTANCE, "labels": [0.75, 0.75]},
                                   message="-")
    assert _calibrated_eq12(miscalibrated) is None


def test_unbounded_theta_star_breaks_prop42() -> None:
    rows = unbounded_theta_star()
    assert rows["theta_star"] == pytest.approx([0.25 / lam for lam in rows["lambda"]])
    gap, rank = rows["gap_limit"][-1], rows["rank"][-1]
    assert gap == pytest.approx(0.75, abs=1e-3) and rank == pytest.approx(1.0, abs=1e-3)


test_registered_checks = expect_verdicts(
    [
        ("softrank.calibrated_gap", "shifted_optimum_eq12", Verdict.REFUTED),
        ("softrank.calibrated_gap.corrected", "shifted_optimum_eq12_corrected", Verdict.HOLDS),
        ("softrank.information_equality", "calibrated_off_stationary_point", Verdict.HOLDS),
        ("softrank.properties.corrected", "eq3_limit_error_law", Verdict.HOLDS_APPROX),
    ]
)
