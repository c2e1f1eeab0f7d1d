"""Paper 002's identity, shared by every ``seos.*`` claim's :class:`~theorylab.spec.Source`."""

from __future__ import annotations

from theorylab.papers import citation

__all__ = ["PAPER_002", "PAPER_002_TITLE", "cite"]

PAPER_002 = "002_221c0ed419511743.txt"
PAPER_002_TITLE = (
    "High dimensional analysis reveals conservative sharpening and a stochastic edge of stability"
)

cite = citation(PAPER_002, PAPER_002_TITLE)
"""``cite(location, *equations)``: the :class:`~theorylab.spec.Source` of a paper-002 claim."""
