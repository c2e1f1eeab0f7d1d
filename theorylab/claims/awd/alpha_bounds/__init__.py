r"""``awd.alpha_bounds`` — paper 001, Theorem 5.1, proof App. E.3.

(1) For PSD per-sample Hessians with eigenvalues at most :math:`\lambda_{\max}`,
:math:`H_{ii}^2 \le C_{ii} \le \lambda_{\max}H_{ii}` (Eq. 19, :math:`C = \mathbb{E}_sH_s^2`).
(2) "Consequently" a power law :math:`C_{ii}\propto H_{ii}^\alpha` has :math:`1\le\alpha\le2`
(Eq. 20). Part (1) holds (the lower bound even without PSD). Part (2) is right only for a
power law that holds down to :math:`H\to0` (the limit in Eq. 82-83); for the exponent the
paper actually reports — an OLS slope over a window of top directions — it fails: the PSD
pair :math:`H_1 = \mathrm{diag}(1, 1/10)`, :math:`H_2 = \mathrm{diag}(0, 1/10)` gives
:math:`\hat\alpha = \ln 50/\ln 5 \approx 2.43`. The companion gives the sharp window bound.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.awd.paper import cite
from theorylab.registry import CATALOG
from theorylab.spec import Convention

__all__ = [
    "ALPHA_BOUNDS",
    "ALPHA_BOUNDS_CORRECTED",
    "MINIMAL_SLOPE_COUNTEREXAMPLE",
    "SLOPE_SLACK",
]

MINIMAL_SLOPE_COUNTEREXAMPLE = np.array([[[1.0, 0.0], [0.0, 0.1]], [[0.0, 0.0], [0.0, 0.1]]])

_CONVENTIONS = [
    Convention(
        name="prefactor", statement=r"$C = \mathbb{E}_s[H_s^2]$ ($\sigma_w^2/b$ dropped, App. E.3)"
    ),
    Convention(
        name="exponent",
        statement=r"$\alpha$ = OLS slope of $\ln C_{ii}$ on $\ln H_{ii}$ over"
        r" the top directions with $H_{ii} > 0$ (Sec. 4)",
    ),
]

ALPHA_BOUNDS, ALPHA_BOUNDS_CORRECTED = CATALOG.add_specs(__file__, cite)
SLOPE_SLACK = ALPHA_BOUNDS_CORRECTED.tolerance.rtol

# Registration order of the checks within each claim: printed derivation, exact checks and
# searches, then the corrected derivation and sharpness, then the trained-network check.
from theorylab.claims.awd.alpha_bounds import (  # noqa: E402, F401, I001
    symbolic,
    exact,
    property,
    corrected,
    torch,
)
