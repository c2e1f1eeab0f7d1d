r"""``tpv.linear_label_noise`` — paper 000, Remark 3.1 (Eq. 9), proof App. B; and its companion.

Remark 3.1: for :math:`y = X\theta^* + \varepsilon`, :math:`\varepsilon \sim
\mathcal{N}(0, \sigma^2 I_n)`, under (i) :math:`d \ge n`, X of full row rank, (ii) whitened
inputs :math:`\mathbb{E}[xx^\top] = I_d`, (iii) :math:`\theta^*` in the row span of X, the
minimiser found by SGD has :math:`\mathrm{TPV}_{\mathrm{label}} = \sigma^2
\mathrm{Tr}((XX^\top)^{-1})` (Eq. 9). "TPV" is the test TPV :math:`\mathrm{Tr}(H_{\mathrm{eff}}
C)` with the whitened test law, :math:`H_{\mathrm{eff}} = I_d`, which the remark says equals
:math:`\mathbb{E}_x\mathrm{Var}_\varepsilon(f_{w^*}(x))` of retraining. The remark goes on:
"for a large enough :math:`n (\ll d)`, :math:`\frac1n X^\top X = I_d`" and "Wishart gives
:math:`\mathbb{E}(XX^\top)^{-1} \approx \frac1d I_n`, therefore
:math:`\mathrm{TPV}_{\mathrm{label}} \approx \sigma^2 n/d`".

Checks: App. B symbolically; Eq. 9 against exact rationals, Rademacher enumeration and the
general label-noise solver; SGD retraining (Monte Carlo over noise); the "≈ n/d" error law
measured over an (n, d) grid; and the sample-whitening sentence, which is impossible for
:math:`n < d` (rank) — refuted. ``tpv.linear_label_noise.corrected`` states what is true.

The checks live by kind in :mod:`.symbolic`, :mod:`.exact` and :mod:`.property`, imported
below in registration order.
"""

from __future__ import annotations

import importlib

import numpy as np

from theorylab.claims.tpv.paper import cite
from theorylab.registry import CATALOG

__all__ = [
    "EPS",
    "EXACT_RTOL",
    "LINEAR_LABEL_NOISE",
    "LINEAR_LABEL_NOISE_CORRECTED",
    "SLOPE_BAND",
    "Z_LIMIT",
]

EPS = float(np.finfo(np.float64).eps)
Z_LIMIT = 4.5  # |z| over a few dozen Monte Carlo comparisons: a false alarm has p < 1e-4
SLOPE_BAND = 0.15

LINEAR_LABEL_NOISE, LINEAR_LABEL_NOISE_CORRECTED = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = LINEAR_LABEL_NOISE.tolerance.rtol

for _part in ("symbolic", "exact", "property", "premises"):  # registration order
    importlib.import_module(f"{__name__}.{_part}")
