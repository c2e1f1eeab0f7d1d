"""Paper 000, App. C.1-C.2, Eq. 34-39: the prediction variance, ``B`` and the train TPV."""

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

__all__ = ["prediction_variance_steps"]


def prediction_variance_steps(
    setup: LabelNoiseSetup, exact: ExactInstance
) -> tuple[list[DerivationStep], RationalMatrix]:
    """Eq. 34-39, the Tr(H_eff C) template and the train TPV (App. C.2); also returns B."""
    delta_w_min = exact.min_norm_map @ exact.eps
    projections = [exact.V_r.T @ g for g in exact.gradients]
    changes = [g.T @ delta_w_min for g in exact.gradients]
    second_moments = [
        expectation_isotropic(change @ change, setup.noise, setup.variance) for change in changes
    ]
    inverse_m = sympy.Rational(1, len(exact.gradients))
    B = matrix_sum([b @ b.T for b in projections]).scale(inverse_m)
    steps = (
        _projection_steps(setup, exact, delta_w_min)
        + _pointwise_steps(setup, exact, projections, changes, second_moments)
        + _spectral_sum_steps(setup, exact, B, second_moments, delta_w_min)
        + _train_steps(setup, exact, delta_w_min)
    )
    return steps, B


def _projection_steps(
    setup: LabelNoiseSetup, exact: ExactInstance, delta_w_min: RationalMatrix
) -> list[DerivationStep]:
    """Eq. 34-35: the gradient split ``g = V_r b + V_⊥ c`` and the projected change."""
    U_r, V_r, V_perp, S_inv, eps = exact.U_r, exact.V_r, exact.V_perp, exact.S_inv, exact.eps
    noise_map = S_inv @ U_r.T  # b -> coefficients of eps in delta f
    b_free, c_free = (setup.exact(setup.auxiliary(name)) for name in ("b", "c"))
    gradient = exact.gradients[0]
    return [
        equality_step(
            "gradient_decomposition",
            "Eq. 34-35",
            r"g = V_r b + V_\perp c,\ b = V_r^\top g,\ c = V_\perp^\top g",
            V_r @ (V_r.T @ gradient) + V_perp @ (V_perp.T @ gradient),
            gradient,
        ),
        equality_step(
            "prediction_change_projected",
            "Eq. 35",
            r"(V_r b + V_\perp c)^\top V_r S^{-1} U_r^\top \varepsilon"
            r" = b^\top S^{-1} U_r^\top\varepsilon",
            (V_r @ b_free + V_perp @ c_free).T @ delta_w_min,
            b_free.T @ noise_map @ eps,
        ),
    ]


def _pointwise_steps(
    setup: LabelNoiseSetup,
    exact: ExactInstance,
    projections: list[RationalMatrix],
    changes: list[RationalMatrix],
    second_moments: list[RationalMatrix],
) -> list[DerivationStep]:
    """Eq. 34-36: the prediction change at each test input, its mean and its variance."""
    S_inv, eps, variance = exact.S_inv, exact.eps, exact.variance
    m, ring = len(exact.gradients), setup.ring
    noise_map = S_inv @ exact.U_r.T
    steps = []
    stacked_changes = changes[0]
    for change in changes[1:]:
        stacked_changes = stacked_changes.vstack(change)
    projected_changes = [b.T @ noise_map @ eps for b in projections]
    stacked_projected = projected_changes[0]
    for change in projected_changes[1:]:
        stacked_projected = stacked_projected.vstack(change)
    steps.append(
        equality_step(
            "prediction_change",
            "Eq. 34-35",
            r"\delta f(x_k) = g(x_k)^\top\delta w_{\min} = b(x_k)^\top S^{-1}U_r^\top"
            r"\varepsilon,\ b(x_k) = V_r^\top g(x_k),\ k = 1..m",
            stacked_changes,
            stacked_projected,
        )
    )
    steps.append(
        equality_step(
            "prediction_change_mean",
            "Eq. 36",
            r"\mathbb{E}_\varepsilon[\delta f(x_k)] = 0",
            expectation_isotropic(stacked_changes, setup.noise, setup.variance),
            RationalMatrix.zeros(m, 1, ring),
        )
    )
    stacked_moments = second_moments[0]
    stacked_claims = (projections[0].T @ S_inv @ S_inv @ projections[0]).scale(variance)
    for moment, b in zip(second_moments[1:], projections[1:], strict=True):
        stacked_moments = stacked_moments.vstack(moment)
        stacked_claims = stacked_claims.vstack((b.T @ S_inv @ S_inv @ b).scale(variance))
    steps.append(
        equality_step(
            "prediction_variance_pointwise",
            "Eq. 36",
            r"\mathbb{E}_\varepsilon[\delta f(x_k)^2] = \sigma^2 b(x_k)^\top S^{-2} b(x_k)",
            stacked_moments,
            stacked_claims,
        )
    )
    return steps


