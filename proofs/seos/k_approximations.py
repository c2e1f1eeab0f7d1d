r"""Sec. 2.4 of paper 002 (``seos.k_approximations``): the HD limit of K, Eq. 10/11/52."""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["high_dimensional_limit_steps"]


def high_dimensional_limit_steps(size: int = 3) -> list[DerivationStep]:
    r"""HD limit (C = 11^T/D, β̃ = β): K of the rank-one B vs Eq. 10; trace limits Eq. 11/52."""
    beta = sympy.Symbol("beta", positive=True)
    batch = beta * size
    scaled = sympy.symbols(f"x_0:{size}", positive=True)  # x = eta * lambda
    # A = (1-x)^2 (beta~ = beta), B = (1/beta - 1) eta^2 Lambda C Lambda, C = 11^T / D.
    # Rank one: K = sum_a B_aa / (1 - A_aa) = (1/beta-1)/D sum x^2 / (2x - x^2).
    limit = sum((1 / beta - 1) / size * x**2 / (1 - (1 - x) ** 2) for x in scaled)
    eq10 = sum(x / (2 - x) for x in scaled) / batch
    steps = [
        equality_step(
            "HD limit of K over Eq. 10 tends to 1 as beta -> 0",
            "Eq. 10, 51",
            r"\lim_{\beta\to0}\lim\mathcal{K}/\hat{\mathcal{K}}_{HD} = 1",
            sympy.limit(sympy.cancel(limit / eq10), beta, 0),
            sympy.Integer(1),
        ),
        equality_step(
            "HD limit of K equals (1-beta) Eq. 10",
            "Eq. 10 (corrected)",
            r"\lim\mathcal{K} = (1-\beta)\hat{\mathcal{K}}_{HD}",
            limit,
            (1 - beta) * eq10,
            method="cancel",
        ),
    ]
    epsilon = sympy.Symbol("epsilon", positive=True)
    leading = sympy.series(eq10.subs({x: epsilon * x for x in scaled}), epsilon, 0, 2).removeO()
    eq11 = sum(epsilon * x for x in scaled) / (2 * batch)
    steps += [
        equality_step(
            "leading order of Eq. 10 in eta*lambda is Eq. 11",
            "Eq. 11",
            r"\hat{\mathcal{K}}_{HD} = \frac{\eta}{2B}\mathrm{tr}\hat\Theta + O(\eta^2)",
            leading,
            eq11,
        ),
        equality_step(
            "leading order of Eq. 10 in eta*lambda is Eq. 52 as printed",
            "Eq. 52",
            r"\hat{\mathcal{K}}_{HD} = \frac{\eta}{B}\mathrm{tr}\hat\Theta + O(\eta^2)",
            leading,
            2 * eq11,
        ),
    ]
    return steps
