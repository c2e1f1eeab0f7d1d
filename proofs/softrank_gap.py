r"""Symbolic checks of paper 004's gap propositions: Props 4.1, 4.2 (G.3, G.4), 5.1 (G.5), 5.3, 5.4.

Matrix inequalities :math:`X \succeq Y` are decided by a certificate: the difference is shown to
be *exactly* :math:`\pm GG^\top`; a step whose certified sign is the opposite of the printed
one fails, with a rational witness where the printed inequality is violated. Props 4.1/4.2 run
on exact rational matrices (:class:`~theorylab.proofs.steps.RationalMatrix`, with
:math:`(F+\Lambda)^{-1} = \mathrm{adj}/\det`). ``corrected=True`` replaces the printed steps
that fail by what does follow.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import RationalMatrix, equality_step
from theorylab.spec import DerivationStep

__all__ = [
    "prop41_derivation",
    "prop42_derivation",
    "prop51_derivation",
    "prop53_derivation",
    "prop54_derivation",
    "symmetric_symbols",
]


def symmetric_symbols(prefix: str, size: int = 2) -> sympy.Matrix:
    """A generic symmetric matrix of real symbols ``prefix_ij`` (i <= j)."""
    return sympy.Matrix(
        size, size, lambda i, j: sympy.Symbol(f"{prefix}_{min(i, j)}{max(i, j)}", real=True)
    )


_symmetric = symmetric_symbols


def _vector(prefix: str, size: int = 2) -> sympy.Matrix:
    return sympy.Matrix([sympy.Symbol(f"{prefix}_{i}", real=True) for i in range(size)])


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


def _lower(prefix: str) -> sympy.Matrix:
    return sympy.Matrix(
        [
            [sympy.Symbol(f"{prefix}_00", positive=True), 0],
            [sympy.Symbol(f"{prefix}_10", real=True), sympy.Symbol(f"{prefix}_11", positive=True)],
        ]
    )


def _witness(expression: sympy.Matrix) -> dict[sympy.Symbol, int]:
    """A rational point: F = diag(2, 1), Λ = I, θ = e_1."""
    values = {"f_00": 2, "f_11": 1, "l_00": 1, "l_11": 1, "t_0": 1}
    return {symbol: values.get(symbol.name, 0) for symbol in expression.free_symbols}


def _calibrated_pieces() -> tuple[RationalMatrix, ...]:
    """F (generic symmetric), Λ = LLᵀ, θ, (F+Λ)^{-1} = adj/det, as exact rational matrices."""
    fisher = _symmetric("f")
    lower = _lower("l")
    lam = lower * lower.T
    theta = _vector("t")
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
    x_sym, y_sym = _symmetric("x"), _symmetric("y")
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
        steps.append(step)
    return steps


def prop51_derivation() -> list[DerivationStep]:
    r"""App. G.5 (Prop. 5.1) and Prop. G.1 (Eq. 11).

    :math:`\mathrm{Tr}(C_\Lambda H_\Lambda^{-1}) = \mathrm{Tr}(CH_\Lambda^{-1})
    - \theta^\top\Lambda H_\Lambda^{-1}\Lambda\theta`.
    """
    covariance, hessian, theta = _symmetric("c"), _symmetric("h"), _vector("t")
    lam = _lower("l") * _lower("l").T
    shift = lam * theta
    inverse = (hessian + lam).inv()
    probability = sympy.Symbol("q", positive=True)
    g0, g1 = _vector("g"), _vector("k")
    mean = probability * g0 + (1 - probability) * g1
    theta_star = -lam.inv() * mean  # stationarity: E[g] = -Λθ*
    centered = [g + lam * theta_star for g in (g0, g1)]
    second = probability * g0 * g0.T + (1 - probability) * g1 * g1.T
    regularized = (
        probability * centered[0] * centered[0].T + (1 - probability) * centered[1] * centered[1].T
    )
    return [
        equality_step(
            "eq11_covariance_shift",
            "Prop. G.1, Eq. 11",
            r"C_\Lambda = C - "
            r"\Lambda\theta^*\theta^{*\top}\Lambda",
            regularized,
            second - lam * theta_star * theta_star.T * lam,
            method="cancel",
        ),
        equality_step(
            "prop51_expansion",
            "G.5",
            r"\mathrm{Tr}((C-\Lambda\theta\theta^\top\Lambda)"
            r"H_\Lambda^{-1}) = \mathrm{Tr}(CH_\Lambda^{-1}) - \theta^\top\Lambda "
            r"H_\Lambda^{-1}\Lambda\theta",
            ((covariance - shift * shift.T) * inverse).trace(),
            (covariance * inverse).trace() - (shift.T * inverse * shift)[0, 0],
            method="cancel",
        ),
    ]


def prop53_derivation(*, corrected: bool = False) -> list[DerivationStep]:
    r"""App. G.6 (Prop. 5.3): the first line needs :math:`H = F`; the trace identities under Eq. 9.

    The identity :math:`\mathrm{Tr}(\mathbb{E}[J^\top\bar BJ]W) = \mathrm{Tr}(\bar B\,
    \mathbb{E}[JWJ^\top])` is checked for a generic symmetric :math:`W` (it is used with
    :math:`W = (F+\Lambda)^{-1}`), two Jacobian atoms :math:`2\times2`. The first display
    replaces :math:`H_\Lambda` by :math:`F+\Lambda`; with ``corrected`` the added hypothesis
    :math:`H = F` is substituted, otherwise the 1×1 residual is reported.
    """
    c, f, h, lam = sympy.symbols("C F H lambda", positive=True)
    first_rhs = c / (f + lam)
    first_lhs = c / ((f if corrected else h) + lam)
    steps = [
        equality_step(
            "first_line_hessian_replaced",
            "G.6 line 1",
            r"\mathrm{Tr}(C H_\Lambda^{-1}) = \mathrm{Tr}(C(F+\Lambda)^{-1})"
            + (r"\ (H = F\text{ assumed})" if corrected else ""),
            first_lhs,
            first_rhs,
            method="cancel",
        )
    ]
    q = sympy.Symbol("q", positive=True)
    jac = [
        sympy.Matrix(2, 2, lambda i, k, u=u: sympy.Symbol(f"j{u}_{i}{k}", real=True))
        for u in range(2)
    ]
    weight, bbar = _symmetric("w"), _symmetric("b")
    probs = [q, 1 - q]
    covariance = sum((p * j.T * bbar * j for p, j in zip(probs, jac, strict=True)), sympy.zeros(2))
    middle = sum((p * j * weight * j.T for p, j in zip(probs, jac, strict=True)), sympy.zeros(2))
    steps.append(
        equality_step(
            "trace_identity_eq9",
            "G.6",
            r"\mathrm{Tr}(\mathbb{E}[J^\top\bar BJ]W) = "
            r"\mathrm{Tr}(\bar B\,\mathbb{E}[JWJ^\top])",
            (covariance * weight).trace(),
            (bbar * middle).trace(),
            method="cancel",
        )
    )
    return steps


def prop54_derivation(*, corrected: bool = False) -> list[DerivationStep]:
    r"""App. G.7 (Prop. 5.4) for K = 3: :math:`\hat y = (1-E, a, E-a)`, :math:`0\le a\le E`.

    Non-negativity certificates substitute :math:`a = E/(1+v)`, :math:`\varepsilon =
    1/(2+2w)` with :math:`v, w \ge 0`, so that sympy's sign rules decide them. The printed step
    ":math:`\sum_{j\ne i}\hat y_j \le E^2`" (a typo for the squares) fails at :math:`E = 1/4`.
    """
    big_e, v, w = (
        sympy.Symbol("E", positive=True),
        sympy.Symbol("v", nonnegative=True),
        sympy.Symbol("w", nonnegative=True),
    )
    a = big_e / (1 + v)
    others = [a, big_e - a]
    error = big_e**2 + sum(o**2 for o in others)
    uncertainty = 1 - ((1 - big_e) ** 2 + sum(o**2 for o in others))
    slack = sympy.factor(big_e**2 - sum(o**2 for o in others))

    def nonnegative(name: str, claim: str, expression: sympy.Expr) -> DerivationStep:
        factored = sympy.factor(expression)
        return DerivationStep(
            name=name,
            equation="G.7",
            claim=claim,
            holds=bool(factored.is_nonnegative),
            method="sympy sign of the factored expression (E > 0; v, w >= 0)",
            residual="0" if factored.is_nonnegative else str(factored),
        )

    steps = []
    if corrected:
        steps.append(nonnegative("squares_bounded", r"\sum_{j\ne i}\hat y_j^2 \le E^2", slack))
    else:
        quarter = sympy.Rational(1, 4)
        printed = sum(others).subs(big_e, quarter)
        steps.append(
            DerivationStep(
                name="printed_sum_bounded",
                equation="G.7",
                claim=r"\sum_{j\ne i}\hat y_j \le E^2",
                holds=bool(printed <= quarter**2),
                method="evaluate at E = 1/4",
                residual=f"sum = {printed} > E^2 = {quarter**2}",
            )
        )
    steps += [
        nonnegative("mse_bound", r"\|y-\hat y\|^2 \le 2E^2", 2 * big_e**2 - error),
        nonnegative(
            "uncertainty_bound",
            r"1-\|\hat y\|^2 \ge 2E(1-E)",
            uncertainty - 2 * big_e * (1 - big_e),
        ),
        nonnegative(
            "final_ratio",
            r"\varepsilon/(1-\varepsilon) \le 2\varepsilon,\ "
            r"\varepsilon \le 1/2",
            (lambda eps: 2 * eps - eps / (1 - eps))(1 / (2 + 2 * w)),
        ),
    ]
    return steps
