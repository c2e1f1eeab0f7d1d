"""``subspace.increment_identity`` — paper 003, Sec. 4, the exact one-sample increment (Eq. 5).

Oracles: sympy for symbolic losses and symbolic :math:`k`, two float64 empirical means on
ridge / logistic sample streams, and exact rationals over integer loss lists.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from theorylab.claims.subspace.common import residual_finding
from theorylab.claims.subspace.paper import cite
from theorylab.derivations import judge_derivation
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.subspace_sequences import make_sequential_problem
from theorylab.spec import CheckKind, Counterexample, Finding

__all__ = ["INCREMENT_IDENTITY", "increment_search"]

(INCREMENT_IDENTITY,) = CATALOG.add_specs(__file__, cite)


@CATALOG.check(INCREMENT_IDENTITY, kind=CheckKind.SYMBOLIC,
               description="Eq. 5 for k = 1..4 symbolic losses and for symbolic k")
def increment_symbolic(context: CheckContext) -> Finding:
    """Eq. 5 with sympy."""
    from theorylab.proofs.subspace.increment_identity import increment_derivation

    steps = [step for k in range(1, 5 + 3 * context.full) for step in increment_derivation(k)]
    return judge_derivation(steps, cases=4 + 3 * context.full)


@CATALOG.check(INCREMENT_IDENTITY, kind=CheckKind.EXACT,
               description="two empirical means vs Eq. 5 on ridge / logistic streams, k ≤ 2000")
def increment_on_streams(context: CheckContext) -> Finding:
    """Evaluate both sides at random points for every k of two sample streams."""
    rng = context.rng()
    last = 2000 if context.full else 400
    residuals = []
    for kind in ("ridge", "logistic"):
        problem = make_sequential_problem(kind, last + 1, 5, rng)
        points = rng.standard_normal((4, 5))
        losses = problem.losses(points, last + 1)
        running = np.cumsum(losses, axis=1) / np.arange(1, last + 2)
        for k in range(1, last + 1):
            direct = running[:, k] - running[:, k - 1]
            identity = problem.increment(points, k)
            scale = np.max(np.abs(losses[:, : k + 1])) * k * np.finfo(float).eps * 8
            residuals.append(float(np.max(np.abs(direct - identity)) / scale))
    return residual_finding("Eq. 5 on streams (residual / (8 k eps max|l|))", residuals, 1.0,
                            instances=len(residuals))


def _increment_probe(losses: list[int]) -> Counterexample | None:
    values = [Fraction(v) for v in losses]
    k = len(values) - 1
    mean_k = sum(values[:k], Fraction(0)) / k
    lhs = sum(values, Fraction(0)) / (k + 1) - mean_k
    rhs = (values[k] - mean_k) / (k + 1)
    if lhs != rhs:
        return Counterexample(instance={"losses": losses}, claimed=str(rhs), actual=str(lhs),
                              message="Eq. 5 fails in exact rationals")
    return None


def _integer_lists() -> object:
    from hypothesis import strategies as st

    return st.lists(st.integers(-10**6, 10**6), min_size=2, max_size=40)


increment_search = CATALOG.search(
    INCREMENT_IDENTITY, "increment_rational_search",
    "Eq. 5 in exact rationals over integer loss lists of length 2..40",
    _integer_lists, _increment_probe,
)
