"""Symbolic derivations of paper 001 (App. E): which steps hold, and the one that must fail."""

from theorylab.proofs.awd import (
    alignment_limits_derivation,
    alpha_bounds_derivation,
    coupling_limit_derivation,
    minimal_duality_derivation,
    spectral_decomposition_derivation,
    window_bounds_derivation,
)


def test_app_e1_e2_e4_and_window_bound_steps_all_hold():
    for steps in (
        minimal_duality_derivation(2, 2),
        spectral_decomposition_derivation(2, 2),
        alignment_limits_derivation(2),
        window_bounds_derivation(),
        coupling_limit_derivation((2, 3)),
    ):
        failing = [step.name for step in steps if not step.holds]
        assert not failing, failing


def test_app_e3_fails_exactly_at_the_fitted_exponent_step():
    steps = alpha_bounds_derivation(2)
    failing = [step for step in steps if not step.holds]
    assert [step.name for step in failing] == ["fitted_exponent_in_1_2"]
    assert "log(50)/log(5)" in failing[0].residual
