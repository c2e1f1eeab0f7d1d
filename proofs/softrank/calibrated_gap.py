r"""Symbolic checks of ``softrank.calibrated_gap``: Props 4.1, 4.2 (App. G.3, G.4) of paper 004.

Matrix inequalities :math:`X \succeq Y` are decided by a certificate: the difference is shown to
be *exactly* :math:`\pm GG^\top`; a step whose certified sign is the opposite of the printed
one fails, with a rational witness where the printed inequality is violated. Props 4.1/4.2 run
on exact rational matrices (:class:`~theorylab.proofs.steps.RationalMatrix`, with
:math:`(F+\Lambda)^{-1} = \mathrm{adj}/\det`). ``corrected=True`` replaces the printed steps
that fail by what does follow.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.softrank.common import lower_symbols, symmetric_symbols, vector_symbols
from theorylab.proofs.steps import RationalMatrix, equality_step
from theorylab.spec import DerivationStep

__all__ = ["prop41_derivation", "prop42_derivation"]


def _sign_step(
    name: str,
    equation: str,
    claim: str,
    difference: RationalMatrix,
    certificate: RationalMatrix,
    claimed_sign: int,
    witness: dict[sympy.Symbol, object],
) -> DerivationStep:
    r"""Decide ``difference ⪰ 0`` (claimed_sign=+1) or ``⪯ 0`` (-1) via ``difference = s·GGᵀ``.

    ``certificate`` is G; the certified sign s is found by testing ``difference ∓ GGᵀ = 0``
    exactly. If s differs from the claimed sign, the step fails and ``witness`` (a rational
    point) gives the offending value of the difference's first diagonal entry.
    """
    gram = certificate @ certificate.T
    for sign in (1, -1):
        if (difference - (gram if sign > 0 else -gram)).is_zero():
            holds = sign == claimed_sign
            residual = "0"
            if not holds:
                entry = difference.to_sympy(cancel=True)[0, 0].subs(witness)
                residual = (
                    f"difference = {'-' if sign < 0 else '+'}G Gᵀ; at {witness}: "
                    f"diagonal entry {sympy.nsimplify(entry)}"
                )
            return DerivationStep(
                name=name,
                equation=equation,
                claim=claim,
                holds=holds,
                method=f"certificate: difference = {sign:+d}·G Gᵀ exactly (numerators over the "
                "lcm of factored denominators)",
                residual=residual,
            )
    return DerivationStep(
        name=name,
        equation=equation,
        claim=claim,
        holds=False,
        method="certificate search",
        residual="no ±G Gᵀ certificate",
    )


def _witness(expression: sympy.Matrix) -> dict[sympy.Symbol, int]:
    """A rational point: F = diag(2, 1), Λ = I, θ = e_1."""
    values = {"f_00": 2, "f_11": 1, "l_00": 1, "l_11": 1, "t_0": 1}
    return {symbol: values.get(symbol.name, 0) for symbol in expression.free_symbols}


def _calibrated_pieces() -> tuple[RationalMatrix, ...]:
    """F (generic symmetric), Λ = LLᵀ, θ, (F+Λ)^{-1} = adj/det, as exact rational matrices."""
    fisher = symmetric_symbols("f")
    lower = lower_symbols("l")
    lam = lower * lower.T
    theta = vector_symbols("t")
    symbols = sorted(fisher.free_symbols | lam.free_symbols | theta.free_symbols, key=str)
    ring = sympy.QQ[tuple(symbols)]
    total = fisher + lam
    inverse = total.adjugate() / total.det()
    pieces = [RationalMatrix.from_sympy(m, ring) for m in (fisher, lam, theta, inverse, lower)]
    return tuple(pieces)


def prop41_derivation(*, corrected: bool = False) -> list[DerivationStep]:
    r"""App. G.3 (Prop. 4.1) with :math:`C = H = F` (Prop. 2.2) and Eq. 11."""
    fisher, lam, theta, inverse, lower = _calibrated_pieces()
    shift = lam @ theta
    c_lam = fisher - shift @ shift.T
    sandwich = inverse @ c_lam @ inverse
    middle = inverse @ fisher @ inverse
    witness = _witness(sympy.Matrix([sympy.Symbol(str(g)) for g in fisher.ring.symbols]))
    witness = {symbol: witness[sympy.Symbol(str(symbol))] for symbol in fisher.ring.symbols}
    sign = -1 if corrected else 1
    relation = r"\preceq" if corrected else r"\succeq"
    steps = [
        _sign_step(
            "eq12_first_inequality",
            "Eq. 12",
            rf"(F+\Lambda)^{{-1}}C_\Lambda(F+\Lambda)"
            rf"^{{-1}} {relation} (F+\Lambda)^{{-1}}F(F+\Lambda)^{{-1}}",
            sandwich - middle,
            inverse @ shift,
            sign,
            witness,
        ),
        _sign_step(
            "eq12_lemma_e1",
            "Eq. 12 / Lemma E.1",
            rf"(F+\Lambda)^{{-1}}F(F+\Lambda)^{{-1}}"
            rf" {relation} (F+\Lambda)^{{-1}}",
            middle - inverse,
            inverse @ lower,
            sign,
            witness,
        ),
        equality_step(
            "gap_limit_expansion",
            "G.3",
            r"\mathrm{Tr}(C_\Lambda H_\Lambda^{-1}) = "
            r"\mathrm{rank}_\Lambda(F) - \theta^\top\Lambda(F+\Lambda)^{-1}\Lambda\theta",
            (c_lam @ inverse).trace(),
            (fisher @ inverse).trace() - shift.T @ inverse @ shift,
        ),
        equality_step(
            "gap_correction_quadratic_form",
            "G.3",
            r"\theta^\top\Lambda(F+\Lambda)"
            r"^{-1}\Lambda\theta = u^\top(F+\Lambda)u \ge 0,\ u = (F+\Lambda)^{-1}"
            r"\Lambda\theta",
            shift.T @ inverse @ shift,
            (inverse @ shift).T @ (fisher + lam) @ (inverse @ shift),
        ),
    ]
    x_sym, y_sym = symmetric_symbols("x"), symmetric_symbols("y")
    steps.append(
        equality_step(
            "lemma_e2_trace_identity",
            "Lemma E.2",
            r"\mathrm{Tr}Y^2 - "
            r"\mathrm{Tr}X^2 = \mathrm{Tr}((Y-X)(Y+X))",
            (y_sym * y_sym).trace() - (x_sym * x_sym).trace(),
            ((y_sym - x_sym) * (y_sym + x_sym)).trace(),
            method="cancel",
        )
    )
    return steps


def prop42_derivation(*, corrected: bool = False) -> list[DerivationStep]:
    r"""App. G.4 (Prop. 4.2): expansion of :math:`\mathrm{Tr}((C_\Lambda H_\Lambda^{-1})^2)`."""
    fisher, lam, theta, inverse, _ = _calibrated_pieces()
    shift = lam @ theta
    proj = fisher @ inverse
    perp = lam @ inverse
    rank_one = shift @ theta.T @ perp
    product = (fisher - shift @ shift.T) @ inverse
    quad_perp = theta.T @ perp @ shift
    steps = [
        equality_step(
            "projection_form",
            "G.4",
            r"C_\Lambda H_\Lambda^{-1} = P_\Lambda - "
            r"\Lambda\theta\theta^\top P_\Lambda^\perp",
            product,
            proj - rank_one,
        ),
        equality_step(
            "square_expansion",
            "G.4",
            r"\mathrm{Tr}(\cdot)^2 = \mathrm{rank}^{(2)} - "
            r"2\mathrm{Tr}(P\Lambda\theta\theta^\top P^\perp) + "
            r"\mathrm{Tr}((\Lambda\theta\theta^\top P^\perp)^2)",
            (product @ product).trace(),
            (proj @ proj).trace()
            - (proj @ rank_one).trace().scale(2)
            + (rank_one @ rank_one).trace(),
        ),
        equality_step(
            "cross_term_quadratic_form",
            "G.4",
            r"\mathrm{Tr}(P\Lambda\theta\theta^\top"
            r" P^\perp) = \theta^\top P^\perp P\Lambda\theta",
            (proj @ rank_one).trace(),
            theta.T @ perp @ proj @ shift,
        ),
        equality_step(
            "cross_term_symmetric",
            "G.4",
            r"P^\perp P\Lambda\ \text{symmetric}",
            perp @ proj @ lam,
            (perp @ proj @ lam).T,
        ),
        equality_step(
            "rank_one_square",
            "G.4",
            r"\mathrm{Tr}((\Lambda\theta\theta^\top "
            r"P^\perp)^2) = (\theta^\top P^\perp\Lambda\theta)^2",
            (rank_one @ rank_one).trace(),
            quad_perp @ quad_perp,
        ),
    ]
    if not corrected:
        steps.append(_printed_mixed_factor(fisher, lam, theta, inverse, quad_perp))
    return steps


def _printed_mixed_factor(
    fisher: RationalMatrix,
    lam: RationalMatrix,
    theta: RationalMatrix,
    inverse: RationalMatrix,
    quad_perp: RationalMatrix,
) -> DerivationStep:
    """G.4's printed mixed factor, with the values at a rational witness where it fails."""
    shift = lam @ theta
    printed = (theta.T @ lam @ inverse @ shift) @ (theta.T @ fisher @ inverse @ shift)
    step = equality_step(
        "printed_mixed_factor",
        "G.4 (third display, line 3)",
        r"(\theta^\top P^\perp\Lambda\theta)^2 = "
        r"\theta^\top\Lambda(F+\Lambda)^{-1}\Lambda\theta"
        r"\cdot\theta^\top F(F+\Lambda)^{-1}\Lambda\theta",
        quad_perp @ quad_perp,
        printed,
    )
    if not step.holds:
        lhs = (quad_perp @ quad_perp).to_sympy(cancel=True)[0, 0]
        rhs = printed.to_sympy(cancel=True)[0, 0]
        point = _witness(sympy.Matrix([lhs - rhs]))
        step = step.model_copy(
            update={
                "residual": (
                    f"at {point}: lhs = {sympy.nsimplify(lhs.subs(point))}, "
                    f"printed rhs = {sympy.nsimplify(rhs.subs(point))}"
                )
            }
        )
    return step
