"""Paper 000's identity, shared by every ``tpv.*`` claim's :class:`~theorylab.spec.Source`."""

from __future__ import annotations

__all__ = ["PAPER_000", "PAPER_000_TITLE"]

PAPER_000 = "000_f0c853046a0e9bbe.txt"
PAPER_000_TITLE = "TPV: Parameter Perturbations Through the Lens of Test Prediction Variance"
