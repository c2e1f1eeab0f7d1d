"""Worked example of theorylab's authoring API: claims outside the five papers.

Importing this package registers the ``classics.*`` claims; theorylab finds it through the
``theorylab.claims`` entry point in ``pyproject.toml``.
"""

from theorylab_classics.gradient_descent import GD_QUADRATIC_STABILITY
from theorylab_classics.hutchinson import (
    HUTCHINSON_GAUSSIAN_FORMULA_FOR_RADEMACHER,
    HUTCHINSON_RADEMACHER_VARIANCE,
)

__all__ = [
    "GD_QUADRATIC_STABILITY",
    "HUTCHINSON_GAUSSIAN_FORMULA_FOR_RADEMACHER",
    "HUTCHINSON_RADEMACHER_VARIANCE",
]
