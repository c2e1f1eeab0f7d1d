r"""Symbolic checks of ``softrank.properties`` (paper 004, Eq. 3 / App. G.1 and Sec. 4).

The Eq. 3 limits summand by summand, and the concavity of the scalar generators
:math:`h(x) = x/(x+\lambda)` (soft rank) and :math:`g(x) = h(x)^2` (rank^(2)).
"""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["eq3_limit_derivation", "rank2_concavity_derivation"]


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


def _generator_steps(
    x: sympy.Symbol, lam: sympy.Symbol, h2: sympy.Expr, g2: sympy.Expr
) -> list[DerivationStep]:
    """The second derivatives: h'' in closed form and its sign, g'' in closed form."""
    return [
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


def _rank2_concavity_step(
    x: sympy.Symbol, lam: sympy.Symbol, g2: sympy.Expr, corrected: bool
) -> DerivationStep:
    """Sign of g'': positive at x = 0 (printed claim fails), <= 0 on x >= λ/2 (corrected)."""
    at_zero = sympy.simplify(g2.subs(x, 0))
    if corrected:
        y = sympy.Symbol("y", nonnegative=True)  # x = lambda/2 + y
        shifted = sympy.factor(g2.subs(x, lam / 2 + y))
        return DerivationStep(
            name="rank2_generator_concave_above_half",
            equation="Sec. 4 (corrected)",
            claim=r"g'' \le 0 for x \ge \lambda/2",
            holds=bool((-shifted).is_nonnegative),
            method="sympy sign of -g''(lambda/2 + y), y >= 0",
            residual="0" if (-shifted).is_nonnegative else str(shifted),
        )
    return DerivationStep(
        name="rank2_generator_concave",
        equation="Sec. 4",
        claim=r"g'' \le 0 on [0,\infty) (rank^{(2)} concave)",
        holds=bool(at_zero <= 0),
        method="evaluate g'' at x = 0",
        residual=f"g''(0) = {at_zero} > 0",
    )


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
    steps = _generator_steps(x, lam, h2, g2)
    steps.append(_rank2_concavity_step(x, lam, g2, corrected))
    return steps
