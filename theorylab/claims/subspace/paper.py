"""Paper 003's identity and the small helpers shared by every ``subspace.*`` claim."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from theorylab.spec import Finding, Source, Verdict

__all__ = ["PAPER_003", "PAPER_003_TITLE", "paper_source", "plain", "residual_finding"]

PAPER_003 = "003_23fb049d26625d67.txt"
PAPER_003_TITLE = "Curvature-Aligned Probing for Local Loss-Landscape Stabilization"


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


def paper_source(location: str, equations: list[str]) -> Source:
    """The :class:`~theorylab.spec.Source` of a ``subspace.*`` claim in paper 003."""
    return Source(paper=PAPER_003, title=PAPER_003_TITLE, location=location, equations=equations)
