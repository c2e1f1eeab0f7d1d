r"""``tpv.label_noise_regimes`` — paper 000, App. C.2: the four local regimes of label-noise TPV.

For the linearised network with training Jacobian :math:`J = U_r S V_r^\top` (rank
:math:`r \le n`) and label noise :math:`\mathbb{E}\varepsilon\varepsilon^\top = \sigma^2 I_n`:

1. ridge :math:`\lambda > 0`: :math:`\mathrm{TPV}_{train} = \sigma^2\frac1n\sum_{i\le r}
   (s_i^2/(s_i^2+\lambda))^2 < \sigma^2`; test TPV with ridge-shrunk directions;
2a. :math:`r = n`, :math:`\lambda = 0`: :math:`\mathrm{TPV}_{train} = \sigma^2`, and "if the
   train and test distributions match and the Jacobian moments concentrate",
   :math:`B \approx S^2/n`, so :math:`\mathrm{TPV}_{test} \approx \sigma^2 r/n = \sigma^2`;
2b. :math:`\sigma \to 0`: both TPVs :math:`\to 0`;
3. :math:`r < n`: :math:`\mathrm{TPV}_{train} = \sigma^2 r/n`.

The computations reuse :func:`theorylab.solvers.label_noise_tpv` (Theorem 3.2 / App. C.1,
claim ``tpv.label_noise_spectral_sum``). (2a)'s test statement is refuted: for matched
distributions, :math:`\mathbb{E}[B] = V_r^\top H_{te}V_r`, not :math:`S^2/n`, and for Gaussian
rows :math:`\mathbb{E}\,\mathrm{TPV}_{test} = \sigma^2 n/(p-n-1)`; the companion
``tpv.label_noise_regimes.corrected`` states and checks this.

The checks live by kind in :mod:`.symbolic`, :mod:`.exact`, :mod:`.property` and
:mod:`.torch`, imported below in registration order. :mod:`.torch` registers the torch
checks without importing torch; their experiments, :mod:`.torch_interpolation` ((2a) on MLP
Jacobians), :mod:`.torch_retrain` ((1), perturb-and-retrain) and :mod:`.torch_gram` (the
Gram route), share the reference network of :mod:`.torch_reference` and are imported only
when their checks run.
"""

from __future__ import annotations

import importlib

from theorylab.claims.tpv.paper import cite
from theorylab.registry import CATALOG

__all__ = [
    "EXACT_RTOL",
    "LABEL_NOISE_REGIMES",
    "LABEL_NOISE_REGIMES_CORRECTED",
    "MATCHED_BAND",
    "Z_LIMIT",
]

Z_LIMIT = 4.5
MATCHED_BAND = 0.5
"""'≈' band for TPV_test ≈ σ²: the paper's own 50% band (Fig. 1, Sec. 5.1)."""

LABEL_NOISE_REGIMES, LABEL_NOISE_REGIMES_CORRECTED = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = LABEL_NOISE_REGIMES.tolerance.rtol

for _part in ("symbolic", "exact", "property", "torch"):  # registration order of the checks
    importlib.import_module(f"{__name__}.{_part}")
