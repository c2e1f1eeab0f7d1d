"""Paper 000, App. C.1, Eq. 27-31: the normal equations and the min-norm solution ``J⁺ε``."""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import RationalMatrix, equality_step
from theorylab.proofs.tpv.label_noise_setup import ExactInstance, LabelNoiseSetup, squared_norm
from theorylab.spec import DerivationStep

__all__ = ["solution_steps"]


def solution_steps(setup: LabelNoiseSetup, exact: ExactInstance) -> list[DerivationStep]:
    """Eq. 29 frames, Eq. 27-28 gradient, Eq. 30, coordinates and kernel, Eq. 31, J^+."""
    normal_matrix = (exact.J.T @ exact.J).reduced()
    return (
        _frame_steps(setup, exact)
        + _normal_equation_steps(setup, exact, normal_matrix)
        + _coordinate_steps(setup, exact, normal_matrix)
        + _min_norm_steps(setup, exact, normal_matrix)
        + _pseudoinverse_steps(setup, exact)
    )


def _frame_steps(setup: LabelNoiseSetup, exact: ExactInstance) -> list[DerivationStep]:
    """Eq. 29: the frames are orthonormal."""
    U_r, V_r, V_perp = exact.U_r, exact.V_r, exact.V_perp
    p = exact.J.shape[1]
    frame = V_r.hstack(V_perp)
    return [
        equality_step(
            "left_frame_orthonormal",
            "Eq. 29",
            r"U_r^\top U_r = I_r",
            U_r.T @ U_r,
            RationalMatrix.identity(setup.rank, setup.ring),
        ),
        equality_step(
            "right_frame_orthonormal",
            "Eq. 29",
            r"[V_r\ V_\perp]^\top [V_r\ V_\perp] = I_p",
            frame.T @ frame,
            RationalMatrix.identity(p, setup.ring),
        ),
    ]


def _normal_equation_steps(
    setup: LabelNoiseSetup, exact: ExactInstance, normal_matrix: RationalMatrix
) -> list[DerivationStep]:
    """Eq. 27-28 (gradient of the loss, normal equations) and Eq. 30 (their SVD form)."""
    U_r, V_r, S, J, eps = exact.U_r, exact.V_r, exact.S, exact.J, exact.eps
    delta_w_symbols = setup.auxiliary("delta_w")
    delta_w = setup.exact(delta_w_symbols)
    loss = squared_norm(J @ delta_w - eps).scale(sympy.Rational(1, 2))
    gradient = loss.diff(delta_w_symbols[0])
    for symbol in delta_w_symbols[1:]:
        gradient = gradient.vstack(loss.diff(symbol))
    return [
        equality_step(
            "loss_gradient",
            "Eq. 27",
            r"\nabla_{\delta w} \tfrac12\|J\delta w - \varepsilon\|^2"
            r" = J^\top(J\delta w - \varepsilon)",
            gradient,
            J.T @ (J @ delta_w - eps),
        ),
        equality_step(
            "normal_equations",
            "Eq. 28",
            r"\nabla L = 0 \iff J^\top J\delta w = J^\top\varepsilon",
            gradient,
            normal_matrix @ delta_w - J.T @ eps,
        ),
        equality_step(
            "normal_matrix_svd",
            "Eq. 30",
            r"J^\top J = V_r S^2 V_r^\top",
            normal_matrix,
            V_r @ S @ S @ V_r.T,
        ),
        equality_step(
            "normal_rhs_svd",
            "Eq. 30",
            r"J^\top \varepsilon = V_r S U_r^\top \varepsilon",
            J.T @ eps,
            V_r @ S @ (U_r.T @ eps),
        ),
    ]


def _coordinate_steps(
    setup: LabelNoiseSetup, exact: ExactInstance, normal_matrix: RationalMatrix
) -> list[DerivationStep]:
    """After Eq. 30: coordinates ``δw = V_r α + V_⊥ β``, the kernel and the rank."""
    U_r, V_r, V_perp, S, J, eps = exact.U_r, exact.V_r, exact.V_perp, exact.S, exact.J, exact.eps
    n, p = J.shape
    r, ring = setup.rank, setup.ring
    alpha = setup.exact(setup.auxiliary("alpha"))
    beta = setup.exact(setup.auxiliary("beta"))
    general = V_r @ alpha + V_perp @ beta
    normal_residual = normal_matrix @ general - J.T @ eps
    return [
        equality_step(
            "coordinates_alpha",
            "App. C.1 after Eq. 30",
            r"V_r^\top(V_r\alpha + V_\perp\beta) = \alpha",
            V_r.T @ general,
            alpha,
        ),
        equality_step(
            "projected_normal_equations",
            "App. C.1 after Eq. 30",
            r"V_r^\top(J^\top J\delta w - J^\top\varepsilon) = S^2\alpha - S U_r^\top\varepsilon"
            r"\ \Rightarrow\ \alpha = S^{-1}U_r^\top\varepsilon",
            V_r.T @ normal_residual,
            S @ S @ alpha - S @ (U_r.T @ eps),
        ),
        equality_step(
            "complement_unconstrained",
            "App. C.1 after Eq. 30",
            r"V_\perp^\top(J^\top J\delta w - J^\top\varepsilon) = 0"
            r"\ \text{for all } \alpha, \beta",
            V_perp.T @ normal_residual,
            RationalMatrix.zeros(p - r, 1, ring),
        ),
        equality_step(
            "complement_in_kernel",
            "App. C.1 after Eq. 30",
            r"J V_\perp = 0",
            J @ V_perp,
            RationalMatrix.zeros(n, p - r, ring),
        ),
        equality_step(
            "rank_is_r",
            "Eq. 29",
            r"U_r^\top J V_r = S\ \text{(invertible: } \operatorname{rank} J = r,"
            r"\ \ker J = \operatorname{span} V_\perp)",
            U_r.T @ J @ V_r,
            S,
        ),
    ]


