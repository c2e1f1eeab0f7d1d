"""Exact small-scale NumPy/SciPy solvers, importable from research code.

All work in float64, validate their inputs (:mod:`theorylab.arrays`) and raise
:mod:`theorylab.errors` types on bad input. Their docstrings cite the paper equation.
"""

from __future__ import annotations

from theorylab.solvers.linalg import CompactSVD, compact_svd, default_rank_tolerance
from theorylab.solvers.tpv import LabelNoiseTPV, effective_curvature, label_noise_tpv, tpv_trace

__all__ = [
    "CompactSVD",
    "LabelNoiseTPV",
    "compact_svd",
    "default_rank_tolerance",
    "effective_curvature",
    "label_noise_tpv",
    "tpv_trace",
]
