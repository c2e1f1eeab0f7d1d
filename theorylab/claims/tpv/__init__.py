"""Paper 000 (TPV): one module per claim (or claim pair).

Importing this package registers every ``tpv.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`.
"""

from __future__ import annotations

from theorylab.claims.tpv.gauss_newton_split import GAUSS_NEWTON_SPLIT
from theorylab.claims.tpv.jbr_pruning import JBR_PRUNING, JBR_PRUNING_CORRECTED
from theorylab.claims.tpv.label_noise_regimes import (
    LABEL_NOISE_REGIMES,
    LABEL_NOISE_REGIMES_CORRECTED,
)
from theorylab.claims.tpv.label_noise_spectral_sum import LABEL_NOISE_SPECTRAL_SUM
from theorylab.claims.tpv.linear_label_noise import LINEAR_LABEL_NOISE, LINEAR_LABEL_NOISE_CORRECTED
from theorylab.claims.tpv.quantization import QUANTIZATION
from theorylab.claims.tpv.sgd_lyapunov import SGD_LYAPUNOV, SGD_LYAPUNOV_CORRECTED
from theorylab.claims.tpv.sgd_noise_covariance import (
    SGD_NOISE_COVARIANCE,
    SGD_NOISE_COVARIANCE_CORRECTED,
)
from theorylab.claims.tpv.trace_inequality import TRACE_INEQUALITY
from theorylab.claims.tpv.trace_stability import TRACE_STABILITY, TRACE_STABILITY_CORRECTED

__all__ = [
    "GAUSS_NEWTON_SPLIT",
    "JBR_PRUNING",
    "JBR_PRUNING_CORRECTED",
    "LABEL_NOISE_REGIMES",
    "LABEL_NOISE_REGIMES_CORRECTED",
    "LABEL_NOISE_SPECTRAL_SUM",
    "LINEAR_LABEL_NOISE",
    "LINEAR_LABEL_NOISE_CORRECTED",
    "QUANTIZATION",
    "SGD_LYAPUNOV",
    "SGD_LYAPUNOV_CORRECTED",
    "SGD_NOISE_COVARIANCE",
    "SGD_NOISE_COVARIANCE_CORRECTED",
    "TRACE_INEQUALITY",
    "TRACE_STABILITY",
    "TRACE_STABILITY_CORRECTED",
]