def _min_norm_steps(
    setup: LabelNoiseSetup, exact: ExactInstance, normal_matrix: RationalMatrix
) -> list[DerivationStep]:
    """Eq. 31: the min-norm solution solves Eq. 28 and is orthogonal to the kernel."""
    V_perp, J, eps = exact.V_perp, exact.J, exact.eps
    p = J.shape[1]
    r, ring = setup.rank, setup.ring
    delta_w_min = exact.min_norm_map @ eps
    shift = V_perp @ setup.exact(setup.auxiliary("t"))
    return [
        equality_step(
            "min_norm_solves_normal_equations",
            "Eq. 31",
            r"J^\top J\,\delta w_{\min} = J^\top\varepsilon,"
            r"\ \delta w_{\min} = V_r S^{-1}U_r^\top\varepsilon",
            normal_matrix @ delta_w_min,
            J.T @ eps,
        ),
        equality_step(
            "min_norm_orthogonal_to_kernel",
            "Eq. 31",
            r"V_\perp^\top \delta w_{\min} = 0",
            V_perp.T @ delta_w_min,
            RationalMatrix.zeros(p - r, 1, ring),
        ),
        equality_step(
            "min_norm_pythagoras",
            "Eq. 31",
            r"\|\delta w_{\min} + V_\perp t\|^2 = \|\delta w_{\min}\|^2 + \|V_\perp t\|^2"
            r" \ge \|\delta w_{\min}\|^2",
            squared_norm(delta_w_min + shift),
            squared_norm(delta_w_min) + squared_norm(shift),
        ),
    ]


def _pseudoinverse_steps(setup: LabelNoiseSetup, exact: ExactInstance) -> list[DerivationStep]:
    """Eq. 31: ``V_r S⁻¹ U_rᵀ`` is ``J⁺`` (Penrose), and ``Jᵀ(JJᵀ)⁻¹`` when ``r = n``."""
    U_r, S, J = exact.U_r, exact.S, exact.J
    n = J.shape[0]
    r = setup.rank
    pinv = exact.min_norm_map
    steps = []
    penrose = [
        ("penrose_1", r"J J^+ J = J", J @ pinv @ J, J),
        ("penrose_2", r"J^+ J J^+ = J^+", pinv @ J @ pinv, pinv),
        ("penrose_3", r"(J J^+)^\top = J J^+", (J @ pinv).T, J @ pinv),
        ("penrose_4", r"(J^+ J)^\top = J^+ J", (pinv @ J).T, pinv @ J),
    ]
    for name, claim, lhs, rhs in penrose:
        steps.append(
            equality_step(
                f"pseudoinverse_{name}",
                "Eq. 31",
                claim + r",\ J^+ := V_r S^{-1} U_r^\top",
                lhs,
                rhs,
            )
        )
    if r == n:
        # Checked without inverting: J J^T = U_r S^2 U_r^T is invertible when r = n (U_r
        # square orthogonal), so J^+ (J J^T) = J^T characterises J^+ = J^T (J J^T)^{-1}.
        steps.append(
            equality_step(
                "gram_svd",
                "Eq. 31",
                r"J J^\top = U_r S^2 U_r^\top",
                J @ J.T,
                U_r @ S @ S @ U_r.T,
            )
        )
        steps.append(
            equality_step(
                "pseudoinverse_full_row_rank",
                "Eq. 31",
                r"V_r S^{-1} U_r^\top (J J^\top) = J^\top,\ \text{i.e. } J^+ = J^\top"
                r"(J J^\top)^{-1}\ (r = n,\ J J^\top = U_r S^2 U_r^\top \text{ invertible})",
                pinv @ (J @ J.T),
                J.T,
            )
        )
    return steps
