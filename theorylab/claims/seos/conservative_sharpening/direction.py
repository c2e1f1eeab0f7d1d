"""``seos.conservative_sharpening``: Sec. 3.2's reading of Eq. 17, mode by mode (enumeration)."""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.conservative_sharpening import CONSERVATIVE_SHARPENING
from theorylab.claims.seos.conservative_sharpening.instances import (
    exact_pair,
    magnitude,
    random_instance,
)
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.quadratic_regression import (
    eq17_printed_batch_gap,
    exact_eigenvalue_derivatives,
)
from theorylab.spec import CheckKind, Finding

__all__: list[str] = []


def _weak_mode_instance() -> np.ndarray:
    """J_0 = diag(1, 1/4) R(45°)ᵀ: a weak mode (σ = 1/4) with a delocalised right vector."""
    half = np.sqrt(0.5)
    return np.diag([1.0, 0.25]) @ np.array([[half, -half], [half, half]]).T


@CATALOG.check(
    CONSERVATIVE_SHARPENING,
    kind=CheckKind.EXACT,
    description="Sec. 3.2's reading of Eq. 17 ('the second derivative is smaller for smaller "
    "B'): sign of E[Δ2σ̂]_1 - E[Δ2σ̂]_D by enumeration for every mode of random J_0, and the "
    "minimal weak-mode instance D = P = 2",
)
def batch_direction(context: CheckContext) -> Finding:
    """Eq. 17 makes every mode's second derivative smaller at smaller B; weak modes reverse it."""
    jacobian = _weak_mode_instance()
    small = exact_eigenvalue_derivatives(jacobian, 1.0, 1, 1)
    full = exact_eigenvalue_derivatives(jacobian, 1.0, 2, 1)
    minimal_gap = small.second - full.second
    rng = context.rng()
    reversed_modes, modes = 0, 0
    for _ in range(40 if context.full else 15):
        instance = random_instance(rng, 4)
        size = len(instance["jacobian"])
        if size < 2:
            continue
        for mode in range(min(np.shape(instance["jacobian"]))):
            instance.update(mode=mode, batch_size=1)
            _, gap, _, _ = exact_pair(instance)
            modes += 1
            reversed_modes += int(gap > 1e-9 * magnitude(instance))
    holds = minimal_gap <= 0 and reversed_modes == 0
    summary = (
        f"D = P = 2, J_0 = diag(1, 1/4) R(45°)ᵀ, mode σ = 1/4, η = 1: E[Δ2σ̂]_1 = "
        f"{small.second:.6f} > E[Δ2σ̂]_D = {full.second:.6f} (gap {minimal_gap:+.6f} = +5/2048; "
        f"Eq. 17 as printed: {eq17_printed_batch_gap(jacobian, 1.0, 1, 1):+.6f}); smaller B "
        f"raised the second derivative for {reversed_modes}/{modes} modes of random J_0 — it is "
        "lowered iff (P+1)σ² > ½Σ_p v_p²(JᵀJ)_pp"
    )
    return judged(
        holds,
        summary,
        instance=lambda: {"jacobian": jacobian.tolist(), "mode": 1, "eta": 1.0, "B": 1},
        claimed="E[Δ2σ̂]_1 < E[Δ2σ̂]_D",
        actual=minimal_gap,
        lhs=minimal_gap,
        rhs=0.0,
        instances=modes + 1,
        details={"reversed_modes": reversed_modes, "modes": modes, "minimal_gap": minimal_gap},
    )
