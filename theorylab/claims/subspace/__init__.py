"""Paper 003 (curvature-aligned probing, ``subspace.*``): one module per claim.

Importing this package registers every ``subspace.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`.
"""

from __future__ import annotations

from theorylab.claims.subspace.empirical import EMPIRICAL, EMPIRICAL_CORRECTED
from theorylab.claims.subspace.extremality import EXTREMALITY, EXTREMALITY_CORRECTED
from theorylab.claims.subspace.gaussian_moment import GAUSSIAN_MOMENT
from theorylab.claims.subspace.increment_identity import INCREMENT_IDENTITY
from theorylab.claims.subspace.rate import RATE
from theorylab.claims.subspace.reduction import REDUCTION
from theorylab.claims.subspace.spectral_form import SPECTRAL_FORM

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
