"""Paper 004's identity, shared by every ``softrank.*`` claim's :class:`~theorylab.spec.Source`."""

from __future__ import annotations

from theorylab.papers import citation

__all__ = ["PAPER_004", "PAPER_004_TITLE", "cite"]

PAPER_004 = "004_9861814efeb9746c.txt"
PAPER_004_TITLE = "Flatness After All?"

cite = citation(PAPER_004, PAPER_004_TITLE)
"""``cite(location, *equations)``: a :class:`~theorylab.spec.Source` in paper 004."""
