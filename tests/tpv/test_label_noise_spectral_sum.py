"""Symbolic derivation of paper 000, Theorem 3.2 (App. C.1): ``tpv.label_noise_spectral_sum``.

Oracles: the derivation is judged by exact polynomial arithmetic (``RationalMatrix``); the
checker's ability to fail is shown by deliberately wrong steps built from the same
construction.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from theorylab.errors import ParameterError
from theorylab.proofs.steps import equality_step, expectation_isotropic
from theorylab.proofs.tpv.label_noise_setup import label_noise_setup
from theorylab.proofs.tpv.label_noise_spectral_sum import label_noise_derivation

PAPER_EQUATIONS = {"Eq. 28", "Eq. 30", "Eq. 31", "Eq. 35", "Eq. 36", "Eq. 37", "Eq. 38"}


@pytest.fixture(scope="module")
def default_steps():
    return label_noise_derivation()


def _failures(steps):
    return [(step.name, step.residual[:200]) for step in steps if not step.holds]


def test_default_derivation_every_step_holds(default_steps):
    assert _failures(default_steps) == []
    names = [step.name for step in default_steps]
    assert len(names) == len(set(names))
    assert {step.equation for step in default_steps} >= PAPER_EQUATIONS
    for required in (
        "tpv_spectral_sum",
        "tpv_template",
        "train_tpv",
        "ridge_test_tpv",
        "ridge_train_tpv",
        "min_norm_pythagoras",
        "pseudoinverse_full_row_rank",  # r = n = 2 in the default instance
    ):
        assert required in names
    assert all(step.residual == "0" for step in default_steps)


@pytest.mark.parametrize(
    ("train_size", "parameter_count", "rank"),
    [(3, 3, 2), (2, 3, 1)],
    ids=["n3-p3-r2", "n2-p3-r1"],
)
def test_rank_deficient_derivation_every_step_holds(train_size, parameter_count, rank):
    steps = label_noise_derivation(train_size, parameter_count, rank, test_size=2)
    assert _failures(steps) == []
    names = {step.name for step in steps}
    assert "pseudoinverse_full_row_rank" not in names  # only stated for r = n
    assert {"pseudoinverse_penrose_1", "train_tpv", "tpv_spectral_sum"} <= names


def test_wrong_variance_claim_is_refuted():
    """Claiming E[δf²] = σ² bᵀ S⁻¹ b (S⁻¹ instead of S⁻²) must fail: the checker can fail."""
    setup = label_noise_setup()
    exact = setup.exact
    S_inv = exact(sympy.diag(*[1 / s for s in setup.singular_values]))
    delta_w_min = exact(setup.right_singular) @ S_inv @ exact(setup.left_singular.T)
    delta_w_min = delta_w_min @ exact(sympy.Matrix(setup.noise))
    gradient = exact(setup.test_gradients[0])
    change = gradient.T @ delta_w_min
    second_moment = expectation_isotropic(change @ change, setup.noise, setup.variance)
    b = exact(setup.right_singular).T @ gradient
    right = equality_step(
        "eq36", "Eq. 36", "", second_moment, (b.T @ S_inv @ S_inv @ b).scale(setup.variance)
    )
    wrong = equality_step(
        "eq36_wrong", "Eq. 36", "", second_moment, (b.T @ S_inv @ b).scale(setup.variance)
    )
    assert right.holds
    assert not wrong.holds
    assert wrong.residual != "0"


def test_interpolation_claim_fails_when_rank_deficient():
    """Train TPV is σ² r/n, not σ², when r < n (App. C.2 (3)); claiming σ² must fail."""
    setup = label_noise_setup(train_size=2, parameter_count=3, rank=1)
    exact = setup.exact
    S_inv = exact(sympy.diag(*[1 / s for s in setup.singular_values]))
    left, right = exact(setup.left_singular), exact(setup.right_singular)
    jacobian = left @ exact(setup.singular_matrix) @ right.T
    fitted = (jacobian @ right @ S_inv @ left.T @ exact(sympy.Matrix(setup.noise))).reduced()
    train_tpv = expectation_isotropic(fitted.T @ fitted, setup.noise, setup.variance).scale(
        sympy.Rational(1, 2)
    )
    assert equality_step("r_over_n", "App. C.2", "", train_tpv, setup.variance / 2).holds
    assert not equality_step("interp", "App. C.2", "", train_tpv, setup.variance).holds


def test_setup_rejects_bad_sizes():
    with pytest.raises(ParameterError, match="rank"):
        label_noise_setup(train_size=2, parameter_count=3, rank=3)
    with pytest.raises(ParameterError):
        label_noise_derivation(train_size=0)


def test_skewed_noise_law_has_zero_mean_unit_variance_and_matches_closed_form():
    from theorylab.claims.tpv.label_noise_spectral_sum.premises import (
        SKEWED_LAW,
        skewed_noise_moments,
    )
    from theorylab.oracles import qr_solution_map
    from theorylab.solvers.tpv import label_noise_tpv

    moments = [sum(p * v**k for v, p in SKEWED_LAW) for k in range(4)]
    assert moments[:3] == pytest.approx([1.0, 0.0, 1.0], abs=1e-15)
    assert moments[3] == pytest.approx(2**-0.5)  # skewed: third moment != 0
    rng = np.random.default_rng(1)
    train = rng.integers(-3, 4, (5, 7)).astype(float)
    test = rng.integers(-3, 4, (4, 7)).astype(float)
    result = label_noise_tpv(train, test, 0.5)
    test_value, train_value = skewed_noise_moments(
        train, test, 5, 4, 0.5, qr_solution_map(train, result.rank_tolerance)
    )
    assert (test_value, train_value) == pytest.approx((result.test, result.train), rel=1e-10)
