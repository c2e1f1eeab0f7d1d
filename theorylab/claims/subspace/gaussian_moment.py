"""``subspace.gaussian_moment`` — paper 003, Sec. 5 (Eq. 14-15), App. A.4 (Eq. 20-21).

The closed-form Gaussian moment of the quadratic surrogate. Oracles: sympy with exact
Gaussian moments, tensor Gauss–Hermite quadrature (exact for quartic integrands), and the
quadratic Monte Carlo of Eq. 13 with stderr.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab.claims.subspace.common import listed, refute_on_z_score, residual_finding
from theorylab.claims.subspace.models import ProbeInstance
from theorylab.claims.subspace.paper import cite
from theorylab.derivations import judge_derivation
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.subspace_probing import gaussian_moment_criterion, quadratic_monte_carlo
from theorylab.solvers.subspace_sequences import gauss_hermite_criterion
from theorylab.spec import CheckKind, Counterexample, Finding
from theorylab.strategies import quadratic_probe_instances

__all__ = ["GAUSSIAN_MOMENT", "gaussian_moment_search"]

(GAUSSIAN_MOMENT,) = CATALOG.add_specs(__file__, cite)


@CATALOG.check(GAUSSIAN_MOMENT, kind=CheckKind.SYMBOLIC,
               description="Eq. 20, 21, 15 with exact Gaussian moments (Isserlis), D = 1..3")
def gaussian_moment_symbolic(context: CheckContext) -> Finding:
    """Symbolic a, c, B, σ for small D."""
    from theorylab.proofs.subspace.gaussian_moment import gaussian_moment_derivation

    dimensions = range(1, 5 if context.full else 4)
    steps = [step for dim in dimensions for step in gaussian_moment_derivation(dim)]
    return judge_derivation(steps, cases=len(dimensions))


def _gaussian_moment_residual(instance: ProbeInstance) -> tuple[float, float, float]:
    gap, gradient, hessian = instance.value_gap, instance.gradient, instance.hessian
    sigma = instance.sigma
    closed = gaussian_moment_criterion(gap, gradient, hessian, sigma)

    def surrogate(points: np.ndarray) -> np.ndarray:
        return gap + points @ gradient + 0.5 * np.einsum("ri,ij,rj->r", points, hessian, points)

    size = gradient.shape[0]
    truth = gauss_hermite_criterion(surrogate, np.zeros(size), np.eye(size), sigma, 3)
    scale = (gap**2 + sigma**2 * float(gradient @ gradient) + abs(gap) * sigma**2 * float(
        np.sum(np.abs(hessian))) + sigma**4 * float(np.sum(np.abs(hessian))) ** 2)
    return closed, truth, scale


def _gaussian_moment_probe(instance: dict[str, Any]) -> Counterexample | None:
    closed, truth, scale = _gaussian_moment_residual(ProbeInstance.of(instance))
    if abs(closed - truth) > 1e-12 * scale:
        return Counterexample(
            instance=listed(instance),
            claimed=closed, actual=truth, message=f"Eq. 15 gives {closed:.6g}, exact {truth:.6g}",
        )
    return None


@CATALOG.check(GAUSSIAN_MOMENT, kind=CheckKind.EXACT,
               description="Eq. 15 vs exact quadrature and quadratic Monte Carlo (Eq. 13)")
def gaussian_moment_vs_oracles(context: CheckContext) -> Finding:
    """Random a, c, B (any signature), D = 1..6, σ over six decades."""
    rng = context.rng()
    residuals, z_scores = [], []
    for _ in range(40 if context.full else 12):
        size = int(rng.integers(1, 7))
        raw = rng.standard_normal((size, size))
        instance = ProbeInstance(value_gap=float(rng.standard_normal()),
                                 gradient=rng.standard_normal(size), hessian=raw + raw.T,
                                 sigma=float(10 ** rng.uniform(-3, 1)))
        closed, truth, scale = _gaussian_moment_residual(instance)
        residuals.append(abs(closed - truth) / scale)
        estimate = quadratic_monte_carlo(instance.value_gap, instance.gradient,
                                         instance.hessian, instance.sigma, 20000, rng)
        z_scores.append(abs(estimate.mean - closed) / estimate.stderr)
    finding = residual_finding("Eq. 15 vs quadrature (scaled)", residuals, 1e-12,
                               instances=len(residuals),
                               details={"max_mc_z_score": max(z_scores), "mc_draws": 20000})
    return refute_on_z_score(finding, z_scores)


gaussian_moment_search = CATALOG.search(
    GAUSSIAN_MOMENT, "gaussian_moment_search",
    "Eq. 15 vs exact quadrature over integer a, c, B (any signature), σ = 2^e",
    quadratic_probe_instances, _gaussian_moment_probe,
)
