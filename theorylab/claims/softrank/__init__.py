"""Paper 004 (soft rank, ``softrank.*``): one module (or package) per claim stem.

Importing this package registers every ``softrank.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`. Shared pieces: ``paper`` (``cite``), ``models`` (the
exactly solvable models), ``asymptotics`` (Monte Carlo sweeps over n), ``experiments`` (the
trained torch nets of ``empirical`` and ``block_diagonal``) and ``common``.
"""

from __future__ import annotations

from theorylab.claims.softrank.block_diagonal import BLOCK_DIAGONAL
from theorylab.claims.softrank.calibrated_gap import CALIBRATED_GAP, CALIBRATED_GAP_CORRECTED
from theorylab.claims.softrank.empirical import EMPIRICAL
from theorylab.claims.softrank.error_uncertainty import (
    ERROR_UNCERTAINTY,
    ERROR_UNCERTAINTY_CORRECTED,
)
from theorylab.claims.softrank.geometry import GEOMETRY
from theorylab.claims.softrank.information_equality import INFORMATION_EQUALITY
from theorylab.claims.softrank.properties import PROPERTIES, PROPERTIES_CORRECTED
from theorylab.claims.softrank.uncalibrated_gap import UNCALIBRATED_GAP

__all__: list[str] = [
    "BLOCK_DIAGONAL",
    "CALIBRATED_GAP",
    "CALIBRATED_GAP_CORRECTED",
    "EMPIRICAL",
    "ERROR_UNCERTAINTY",
    "ERROR_UNCERTAINTY_CORRECTED",
    "GEOMETRY",
    "INFORMATION_EQUALITY",
    "PROPERTIES",
    "PROPERTIES_CORRECTED",
    "UNCALIBRATED_GAP",
]
