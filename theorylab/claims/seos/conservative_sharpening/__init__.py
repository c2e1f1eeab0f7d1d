r"""``seos.conservative_sharpening`` — Theorem 3.1 (Eq. 16-17) for the quadratic regression model.

Model (Eq. 12-13, App. B.1) and estimators (Eq. 14-15): see
:mod:`theorylab.solvers.quadratic_regression`. Every expectation over :math:`(P, Q, z)` is
computed three ways: brute force (every minibatch pair enumerated, exact moments over ``Q``
and ``z``), closed forms, and direct Monte Carlo.

* Eq. 16 is exact at ``t = 0`` (its :math:`O(D^{-1})` vanishes) for every ``D``, ``P``, ``B``.
* Eq. 17 as printed, :math:`\mathbb{E}[\Delta_2\hat\sigma]_B = d_2 - B^{-1}D^{-2}\eta^3
  \sigma^3V P V_z + O(\eta^4)` with :math:`d_2` the full-batch value, is wrong at order
  :math:`\eta^3`: the exact gap is :math:`-(B^{-1}-D^{-1})D^{-2}\eta^3V_zV\sigma[(P+1)\sigma^2
  - \tfrac12\sum_pv_p^2(J^\top J)_{pp}]` with no :math:`\eta^4` remainder. The printed batch
  law misses :math:`-D^{-1}` (it does not vanish at ``B = D``, contradicting its own
  :math:`d_2`; factor 2 at ``B = D/2`` for every ``D``) and App. B.3 drops the
  :math:`\tfrac{\eta^2}{2B^2}Q(J^\top Pz, J^\top Pz)` part of :math:`z_{t+1}-z_t` (relative
  :math:`O(1/P)`). For :math:`B \ll D` and large ``P`` the printed law is the leading order:
  its relative error at ``B = 1`` falls like :math:`D^{-1}` (measured). Its reading in Sec. 3.2
  ("the second derivative is smaller for smaller B") fails for weak modes: the gap is
  positive iff :math:`(P+1)\sigma_\alpha^2 < \tfrac12\sum_pv_p^2(J^\top J)_{pp}` (minimal
  instance ``D = P = 2``, :math:`J_0 = \mathrm{diag}(1, 1/4)R(45°)^\top`, gap ``+5/2048``).
* Fig. 2 (Sec. 3.2): :math:`\lambda_{\max}(J_tJ_t^\top/D)` along SGD on the model, ``B = 1``
  vs ``B = D`` at equal :math:`\eta` on the same random :math:`(J_0, Q, z_0)`: more initial
  sharpening, an advantage that fades (small batch ends below full batch), and a larger
  final suppression for :math:`V(\sigma) = \sigma` — each judged on a paired bootstrap
  interval. The paper gives no sizes or scales for Fig. 2; ours are in :data:`FIG2`.
"""

from __future__ import annotations

from theorylab.claims.seos.paper import cite
from theorylab.registry import CATALOG

__all__ = ["CONSERVATIVE_SHARPENING", "CONSERVATIVE_SHARPENING_CORRECTED", "EXACT_RTOL", "Z_LIMIT"]

Z_LIMIT = 4.0

CONSERVATIVE_SHARPENING, CONSERVATIVE_SHARPENING_CORRECTED = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = CONSERVATIVE_SHARPENING.tolerance.rtol

# the checks, in registration order (the search first, as before)
from theorylab.claims.seos.conservative_sharpening import property  # noqa: E402, F401, I001
from theorylab.claims.seos.conservative_sharpening import symbolic  # noqa: E402, F401
from theorylab.claims.seos.conservative_sharpening import exact  # noqa: E402, F401
from theorylab.claims.seos.conservative_sharpening import monte_carlo  # noqa: E402, F401
from theorylab.claims.seos.conservative_sharpening import direction  # noqa: E402, F401
from theorylab.claims.seos.conservative_sharpening import fig2  # noqa: E402, F401
