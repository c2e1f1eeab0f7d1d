r"""Symbolic checks of ``softrank.error_uncertainty``: Props 5.3, 5.4 (App. G.6, G.7) of paper 004.

G.6's first line replaces :math:`H_\Lambda` by :math:`F+\Lambda` (it needs :math:`H = F`); G.7
prints :math:`\sum_{j\ne i}\hat y_j \le E^2` for the squares. ``corrected=True`` gives the
repaired steps.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.softrank.common import symmetric_symbols
from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["prop53_derivation", "prop54_derivation"]


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
    weight, bbar = symmetric_symbols("w"), symmetric_symbols("b")
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
