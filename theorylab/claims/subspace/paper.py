"""Paper 003's identity, shared by every ``subspace.*`` claim's :class:`~theorylab.spec.Source`."""

from __future__ import annotations

from theorylab.papers import citation

__all__ = ["PAPER_003", "PAPER_003_TITLE", "cite"]

PAPER_003 = "003_23fb049d26625d67.txt"
PAPER_003_TITLE = "Curvature-Aligned Probing for Local Loss-Landscape Stabilization"

cite = citation(PAPER_003, PAPER_003_TITLE)
"""``cite(location, *equations)``: a :class:`~theorylab.spec.Source` in paper 003."""
