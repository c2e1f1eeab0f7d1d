r"""``softrank.properties`` — paper 004, Sec. 1/4 and Eq. 3: monotonicity, concavity, limits.

Sec. 4: ":math:`F\mapsto\mathrm{rank}_\Lambda(F)` and :math:`F\mapsto\mathrm{rank}^{(2)}_\Lambda(F)`
are concave, monotone increasing functionals on the positive semidefinite cone"; Eq. 3:
:math:`\lim_{\Lambda\to0}\mathrm{rank}^{(2)}_\Lambda(S) = \lim_{\Lambda\to0}\mathrm{rank}_\Lambda(S)
= \mathrm{rank}(S)`. Both functionals are trace functions of
:math:`M = \Lambda^{-1/2}S\Lambda^{-1/2}` with generators :math:`h(x) = x/(x+1)` and
:math:`g(x) = h(x)^2`; h is concave, g is convex on :math:`[0, 1/2)`, so concavity of
:math:`\mathrm{rank}^{(2)}` fails near 0 (1×1: :math:`\lambda = 1`, :math:`S\in\{0, 1\}`).
The corrected companion restricts the concavity of :math:`\mathrm{rank}^{(2)}` to
:math:`M \succeq \tfrac12 I`.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from theorylab.claims.softrank.common import check_each
from theorylab.claims.softrank.paper import cite
from theorylab.derivations import derivation_pair, judge_derivation
from theorylab.error_laws import loglog_slope
from theorylab.falsify import PropertySearch
from theorylab.figures import figure
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.soft_rank import regularizer_matrix, soft_rank, soft_rank_squared
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict

__all__ = [
    "PROPERTIES",
    "PROPERTIES_CORRECTED",
    "rank2_concave_above_half_search",
    "rank2_concave_search",
    "rank2_monotone_search",
    "soft_rank_monotone_concave_search",
]


SoftRankFunction = Callable[[np.ndarray, Any], float]
"""``soft_rank`` or ``soft_rank_squared``: (S, Λ) -> value."""

PROPERTIES, PROPERTIES_CORRECTED = CATALOG.add_specs(__file__, cite)
FLOAT_RTOL = PROPERTIES.tolerance.rtol


# --------------------------------------------------------------------------- symbolic


def _symbolic(corrected: bool) -> Finding:
    """Eq. 3 summand limits, Eq. 13 identity, second derivatives of h and g (sympy).

    ``corrected``: g concave exactly on [λ/2, ∞) instead of on [0, ∞).
    """
    from theorylab.proofs.softrank.common import trace_function_derivation
    from theorylab.proofs.softrank.properties import (
        eq3_limit_derivation,
        rank2_concavity_derivation,
    )

    steps = eq3_limit_derivation() + trace_function_derivation()
    steps += rank2_concavity_derivation(corrected=corrected)
    return judge_derivation(steps, cases=1)


derivation_pair(
    PROPERTIES,
    PROPERTIES_CORRECTED,
    _symbolic,
    printed_description="G.1 limits, App. C trace-function form, concavity of the generators",
    corrected_description="as the original, with g'' <= 0 proved on x >= λ/2",
)


# --------------------------------------------------------------------------- exact


def _eq3_error_law(context: CheckContext) -> Finding:
    rng = context.rng()
    size, rank = (12, 7) if context.full else (6, 3)
    factor = rng.standard_normal((size, rank))
    matrix = factor @ factor.T
    base = rng.standard_normal((size, size))
    spd = base @ base.T / size + 0.5 * np.eye(size)
    rotation = np.linalg.qr(base)[0]
    # not a ray: eigenvalues t and t^1.5, so Λ_t/t → a singular matrix; |error| <= O(‖Λ_t‖) = O(t)
    # is then only an upper bound (slope >= 1), the rays' error is exactly first order
    bent = np.tile([1.0, 0.0], size)[:size]
    regularizers: dict[str, Callable[[float], Any]] = {
        "scalar": lambda t: t,
        "spd": lambda t: t * spd,
        "anisotropic path": lambda t: rotation @ np.diag(t * bent + t**1.5 * (1 - bent))
        @ rotation.T,
    }
    scales = np.logspace(-1, -6, 6)
    curves, slopes, finals = [], {}, {}
    for name, path in regularizers.items():
        for label, function in (("rank", soft_rank), ("rank2", soft_rank_squared)):
            errors = [abs(function(matrix, path(t)) - rank) for t in scales]
            slopes[f"{label}/{name}"] = loglog_slope(scales, errors)
            finals[f"{label}/{name}"] = errors[-1]
            curves.append((f"{label}, Λ {name}", errors))
    ok = all(
        s >= 0.9 and (s <= 1.1 or name.endswith("path")) for name, s in slopes.items()
    ) and max(finals.values()) < 1e-4
    return Finding(
        verdict=Verdict.HOLDS_APPROX if ok else Verdict.REFUTED,
        summary=f"|rank_tΛ(S) - rank S| slopes {min(slopes.values()):.3f}.."
        f"{max(slopes.values()):.3f} "
        f"(law 1); error at t=1e-6: {max(finals.values()):.2e}",
        residual=max(finals.values()),
        error_law="O(t), t -> 0",
        sizes={"d": size, "rank": rank},
        instances=len(slopes) * len(scales),
        figure=figure(
            "Eq. 3: soft ranks → rank(S)",
            "t (Λ = t Λ0)",
            "|rank_tΛ(S) − rank(S)|",
            list(scales),
            curves,
            log_x=True,
            log_y=True,
        ),
        details={"slopes": slopes, "final_errors": finals},
    )


check_each(
    (PROPERTIES, PROPERTIES_CORRECTED),
    _eq3_error_law,
    name="eq3_limit_error_law",
    description="rank_Λ(S), rank^(2)_Λ(S) → rank(S) as Λ → 0 along the rays tI, tΛ0 and a "
    "non-ray path with eigenvalues t, t^1.5, O(t) law measured (an upper bound off rays)",
)


@CATALOG.check(
    PROPERTIES,
    kind=CheckKind.EXACT,
    description="hand-minimal 1×1 case in exact rationals: λ = 1, S ∈ {0, 1}",
)
def rank2_midpoint_exact(context: CheckContext) -> Finding:
    r"""Midpoint concavity in exact rationals: :math:`g(1/2) = 1/9 < (g(0) + g(1))/2 = 1/8`."""

    def g(x: Fraction) -> Fraction:
        return (x / (x + 1)) ** 2

    def h(x: Fraction) -> Fraction:
        return x / (x + 1)

    low, high = Fraction(0), Fraction(1)
    middle = (low + high) / 2
    rank2_gap = g(middle) - (g(low) + g(high)) / 2
    rank_gap = h(middle) - (h(low) + h(high)) / 2
    refuted = rank2_gap < 0
    instance = {"lambda": 1, "S0": [[0]], "S1": [[1]]}
    return Finding(
        verdict=Verdict.REFUTED if refuted else Verdict.HOLDS,
        summary=f"rank2(S_mid) - mean = {rank2_gap} (needs >= 0); soft rank: {rank_gap} (>= 0)",
        lhs=float(g(middle)),
        rhs=float((g(low) + g(high)) / 2),
        residual=float(rank2_gap),
        instances=1,
        counterexample=Counterexample(
            instance=instance,
            claimed=">= 1/8",
            actual=str(g(middle)),
            message="rank^(2)_1 at S = 1/2 is 1/9 < (rank^(2)_1(0) + rank^(2)_1(1))/2 = 1/8",
        )
        if refuted
        else None,
        details={"soft_rank_midpoint_gap": str(rank_gap), "rank2_midpoint_gap": str(rank2_gap)},
    )


# --------------------------------------------------------------------------- property


def _pair_strategy(restricted: bool = False) -> object:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    from theorylab.strategies import softrank_regularizers

    def build(size: int) -> object:
        factor = hnp.arrays(np.int64, (size, size), elements=st.integers(-3, 3))
        exponent = st.integers(-4, 4)
        return st.tuples(
            factor, exponent, factor, exponent, softrank_regularizers(size), st.booleans()
        )

    def assemble(raw: tuple) -> tuple[np.ndarray, np.ndarray, object]:
        fa, ea, fb, eb, lam, _flag = raw
        a = np.ldexp(1.0, ea) * (fa @ fa.T).astype(float)
        b = np.ldexp(1.0, eb) * (fb @ fb.T).astype(float)
        if restricted:  # S = Λ^{1/2}(M + I/2)Λ^{1/2}, M ⪰ 0
            size = a.shape[0]
            values, vectors = np.linalg.eigh(regularizer_matrix(lam, size))
            root = (vectors * np.sqrt(values)) @ vectors.T
            a = root @ (a + 0.5 * np.eye(size)) @ root
            b = root @ (b + 0.5 * np.eye(size)) @ root
        return a, b, lam

    return st.integers(1, 4).flatmap(build).map(assemble)


def _tolerance(size: int, *values: float) -> float:
    return FLOAT_RTOL * size * max(1.0, *map(abs, values))


def _violation(
    kind: str, function: SoftRankFunction, a: np.ndarray, b: np.ndarray, lam: object
) -> Counterexample | None:
    size = a.shape[0]
    if kind == "monotone":
        low, high = function(a, lam), function(a + b, lam)
        bad = low - high > _tolerance(size, low, high)
        claim, actual = "f(A) <= f(A+B)", f"f(A) = {low!r} > f(A+B) = {high!r}"
    else:
        mid = function(0.5 * (a + b), lam)
        mean = 0.5 * (function(a, lam) + function(b, lam))
        bad = mean - mid > _tolerance(size, mid, mean)
        claim, actual = "f((A+B)/2) >= (f(A)+f(B))/2", f"f(mid) = {mid!r} < mean = {mean!r}"
    if not bad:
        return None
    lam_value = lam if np.ndim(lam) == 0 else np.asarray(lam).tolist()
    return Counterexample(
        instance={"A": a.tolist(), "B": b.tolist(), "regularization": lam_value},
        claimed=claim,
        actual=actual,
        message=f"{kind} fails: {actual}",
    )


def _soft_rank_probe(instance: tuple) -> Counterexample | None:
    a, b, lam = instance
    return _violation("monotone", soft_rank, a, b, lam) or _violation(
        "concave", soft_rank, a, b, lam
    )


def _rank2_monotone_probe(instance: tuple) -> Counterexample | None:
    return _violation("monotone", soft_rank_squared, *instance)


def _rank2_concave_probe(instance: tuple) -> Counterexample | None:
    return _violation("concave", soft_rank_squared, *instance)


def _searches(restricted: bool) -> list[PropertySearch]:
    domain = "M = Λ^{-1/2}SΛ^{-1/2} ⪰ I/2" if restricted else "the whole PSD cone"
    return [
        PropertySearch(
            name="soft_rank_monotone_concave",
            description="hypothesis over PSD pairs (A, B) (any rank, scales 2^±4), scalar or SPD "
            "Λ: rank_Λ(A) <= rank_Λ(A+B) and midpoint concavity",
            strategy=lambda: _pair_strategy(False),
            probe=_soft_rank_probe,
        ),
        PropertySearch(
            name="rank2_monotone",
            description="same domain: rank^(2)_Λ(A) <= rank^(2)_Λ(A+B)",
            strategy=lambda: _pair_strategy(False),
            probe=_rank2_monotone_probe,
        ),
        PropertySearch(
            name="rank2_concave",
            description=f"midpoint concavity of rank^(2)_Λ over {domain}",
            strategy=lambda: _pair_strategy(restricted),
            probe=_rank2_concave_probe,
        ),
    ]


soft_rank_monotone_concave_search, rank2_monotone_search, rank2_concave_search = (
    CATALOG.add_search(PROPERTIES, search) for search in _searches(False)
)
_, _, rank2_concave_above_half_search = (
    CATALOG.add_search(PROPERTIES_CORRECTED, search) for search in _searches(True)
)