def _spectral_sum_steps(
    setup: LabelNoiseSetup,
    exact: ExactInstance,
    B: RationalMatrix,
    second_moments: list[RationalMatrix],
    delta_w_min: RationalMatrix,
) -> list[DerivationStep]:
    """Eq. 37-39, the parameter covariance and the Tr(H_eff C) template (Eq. 1, 6)."""
    V_r, S_inv, variance = exact.V_r, exact.S_inv, exact.variance
    r, m = setup.rank, len(exact.gradients)
    inverse_m = sympy.Rational(1, m)
    test_jacobian = exact.gradients[0].T
    for g in exact.gradients[1:]:
        test_jacobian = test_jacobian.vstack(g.T)
    effective_hessian = (test_jacobian.T @ test_jacobian).scale(inverse_m)
    test_tpv = matrix_sum(second_moments).scale(inverse_m)
    s_inv_squared = S_inv @ S_inv
    spectral_terms = [B[i, i].scale(s_inv_squared[i, i]) for i in range(r)]
    spectral_sum = matrix_sum(spectral_terms).scale(variance)
    covariance = expectation_isotropic(delta_w_min @ delta_w_min.T, setup.noise, setup.variance)
    return [
        equality_step(
            "projected_second_moment",
            "Eq. 37",
            r"B = \mathbb{E}_x[b b^\top] = V_r^\top H_{\text{eff}} V_r,"
            r"\ H_{\text{eff}} = \tfrac1m J_{te}^\top J_{te}",
            B,
            V_r.T @ effective_hessian @ V_r,
        ),
        equality_step(
            "tpv_trace",
            "Eq. 38",
            r"\mathbb{E}_{x,\varepsilon}[\delta f(x)^2] = \sigma^2\operatorname{Tr}(S^{-2}B)",
            test_tpv,
            (s_inv_squared @ B).trace().scale(variance),
        ),
        equality_step(
            "tpv_spectral_sum",
            "Eq. 39 (Thm. 3.2, Eq. 10)",
            r"\mathbb{E}_{x,\varepsilon}[\delta f(x)^2] = \sigma^2\sum_{i=1}^r B_{ii}/s_i^2",
            test_tpv,
            spectral_sum,
        ),
        equality_step(
            "parameter_covariance",
            "App. C.2 (2b)",
            r"C = \mathbb{E}[\delta w_{\min}\delta w_{\min}^\top] = \sigma^2 V_r S^{-2} V_r^\top",
            covariance,
            (V_r @ s_inv_squared @ V_r.T).scale(variance),
        ),
        equality_step(
            "tpv_template",
            "Eq. 1, 6",
            r"\operatorname{Tr}(H_{\text{eff}} C) = \mathbb{E}_{x,\varepsilon}[\delta f(x)^2]",
            (effective_hessian @ covariance).trace(),
            test_tpv,
        ),
    ]


def _train_steps(
    setup: LabelNoiseSetup, exact: ExactInstance, delta_w_min: RationalMatrix
) -> list[DerivationStep]:
    """App. C.2: the train prediction change ``U_r U_rᵀ ε`` and the train TPV ``σ² r/n``."""
    U_r, J, eps, variance = exact.U_r, exact.J, exact.eps, exact.variance
    n, r = J.shape[0], setup.rank
    train_change = (J @ delta_w_min).reduced()
    return [
        equality_step(
            "train_prediction_change",
            "App. C.2",
            r"J\delta w_{\min} = U_r U_r^\top\varepsilon",
            train_change,
            U_r @ (U_r.T @ eps),
        ),
        equality_step(
            "train_tpv",
            "App. C.2 (3)",
            r"\tfrac1n\mathbb{E}\|J\delta w_{\min}\|^2 = \sigma^2 r/n",
            expectation_isotropic(squared_norm(train_change), setup.noise, setup.variance).scale(
                sympy.Rational(1, n)
            ),
            variance.scale(sympy.Rational(r, n)),
        ),
    ]
