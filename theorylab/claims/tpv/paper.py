"""Paper 000's identity, shared by every ``tpv.*`` claim's :class:`~theorylab.spec.Source`."""

from __future__ import annotations

from theorylab.papers import citation

__all__ = ["PAPER_000", "PAPER_000_TITLE", "cite"]

PAPER_000 = "000_f0c853046a0e9bbe.txt"
PAPER_000_TITLE = "TPV: Parameter Perturbations Through the Lens of Test Prediction Variance"

cite = citation(PAPER_000, PAPER_000_TITLE)
"""``cite(location, *equations)``: a :class:`~theorylab.spec.Source` in paper 000."""
