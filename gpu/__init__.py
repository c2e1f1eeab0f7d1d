r"""Matrix-free torch backend for full-size networks, installed as ``theorylab.gpu``.

Importing this package imports torch; it raises
:class:`theorylab.errors.BackendUnavailableError` when torch is not installed
(``import theorylab`` alone never imports torch).

Conventions: the flat parameter vector :math:`\theta` concatenates the selected parameters
in ``named_parameters`` order; :math:`J` stacks per-sample Jacobians sample-major;
:math:`H_{\rm eff} = J^\top J/n` (paper 000, Eq. 7); the NTK Gram matrix
:math:`\Theta = JJ^\top` is unnormalised; losses are means of per-sample terms with
:math:`\ell_{\rm mse} = \frac12\|f-y\|^2`.
"""

from __future__ import annotations

from . import _backend  # noqa: F401  (raises BackendUnavailableError without torch)
from .adapter import FunctionalModel, Objective
from .data import load_digits, make_teacher
from .fisher import FisherSpectrum, fisher_soft_rank_slq, fisher_spectrum
from .jacobian import effective_curvature_trace, ntk_gram, output_jacobian
from .kfac import KroneckerFactors, kfac_factors
from .lanczos import lanczos_eigenpairs
from .linear_operator import CurvatureOperator
from .memory import DEFAULT_MEMORY_BUDGET
from .models import MLP, SmallCNN, TinyTransformer
from .operators import (
    EffectiveCurvatureOperator,
    GGNOperator,
    GradientCovarianceOperator,
    HessianOperator,
    NTKOperator,
    OutputJacobianOperator,
)
from .per_sample_hessian import per_sample_hessians
from .power_iteration import power_iteration_eigenpairs
from .results import EigenResult, SpectralDensityResult, TraceResult
from .slq import slq_spectral_density, slq_trace
from .spectrum import top_hessian_eigenpairs
from .trace import exact_trace, hutchinson_trace, hutchpp_trace

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "MLP",
    "CurvatureOperator",
    "EffectiveCurvatureOperator",
    "EigenResult",
    "FisherSpectrum",
    "FunctionalModel",
    "GGNOperator",
    "GradientCovarianceOperator",
    "HessianOperator",
    "KroneckerFactors",
    "NTKOperator",
    "Objective",
    "OutputJacobianOperator",
    "SmallCNN",
    "SpectralDensityResult",
    "TinyTransformer",
    "TraceResult",
    "effective_curvature_trace",
    "exact_trace",
    "fisher_soft_rank_slq",
    "fisher_spectrum",
    "hutchinson_trace",
    "hutchpp_trace",
    "kfac_factors",
    "lanczos_eigenpairs",
    "load_digits",
    "make_teacher",
    "ntk_gram",
    "output_jacobian",
    "per_sample_hessians",
    "power_iteration_eigenpairs",
    "slq_spectral_density",
    "slq_trace",
    "top_hessian_eigenpairs",
]
