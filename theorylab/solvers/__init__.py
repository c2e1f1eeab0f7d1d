"""Exact small-scale NumPy/SciPy solvers, importable from research code.

All work in float64, validate their inputs (:mod:`theorylab.arrays`) and raise
:mod:`theorylab.errors` types on bad input. Their docstrings cite the paper equation.
"""

from __future__ import annotations

from theorylab.solvers.awd import (
    awd_noise_covariance,
    eigenbasis_diagonals,
    fit_power_law,
    minimal_awd_perturbation,
)
from theorylab.solvers.hierarchical_bootstrap import HierarchicalBootstrap, hierarchical_bootstrap
from theorylab.solvers.linalg import CompactSVD, compact_svd, default_rank_tolerance
from theorylab.solvers.linear_label_noise import gram_label_noise_tpv, linear_label_noise_tpv
from theorylab.solvers.lyapunov import (
    linearised_sgd_stationary,
    quantization_tpv,
    sgd_stationary_covariance,
    sgd_tpv,
)
from theorylab.solvers.noise_kernel import (
    minibatch_selection_moment,
    noise_kernel_matrices,
    noise_kernel_norm,
    noise_kernel_norm_hd,
    noise_kernel_norm_trace,
)
from theorylab.solvers.noise_kernel_second_moment import (
    noise_kernel_norm_full,
    second_moment_operator,
    second_moment_spectral_radius,
)
from theorylab.solvers.pruning import jbr_scores, jc_scores, pruning_tpv
from theorylab.solvers.quadratic_regression import (
    eigenvalue_derivatives_formula,
    exact_eigenvalue_derivatives,
)
from theorylab.solvers.sgd_noise import minibatch_noise_covariance
from theorylab.solvers.soft_rank import (
    ErrorUncertaintyRatio,
    SoftRankGapEstimate,
    error_uncertainty_ratio,
    soft_rank,
    soft_rank_gap_estimate,
    soft_rank_squared,
    tic_gap,
)
from theorylab.solvers.subspace_probing import (
    gaussian_moment_criterion,
    spectral_criterion,
    subspace_rate_bound,
)
from theorylab.solvers.tpv import LabelNoiseTPV, effective_curvature, label_noise_tpv, tpv_trace
from theorylab.solvers.trace_stability import effective_curvature_difference, trace_stability_gap

__all__ = [
    "CompactSVD",
    "ErrorUncertaintyRatio",
    "HierarchicalBootstrap",
    "LabelNoiseTPV",
    "SoftRankGapEstimate",
    "awd_noise_covariance",
    "compact_svd",
    "default_rank_tolerance",
    "effective_curvature",
    "effective_curvature_difference",
    "eigenbasis_diagonals",
    "eigenvalue_derivatives_formula",
    "error_uncertainty_ratio",
    "exact_eigenvalue_derivatives",
    "fit_power_law",
    "gaussian_moment_criterion",
    "gram_label_noise_tpv",
    "hierarchical_bootstrap",
    "jbr_scores",
    "jc_scores",
    "label_noise_tpv",
    "linear_label_noise_tpv",
    "linearised_sgd_stationary",
    "minibatch_noise_covariance",
    "minibatch_selection_moment",
    "minimal_awd_perturbation",
    "noise_kernel_matrices",
    "noise_kernel_norm",
    "noise_kernel_norm_full",
    "noise_kernel_norm_hd",
    "noise_kernel_norm_trace",
    "pruning_tpv",
    "quantization_tpv",
    "second_moment_operator",
    "second_moment_spectral_radius",
    "sgd_stationary_covariance",
    "sgd_tpv",
    "soft_rank",
    "soft_rank_gap_estimate",
    "soft_rank_squared",
    "spectral_criterion",
    "subspace_rate_bound",
    "tic_gap",
    "tpv_trace",
    "trace_stability_gap",
]
