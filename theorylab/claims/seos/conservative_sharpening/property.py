"""``seos.conservative_sharpening.corrected``: hypothesis search over quadratic models."""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.conservative_sharpening import (
    CONSERVATIVE_SHARPENING_CORRECTED,
    EXACT_RTOL,
)
from theorylab.claims.seos.conservative_sharpening.instances import exact_pair, magnitude, relative
from theorylab.falsify import PropertySearch
from theorylab.registry import CATALOG
from theorylab.spec import Counterexample

__all__ = ["exact_gap_search"]


def _gap_probe(instance: dict[str, object]) -> Counterexample | None:
    first, gap, first_formula, gap_formula = exact_pair(instance)
    scale = magnitude(instance)
    worst = max(relative(first, first_formula, scale), relative(gap, gap_formula, scale))
    if worst <= EXACT_RTOL:
        return None
    return Counterexample(
        instance={key: np.asarray(value).tolist() for key, value in instance.items()},
        claimed=[first_formula, gap_formula],
        actual=[first, gap],
        message=f"brute force vs closed form: relative gap {worst:.2e}",
    )


def _strategy() -> object:
    from theorylab.strategies import quadratic_regression_instances

    return quadratic_regression_instances()


exact_gap_search = CATALOG.add_search(
    CONSERVATIVE_SHARPENING_CORRECTED,
    PropertySearch(
        name="exact_moments_vs_closed_forms",
        description="hypothesis over quadratic regression models (any shape/rank of J_0, mode, "
        "B, eta, V_gamma, V_z): enumerated E[Δ1λ̂] and E[Δ2σ̂]_B - E[Δ2σ̂]_D vs the closed forms",
        strategy=_strategy,
        probe=_gap_probe,
    ),
)
