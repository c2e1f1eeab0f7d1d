"""Paper 001 (SGD noise vs curvature, ``awd.*``): one module per claim.

Importing this package registers every ``awd.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`.
"""

from __future__ import annotations

from theorylab.claims.awd.alignment_limits import ALIGNMENT_LIMITS
from theorylab.claims.awd.alpha_bounds import ALPHA_BOUNDS, ALPHA_BOUNDS_CORRECTED
from theorylab.claims.awd.empirical_alpha import EMPIRICAL_ALPHA
from theorylab.claims.awd.minimal_duality import MINIMAL_DUALITY
from theorylab.claims.awd.random_baseline import RANDOM_BASELINE, RANDOM_BASELINE_CORRECTED
from theorylab.claims.awd.spectral_decomposition import (
    SPECTRAL_DECOMPOSITION,
    SPECTRAL_DECOMPOSITION_CORRECTED,
)

__all__ = [
    "ALIGNMENT_LIMITS",
    "ALPHA_BOUNDS",
    "ALPHA_BOUNDS_CORRECTED",
    "EMPIRICAL_ALPHA",
    "MINIMAL_DUALITY",
    "RANDOM_BASELINE",
    "RANDOM_BASELINE_CORRECTED",
    "SPECTRAL_DECOMPOSITION",
    "SPECTRAL_DECOMPOSITION_CORRECTED",
]
