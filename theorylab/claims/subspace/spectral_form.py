r"""``subspace.spectral_form`` — paper 003, Corollary 4 (Eq. 16), App. A.1 and A.5.

In a common eigenbasis of :math:`H^{(k)}` and :math:`H^{(k+1)}` with :math:`a_k = 0`,
:math:`c_k = 0`, the probe on the eigen-index set :math:`S` sees :math:`\Phi(S)\sigma^4/4`,
:math:`\Phi(S) = 2\sum_S\delta_i^2 + (\sum_S\delta_i)^2`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab.claims.subspace.common import judge_shapes, listed
from theorylab.claims.subspace.models import SpectralInstance
from theorylab.claims.subspace.paper import cite
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.subspace_probing import (
    compress_increment,
    gaussian_moment_criterion,
    spectral_criterion,
)
from theorylab.spec import CheckKind, Counterexample, Finding
from theorylab.strategies import eigenvalue_increment_instances

__all__ = ["SPECTRAL_FORM", "spectral_search"]

(SPECTRAL_FORM,) = CATALOG.add_specs(__file__, cite)


def _frame(size: int, seed: int) -> np.ndarray:
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((size, size)))[0]


@CATALOG.check(SPECTRAL_FORM, kind=CheckKind.SYMBOLIC,
               description="App. A.5: B_k = diag(δ) in a symbolic (Cayley) common eigenbasis; "
               "Eq. 16")
def spectral_symbolic(context: CheckContext) -> Finding:
    """Assumption 2 ⇒ diagonal B_k ⇒ Eq. 16 with sympy."""
    from theorylab.proofs.subspace.spectral_form import corollary4_derivation

    return judge_shapes(corollary4_derivation, context.full)


def _spectral_probe(instance: dict[str, Any]) -> Counterexample | None:
    drawn = SpectralInstance.of(instance)
    base, increments = drawn.base_eigenvalues, drawn.increments
    dimension, sigma = drawn.dimension, drawn.sigma
    frame = _frame(base.shape[0], drawn.frame_seed)
    difference = frame @ np.diag(increments) @ frame.T
    compressed = compress_increment(0.0, np.zeros(base.shape[0]), difference, frame[:, :dimension])
    via_gm = gaussian_moment_criterion(0.0, compressed.gradient, compressed.hessian, sigma)
    closed = spectral_criterion(increments[:dimension], sigma)
    scale = sigma**4 * (1.0 + float(np.sum(increments**2))) * dimension**2
    if abs(via_gm - closed) > 1e-12 * scale:
        return Counterexample(instance=listed(instance),
                              claimed=closed, actual=via_gm,
                              message=f"Eq. 16 gives {closed:.6g}, Eq. 15 on B_k {via_gm:.6g}")
    return None


spectral_search = CATALOG.search(
    SPECTRAL_FORM, "spectral_form_search",
    "Eq. 16 vs Eq. 15 on U_DᵀA_kU_D in a random common eigenbasis; increments of "
    "every sign and order",
    eigenvalue_increment_instances, _spectral_probe,
)
