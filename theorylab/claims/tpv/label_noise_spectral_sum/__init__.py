r"""``tpv.label_noise_spectral_sum`` — paper 000, Theorem 3.2 and App. C.1 (ridge: App. C.2).

For the linearised network at a clean interpolant :math:`w^*`, the minimum-norm stationary
point of :math:`\frac12\|J\delta w-\varepsilon\|^2` is :math:`\delta w = J^+\varepsilon`, and
with :math:`\mathbb{E}\varepsilon = 0`, :math:`\mathbb{E}\varepsilon\varepsilon^\top =
\sigma^2 I` the expected test prediction variance is
:math:`\sigma^2\sum_{i\le r} B_{ii}/s_i^2`, :math:`B = V_r^\top H_{\mathrm{eff}}(X_{te})V_r`.

Eq. 10 writes "≈" only because the network is replaced by its linearisation; within the
linearised model the statement is an identity, and that is what is checked here: the
derivation step by step (sympy), the closed form against three brute-force oracles on
instances of every rank, Monte Carlo with its measured error law, a hypothesis search for
counterexamples, and a real MLP retrained (linearised, matrix-free) on noisy labels.

The checks live by kind in :mod:`.symbolic`, :mod:`.exact`, :mod:`.property` and
:mod:`.torch` (registered without importing torch; the MLP experiment in
:mod:`.torch_retrain` is imported when its check runs); they are imported
below in registration order.
"""

from __future__ import annotations

import importlib

from theorylab.claims.tpv.paper import cite
from theorylab.registry import CATALOG

__all__ = ["EXACT_RTOL", "LABEL_NOISE_SPECTRAL_SUM"]


(LABEL_NOISE_SPECTRAL_SUM,) = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = LABEL_NOISE_SPECTRAL_SUM.tolerance.rtol

for _part in ("symbolic", "exact", "property", "torch", "premises"):  # registration order
    importlib.import_module(f"{__name__}.{_part}")
