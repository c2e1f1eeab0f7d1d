r"""``subspace.spectral_form`` — paper 003, Corollary 4 (Eq. 16), App. A.1 and A.5.

In a common eigenbasis of :math:`H^{(k)}` and :math:`H^{(k+1)}` with :math:`a_k = 0`,
:math:`c_k = 0`, the probe on the eigen-index set :math:`S` sees :math:`\Phi(S)\sigma^4/4`,
:math:`\Phi(S) = 2\sum_S\delta_i^2 + (\sum_S\delta_i)^2`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab.claims.subspace.common import EXACT_RTOL, judge_shapes, listed, residual_finding
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

__all__ = ["SPECTRAL_FORM", "assumption2_only", "spectral_search"]

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


def _shared_top_pair(rng: np.random.Generator, size: int, dimension: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``H^(k)``, ``H^(k+1)`` sharing only the top-D eigenvectors (Assumption 2, no more).

    ``H^(k+1)`` adds ``diag(δ_{≤D})`` on the top-D frame and an arbitrary symmetric integer
    block on its complement, so the complement's eigenvectors change.
    """
    frame = _frame(size, int(rng.integers(2**16)))
    base = np.sort(rng.integers(-4, 5, size).astype(float))[::-1] + np.arange(size)[::-1] * 10.0
    before = frame @ np.diag(base) @ frame.T
    increments = rng.integers(-4, 5, dimension).astype(float)
    raw = rng.integers(-4, 5, (size - dimension, size - dimension)).astype(float)
    rest = frame[:, dimension:]
    after = before + frame[:, :dimension] @ np.diag(increments) @ frame[:, :dimension].T
    return before, after + rest @ (raw + raw.T) @ rest.T, increments


@CATALOG.check(SPECTRAL_FORM, kind=CheckKind.EXACT,
               description="Assumption 2 as stated (only the top-D eigenvectors of H^(k) are "
               "eigenvectors of H^(k+1); the complement rotates): Eq. 16 vs Eq. 15 on B_k")
def assumption2_only(context: CheckContext) -> Finding:
    """The search fixes a full common eigenbasis; here only the top-D frame is shared.

    ``U_D`` is computed from ``H^(k)`` (``eigh``), ``δ_i`` as the Rayleigh quotients
    ``u_iᵀH^(k+1)u_i - λ_i^(k)`` (the eigenvalue increments along the shared eigenvectors), and
    Eq. 16 is compared with Eq. 15 on ``U_Dᵀ(H^(k+1)-H^(k))U_D``; tolerance ``EXACT_RTOL``
    relative to ``σ⁴(1 + Σδ²)D²``.
    """
    rng = context.rng()
    residuals = []
    cases = [(3, 1), (4, 2), (5, 2), (6, 3)] * (8 if context.full else 2)
    for size, dimension in cases:
        before, after, _ = _shared_top_pair(rng, size, dimension)
        values, vectors = np.linalg.eigh(before)
        top = vectors[:, np.argsort(values)[::-1][:dimension]]
        increments = np.einsum("ij,ik,kj->j", top, after, top) - np.sort(values)[::-1][:dimension]
        sigma = 0.5
        compressed = compress_increment(0.0, np.zeros(size), after - before, top)
        via_gm = gaussian_moment_criterion(0.0, compressed.gradient, compressed.hessian, sigma)
        closed = spectral_criterion(increments, sigma)
        scale = sigma**4 * (1.0 + float(np.sum(increments**2))) * dimension**2
        residuals.append(abs(via_gm - closed) / scale)
    return residual_finding("Eq. 16 with only the top-D eigenvectors shared", residuals,
                            EXACT_RTOL, instances=len(cases), sizes={"max_N": 6, "max_D": 3})
