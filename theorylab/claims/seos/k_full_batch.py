r"""``seos.k_full_batch``: K = 0 for full-batch training (Sec. 2.3 after Theorem 2.1)."""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.common import exact_finding, hadamard_ntk, setting_ntks
from theorylab.claims.seos.paper import cite
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.noise_kernel import noise_kernel_norm
from theorylab.spec import CheckKind, Finding

__all__ = ["K_FULL_BATCH"]

(K_FULL_BATCH,) = CATALOG.add_specs(__file__, cite)


@CATALOG.check(
    K_FULL_BATCH,
    kind=CheckKind.EXACT,
    description=(
        "B = D over flat/dispersed/localized/Hadamard NTKs: K = 0 and max λ(A+B) = (1-ηλ_min)^2"
    ),
)
def full_batch(context: CheckContext) -> Finding:
    """K vanishes exactly; A + B = (I - ηΛ)^2 (Sec. 2.3)."""
    rng = context.rng()
    worst, count = 0.0, 0
    ntks = [ntk for _, _, ntk in setting_ntks(rng, (2, 5, 9), 3)]
    ntks += [hadamard_ntk([0.5, 0.2, 0.1, 0.05])]
    for ntk in ntks:
        for fraction in (0.1, 0.5, 0.95):
            lam = np.linalg.eigvalsh(ntk)
            eta = 2 * fraction / float(lam[-1])
            norm = noise_kernel_norm(ntk, eta, ntk.shape[0])
            expected = float(np.max((1 - eta * lam) ** 2))
            worst = max(worst, abs(norm.value), abs(norm.diagonal_max - expected))
            count += 1
    return exact_finding(worst, 1e-14, "K at beta = 1", instances=count)
