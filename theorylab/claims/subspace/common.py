"""Helpers shared by several ``subspace.*`` claims.

Residual judging, JSON-ready values, the symbolic check over probe shapes and the
registration of a property search.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from theorylab.derivations import judge_derivation
from theorylab.spec import Finding, Verdict

__all__ = [
    "EXACT_RTOL",
    "Z_LIMIT",
    "judge_shapes",
    "listed",
    "plain",
    "refute_on_z_score",
    "residual_finding",
]

EXACT_RTOL = 1e-10
Z_LIMIT = 5.0


def residual_finding(
    name: str,
    residuals: Sequence[float],
    tolerance: float,
    *,
    instances: int,
    details: dict[str, object] | None = None,
    sizes: dict[str, int] | None = None,
) -> Finding:
    """HOLDS when every residual is ``<= tolerance``, else REFUTED (worst residual reported)."""
    worst = max(residuals) if residuals else 0.0
    verdict = Verdict.HOLDS if worst <= tolerance else Verdict.REFUTED
    return Finding(
        verdict=verdict,
        summary=f"{name}: worst residual {worst:.3g} vs tolerance {tolerance:.1g} "
        f"over {instances} instances",
        residual=worst,
        bound=tolerance,
        instances=instances,
        details=plain(details or {}),
        sizes=sizes or {},
    )


def refute_on_z_score(finding: Finding, z_scores: Sequence[float]) -> Finding:
    """A HOLDS ``finding`` becomes REFUTED when a Monte Carlo z-score exceeds :data:`Z_LIMIT`."""
    if finding.verdict is Verdict.HOLDS and max(z_scores) > Z_LIMIT:
        return finding.model_copy(update={"verdict": Verdict.REFUTED,
                                          "summary": f"MC z-score {max(z_scores):.2f} > 5"})
    return finding




def judge_shapes(derivation: Callable[[int, int], Sequence[Any]], full: bool) -> Finding:
    """Judge ``derivation(N, D)`` over the shapes ``(3, 2)`` (+ ``(3, 1), (2, 1)`` when full)."""
    shapes = [(3, 2)] + ([(3, 1), (2, 1)] if full else [])
    steps = [step for size, dim in shapes for step in derivation(size, dim)]
    return judge_derivation(steps, cases=len(shapes))


def listed(instance: Mapping[str, Any]) -> dict[str, Any]:
    """A search instance with every value as (nested) lists: a counterexample's ``instance``."""
    return {key: np.asarray(value).tolist() for key, value in instance.items()}


def plain(value: Any) -> Any:
    """Recursively turn numpy scalars / arrays (and tuples) into JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value
