r"""Symbolic checks of paper 004 ("Flatness After All?"): Eq. 3, App. C, Prop. 2.2.

Each function returns :class:`~theorylab.spec.DerivationStep` records, computed with sympy on
generic symbolic matrices (2×2 unless said otherwise). The proofs of Props 4.1, 4.2, 5.1, 5.3
and 5.4 live in :mod:`theorylab.proofs.softrank_gap` and are re-exported here.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.softrank_gap import (
    prop41_derivation,
    prop42_derivation,
    prop51_derivation,
    prop53_derivation,
    prop54_derivation,
    symmetric_symbols,
)
from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = [
    "eq3_limit_derivation",
    "information_equality_derivation",
    "prop41_derivation",
    "prop42_derivation",
    "prop51_derivation",
    "prop53_derivation",
    "prop54_derivation",
    "rank2_concavity_derivation",
    "trace_function_derivation",
]

_symmetric = symmetric_symbols


def eq3_limit_derivation() -> list[DerivationStep]:
    r"""App. G.1: each summand :math:`\sigma/(\sigma+\lambda)` (and its square) → 1 or 0."""
    sigma, lam = sympy.symbols("sigma lambda", positive=True)
    steps = []
    for power, label in ((1, "rank"), (2, "rank2")):
        term = (sigma / (sigma + lam)) ** power
        steps.append(
            equality_step(
                f"{label}_positive_eigenvalue",
                "Eq. 3 / G.1",
                rf"\lim_{{\lambda\to0}}(\sigma/(\sigma+\lambda))^{power} = 1,\ \sigma>0",
                sympy.limit(term, lam, 0, "+"),
                sympy.Integer(1),
            )
        )
        steps.append(
            equality_step(
                f"{label}_zero_eigenvalue",
                "Eq. 3 / G.1",
                rf"(0/(0+\lambda))^{power} = 0 for every \lambda > 0",
                term.subs(sigma, 0),
                sympy.Integer(0),
            )
        )
    return steps


def trace_function_derivation() -> list[DerivationStep]:
    r"""App. C / Eq. 13: trace-function form of the soft rank, and pinching commutation.

    :math:`\mathrm{rank}_\Lambda(S) = \mathrm{Tr}(I-(L^{-1}SL^{-\top}+I)^{-1})`.

    With any factor :math:`\Lambda = LL^\top` (the symmetric root is one choice), plus
    pinching commutation :math:`\mathcal P(AXA) = A\mathcal P(X)A` for block-diagonal A
    (Thm C.2), on a 3×3 instance with blocks (1, 2).
    """
    s_matrix = _symmetric("s")
    lower = sympy.Matrix(
        [
            [sympy.Symbol("l_00", positive=True), 0],
            [sympy.Symbol("l_10", real=True), sympy.Symbol("l_11", positive=True)],
        ]
    )
    lam = lower * lower.T
    eye = sympy.eye(2)
    soft = (s_matrix * (s_matrix + lam).inv()).trace()
    relative = lower.inv() * s_matrix * lower.inv().T
    steps = [
        equality_step(
            "complement_form",
            "App. C",
            r"\mathrm{Tr}\,S(S+\Lambda)^{-1} = "
            r"\mathrm{Tr}(I - \Lambda(S+\Lambda)^{-1})",
            soft,
            (eye - lam * (s_matrix + lam).inv()).trace(),
            method="cancel",
        ),
        equality_step(
            "relative_form",
            "App. C, Eq. 13",
            r"= \mathrm{Tr}(I - "
            r"(L^{-1}SL^{-\top} + I)^{-1})",
            soft,
            (eye - (relative + eye).inv()).trace(),
            method="cancel",
        ),
    ]
    x_matrix = _symmetric("x", 3)
    a_matrix = sympy.diag(sympy.Symbol("a_00", real=True), _symmetric("a", 2))
    mask = sympy.Matrix(3, 3, lambda i, j: 1 if (i == 0) == (j == 0) else 0)

    def pinch(m: sympy.Matrix) -> sympy.Matrix:
        return m.multiply_elementwise(mask)

    steps.append(
        equality_step(
            "pinching_commutes",
            "Thm C.2",
            r"\mathcal P(AXA) = "
            r"A\mathcal P(X)A,\ A = \mathcal P(A)",
            pinch(a_matrix * x_matrix * a_matrix),
            a_matrix * pinch(x_matrix) * a_matrix,
            method="cancel",
        )
    )
    return steps


def rank2_concavity_derivation(*, corrected: bool = False) -> list[DerivationStep]:
    r"""Sec. 4: concavity of the scalar generators of the soft rank and of rank^(2).

    The generators are :math:`x/(x+\lambda)` and :math:`x^2/(x+\lambda)^2`.

    A trace function :math:`\mathrm{Tr}\,g(M)` is concave on a convex set of symmetric
    matrices with spectra in an interval iff g is concave there; the 1×1 case shows the
    "only if". :math:`h'' = -2\lambda/(x+\lambda)^3 \le 0`, but
    :math:`g'' = 2\lambda(\lambda-2x)/(x+\lambda)^4 > 0` on :math:`[0, \lambda/2)`.
    """
    x = sympy.Symbol("x", nonnegative=True)
    lam = sympy.Symbol("lambda", positive=True)
    h = x / (x + lam)
    g = h**2
    h2 = sympy.diff(h, x, 2)
    g2 = sympy.diff(g, x, 2)
    steps = [
        equality_step(
            "soft_rank_second_derivative",
            "Sec. 4",
            r"h'' = -2\lambda/(x+\lambda)^3",
            h2,
            -2 * lam / (x + lam) ** 3,
            method="cancel",
        ),
        DerivationStep(
            name="soft_rank_generator_concave",
            equation="Sec. 4",
            claim=r"h'' \le 0 on [0,\infty)",
            holds=bool(sympy.factor(-h2).is_nonnegative),
            method="sympy sign of factor(-h'') with x >= 0, lambda > 0",
            residual="0" if sympy.factor(-h2).is_nonnegative else str(h2),
        ),
        equality_step(
            "rank2_second_derivative",
            "Sec. 4",
            r"g'' = 2\lambda(\lambda-2x)/(x+\lambda)^4",
            g2,
            2 * lam * (lam - 2 * x) / (x + lam) ** 4,
            method="cancel",
        ),
    ]
    at_zero = sympy.simplify(g2.subs(x, 0))
    if corrected:
        y = sympy.Symbol("y", nonnegative=True)  # x = lambda/2 + y
        shifted = sympy.factor(g2.subs(x, lam / 2 + y))
        steps.append(
            DerivationStep(
                name="rank2_generator_concave_above_half",
                equation="Sec. 4 (corrected)",
                claim=r"g'' \le 0 for x \ge \lambda/2",
                holds=bool((-shifted).is_nonnegative),
                method="sympy sign of -g''(lambda/2 + y), y >= 0",
                residual="0" if (-shifted).is_nonnegative else str(shifted),
            )
        )
    else:
        steps.append(
            DerivationStep(
                name="rank2_generator_concave",
                equation="Sec. 4",
                claim=r"g'' \le 0 on [0,\infty) (rank^{(2)} concave)",
                holds=bool(at_zero <= 0),
                method="evaluate g'' at x = 0",
                residual=f"g''(0) = {at_zero} > 0",
            )
        )
    return steps


def information_equality_derivation() -> list[DerivationStep]:
    r"""App. G.2 (Prop. 2.2) on a Bernoulli model with J independent of (r, y), calibrated.

    Two Jacobian atoms :math:`j_u` (probabilities q, 1-q) with output Hessians :math:`c_u`,
    two output atoms :math:`r_v` with :math:`\sigma_v = \sigma(r_v)` (probabilities w, 1-w),
    :math:`y\mid r_v \sim \mathrm{Bernoulli}(\sigma_v)` (calibration), :math:`e = \sigma_v - y`.
    """
    q, w, s0, s1 = sympy.symbols("q w sigma_0 sigma_1", positive=True)
    j = [sympy.Symbol(f"j_{u}", real=True) for u in range(2)]
    c = [sympy.Symbol(f"c_{u}", real=True) for u in range(2)]
    pu, pv, sig = [q, 1 - q], [w, 1 - w], [s0, s1]
    second = [s * (1 - s) ** 2 + (1 - s) * s**2 for s in sig]  # E[e^2 | r] under calibration
    mean_e = [s * (s - 1) + (1 - s) * s for s in sig]  # E[e | r]
    covariance = sum(pu[u] * pv[v] * j[u] ** 2 * second[v] for u in range(2) for v in range(2))
    fisher = sum(
        pu[u] * pv[v] * j[u] ** 2 * sig[v] * (1 - sig[v]) for u in range(2) for v in range(2)
    )
    hessian = fisher + sum(pu[u] * pv[v] * mean_e[v] * c[u] for u in range(2) for v in range(2))
    ej2 = sum(pu[u] * j[u] ** 2 for u in range(2))
    e_second = sum(pv[v] * second[v] for v in range(2))
    e_sigma = sum(pv[v] * sig[v] * (1 - sig[v]) for v in range(2))
    return [
        equality_step(
            "covariance_factorises",
            "G.2 / Eq. 2",
            r"C = \mathbb{E}[J^\top "
            r"\mathbb{E}[ee^\top]J]",
            covariance,
            ej2 * e_second,
            method="cancel",
        ),
        equality_step(
            "fisher_factorises",
            "G.2 / Eq. 2",
            r"F = \mathbb{E}[J^\top "
            r"\mathbb{E}[\Sigma]J]",
            fisher,
            ej2 * e_sigma,
            method="cancel",
        ),
        equality_step(
            "calibration_second_moment",
            "G.2",
            r"\mathbb{E}[ee^\top] = "
            r"\mathbb{E}[\Sigma]",
            e_second,
            e_sigma,
            method="cancel",
        ),
        equality_step(
            "calibration_mean_zero",
            "G.2",
            r"\mathbb{E}[e] = 0",
            sum(pv[v] * mean_e[v] for v in range(2)),
            sympy.Integer(0),
            method="cancel",
        ),
        equality_step("C_equals_F", "Prop. 2.2", "C = F", covariance, fisher, method="cancel"),
        equality_step("H_equals_F", "Prop. 2.2", "H = F", hessian, fisher, method="cancel"),
    ]
