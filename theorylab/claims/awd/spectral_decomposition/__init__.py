r"""``awd.spectral_decomposition`` — paper 001, Lemma 3.3, Theorem 3.4, Remark 3.5, App. E.2.

Under isotropic, sample-uniform weight perturbations (Eq. 14) the AWD noise covariance is
:math:`C = (\sigma_w^2/b)\,\mathbb{E}_s[H_s^2]`, with Eq. 15-16 and 71 in the eigenbases;
Remark 3.5 adds that the off-diagonal :math:`C_{ij}` vanish in high dimension, so :math:`C`
and :math:`H` approximately commute. The identity is checked symbolically, against enumerated
minibatches and against a direct Monte Carlo of per-sample gradients under isotropic
perturbation (error law :math:`O(\sigma_w^2)`); the remark is *measured* (relative off-diagonal
mass, normalised commutator) and fails: a two-cluster ensemble keeps ~10 % off-diagonal mass
at every :math:`p`. The companion states when commuting is exact and how fast it is reached.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.awd.paper import cite
from theorylab.registry import CATALOG
from theorylab.solvers.awd import eigenbasis_diagonals

__all__ = [
    "EXACT_RTOL",
    "SPECTRAL_DECOMPOSITION",
    "SPECTRAL_DECOMPOSITION_CORRECTED",
    "commutation_measures",
]


SPECTRAL_DECOMPOSITION, SPECTRAL_DECOMPOSITION_CORRECTED = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = SPECTRAL_DECOMPOSITION.tolerance.rtol


def commutation_measures(hessian: np.ndarray, covariance: np.ndarray) -> tuple[float, float]:
    r"""Relative off-diagonal mass and normalised commutator of :math:`C` and :math:`H`.

    :math:`\|\mathrm{off}(U^\top CU)\|_F/\|C\|_F` and :math:`\|[C,H]\|_F/(\|C\|_F\|H\|_F)`.
    """
    projected = eigenbasis_diagonals(hessian, covariance).covariance_in_basis
    total = float(np.linalg.norm(projected))
    off = float(np.sqrt(max(total**2 - float(np.sum(np.diag(projected) ** 2)), 0.0)))
    commutator = float(np.linalg.norm(covariance @ hessian - hessian @ covariance))
    return off / total, commutator / (total * float(np.linalg.norm(hessian)))


from theorylab.claims.awd.spectral_decomposition import (  # noqa: E402, F401, I001
    symbolic,
    exact,
    corrected,
)
