"""Exact small-scale NumPy/SciPy solvers, importable from research code.

All work in float64, validate their inputs (:mod:`theorylab.arrays`) and raise
:mod:`theorylab.errors` types on bad input. Their docstrings cite the paper equation.
"""

from __future__ import annotations

from theorylab.solvers.linalg import CompactSVD, compact_svd, default_rank_tolerance
from theorylab.solvers.linear_label_noise import (
    gram_label_noise_tpv,
    linear_label_noise_tpv,
)
from theorylab.solvers.lyapunov import (
    linearised_sgd_stationary,
    quantization_tpv,
    sgd_stationary_covariance,
    sgd_tpv,
)
from theorylab.solvers.pruning import jbr_scores, jc_scores, pruning_tpv
from theorylab.solvers.sgd_noise import minibatch_noise_covariance
from theorylab.solvers.tpv import LabelNoiseTPV, effective_curvature, label_noise_tpv, tpv_trace
from theorylab.solvers.trace_stability import (
    effective_curvature_difference,
    trace_stability_gap,
)

__all__ = [
    "CompactSVD",
    "LabelNoiseTPV",
    "compact_svd",
    "default_rank_tolerance",
    "effective_curvature",
    "effective_curvature_difference",
    "gram_label_noise_tpv",
    "jbr_scores",
    "jc_scores",
    "label_noise_tpv",
    "linear_label_noise_tpv",
    "linearised_sgd_stationary",
    "minibatch_noise_covariance",
    "pruning_tpv",
    "quantization_tpv",
    "sgd_stationary_covariance",
    "sgd_tpv",
    "tpv_trace",
    "trace_stability_gap",
]
