r"""``seos.k_momentum`` — App. A.5 (Eq. 56-76) and Eq. 18.

:math:`\hat{\mathcal{K}}_{mom} = \frac{\eta}{2\alpha B}\mathrm{tr}\hat\Theta` (Eq. 18).

Every algebra step is checked with sympy (:mod:`theorylab.proofs.seos.k_momentum`); the
closed form is compared with the impulse response of the heavy-ball recursion summed
numerically; Eq. 18's "≈" gets its error law :math:`O(\eta\lambda/\alpha^2)` measured.
"""

from __future__ import annotations

from theorylab.claims.seos.paper import cite
from theorylab.registry import CATALOG

__all__ = ["K_MOMENTUM", "K_MOMENTUM_CORRECTED"]

K_MOMENTUM, K_MOMENTUM_CORRECTED = CATALOG.add_specs(__file__, cite)

# the checks, in registration order: symbolic, exact gains and Eq. 18's law, thresholds
from theorylab.claims.seos.k_momentum import symbolic  # noqa: E402, F401, I001
from theorylab.claims.seos.k_momentum import exact  # noqa: E402, F401
from theorylab.claims.seos.k_momentum import thresholds  # noqa: E402, F401
