"""Paper 002 (stochastic edge of stability, ``seos.*``): one module per claim.

Importing this package registers every ``seos.*`` claim and its checks in
:data:`theorylab.registry.CATALOG`.
"""

from __future__ import annotations

from theorylab.claims.seos.batch_moments import BATCH_MOMENTS
from theorylab.claims.seos.conservative_sharpening import (
    CONSERVATIVE_SHARPENING,
    CONSERVATIVE_SHARPENING_CORRECTED,
)
from theorylab.claims.seos.empirical_k import EMPIRICAL_K
from theorylab.claims.seos.k_approximations import K_APPROXIMATIONS, K_APPROXIMATIONS_CORRECTED
from theorylab.claims.seos.k_full_batch import K_FULL_BATCH
from theorylab.claims.seos.k_momentum import K_MOMENTUM, K_MOMENTUM_CORRECTED
from theorylab.claims.seos.k_theorem import K_THEOREM, K_THEOREM_CORRECTED
from theorylab.claims.seos.s_eos_prediction import S_EOS_PREDICTION, S_EOS_PREDICTION_CORRECTED
from theorylab.claims.seos.second_moment_dynamics import (
    SECOND_MOMENT_DYNAMICS,
    SECOND_MOMENT_DYNAMICS_CORRECTED,
)

__all__ = [
    "BATCH_MOMENTS",
    "CONSERVATIVE_SHARPENING",
    "CONSERVATIVE_SHARPENING_CORRECTED",
    "EMPIRICAL_K",
    "K_APPROXIMATIONS",
    "K_APPROXIMATIONS_CORRECTED",
    "K_FULL_BATCH",
    "K_MOMENTUM",
    "K_MOMENTUM_CORRECTED",
    "K_THEOREM",
    "K_THEOREM_CORRECTED",
    "SECOND_MOMENT_DYNAMICS",
    "SECOND_MOMENT_DYNAMICS_CORRECTED",
    "S_EOS_PREDICTION",
    "S_EOS_PREDICTION_CORRECTED",
]
