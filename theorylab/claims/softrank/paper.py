"""Paper 004's identity, shared by every ``softrank.*`` claim's :class:`~theorylab.spec.Source`."""

from __future__ import annotations

__all__ = ["PAPER_004", "PAPER_004_TITLE"]

PAPER_004 = "004_9861814efeb9746c.txt"
PAPER_004_TITLE = "Flatness After All?"
