"""Paper 003 (curvature-aligned probing, ``subspace.*``): one module per claim.

Importing this package registers every ``subspace.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`.
"""

from __future__ import annotations

from theorylab.claims.subspace.empirical import EMPIRICAL, EMPIRICAL_CORRECTED
from theorylab.claims.subspace.increment import GAUSSIAN_MOMENT, INCREMENT_IDENTITY, REDUCTION
from theorylab.claims.subspace.rate import RATE
from theorylab.claims.subspace.spectral import EXTREMALITY, EXTREMALITY_CORRECTED, SPECTRAL_FORM

__all__: list[str] = [
    "EMPIRICAL",
    "EMPIRICAL_CORRECTED",
    "EXTREMALITY",
    "EXTREMALITY_CORRECTED",
    "GAUSSIAN_MOMENT",
    "INCREMENT_IDENTITY",
    "RATE",
    "REDUCTION",
    "SPECTRAL_FORM",
]
