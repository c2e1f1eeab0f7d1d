"""Paper 000, App. C.2 regime (1): the ridge solution and its train and test TPV."""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import RationalMatrix, equality_step, expectation_isotropic
from theorylab.proofs.tpv.label_noise_setup import (
    ExactInstance,
    LabelNoiseSetup,
    matrix_sum,
    squared_norm,
)
from theorylab.spec import DerivationStep

__all__ = ["ridge_steps"]


def ridge_steps(
    setup: LabelNoiseSetup, exact: ExactInstance, B: RationalMatrix
) -> list[DerivationStep]:
    """App. C.2 regime (1): the ridge solution and its train and test TPV."""
    J, p = exact.J, exact.J.shape[1]
    values, lam = setup.singular_values, setup.ridge
    shifted = (J.T @ J).reduced() + RationalMatrix.identity(p, setup.ring).scale(exact.ridge)
    shrink = setup.exact(sympy.diag(*[s / (s**2 + lam) for s in values]))
    delta_w_ridge = exact.V_r @ shrink @ (exact.U_r.T @ exact.eps)
    return _ridge_solution_steps(setup, exact, shifted, delta_w_ridge) + _ridge_tpv_steps(
        setup, exact, delta_w_ridge, B
    )


def _ridge_solution_steps(
    setup: LabelNoiseSetup,
    exact: ExactInstance,
    shifted: RationalMatrix,
    delta_w_ridge: RationalMatrix,
) -> list[DerivationStep]:
    """Regime (1): ``JᵀJ + λI`` is diagonal in the frame; the ridge solution solves it."""
    J, eps, frame = exact.J, exact.eps, exact.V_r.hstack(exact.V_perp)
    p, r = J.shape[1], setup.rank
    lam, values = setup.ridge, setup.singular_values
    return [
        equality_step(
            "ridge_system_diagonalised",
            "App. C.2 (1)",
            r"[V_r\ V_\perp]^\top(J^\top J + \lambda I)[V_r\ V_\perp]"
            r" = \operatorname{diag}(s_i^2 + \lambda, \lambda I_{p-r}) \succ 0",
            frame.T @ shifted @ frame,
            setup.exact(sympy.diag(*[s**2 + lam for s in values], *([lam] * (p - r)))),
        ),
        equality_step(
            "ridge_solution",
            "App. C.2 (1)",
            r"(J^\top J + \lambda I)\,V_r\operatorname{diag}\big(\tfrac{s_i}{s_i^2+\lambda}\big)"
            r"U_r^\top\varepsilon = J^\top\varepsilon",
            shifted @ delta_w_ridge,
            J.T @ eps,
        ),
    ]


def _ridge_tpv_steps(
    setup: LabelNoiseSetup, exact: ExactInstance, delta_w_ridge: RationalMatrix, B: RationalMatrix
) -> list[DerivationStep]:
    """Regime (1): the ridge train prediction change, train TPV and test TPV."""
    U_r, J, eps, variance = exact.U_r, exact.J, exact.eps, exact.variance
    n = J.shape[0]
    r, m = setup.rank, len(exact.gradients)
    lam, values = setup.ridge, setup.singular_values
    filter_factors = setup.exact(sympy.diag(*[s**2 / (s**2 + lam) for s in values]))
    train_change = (J @ delta_w_ridge).reduced()
    changes = [g.T @ delta_w_ridge for g in exact.gradients]
    test_tpv = matrix_sum(
        [expectation_isotropic(change @ change, setup.noise, setup.variance) for change in changes]
    ).scale(sympy.Rational(1, m))
    weights = setup.exact(sympy.diag(*[s**2 / (s**2 + lam) ** 2 for s in values]))
    return [
        equality_step(
            "ridge_train_prediction_change",
            "App. C.2 (1)",
            r"J\delta w_\lambda = U_r\operatorname{diag}\big(\tfrac{s_i^2}{s_i^2+\lambda}\big)"
            r"U_r^\top\varepsilon",
            train_change,
            U_r @ filter_factors @ (U_r.T @ eps),
        ),
        equality_step(
            "ridge_train_tpv",
            "App. C.2 (1)",
            r"\tfrac1n\mathbb{E}\|J\delta w_\lambda\|^2"
            r" = \sigma^2\tfrac1n\sum_i\big(\tfrac{s_i^2}{s_i^2+\lambda}\big)^2",
            expectation_isotropic(squared_norm(train_change), setup.noise, setup.variance).scale(
                sympy.Rational(1, n)
            ),
            (filter_factors @ filter_factors).trace().scale(variance).scale(sympy.Rational(1, n)),
        ),
        equality_step(
            "ridge_test_tpv",
            "App. C.2 (1)",
            r"\mathbb{E}_{x,\varepsilon}[(g^\top\delta w_\lambda)^2]"
            r" = \sigma^2\sum_i B_{ii}\,\tfrac{s_i^2}{(s_i^2+\lambda)^2}",
            test_tpv,
            matrix_sum([B[i, i].scale(weights[i, i]) for i in range(r)]).scale(variance),
        ),
    ]
