r"""``tpv.trace_stability`` and its corrected companion — paper 000, Theorem 2.1 / A.4, App. A.

App. A.3's trace inequality (:mod:`theorylab.claims.tpv.trace_inequality`) turns the
train/test TPV gap into an operator-norm distance,
:math:`|\mathrm{TPV}_{tr} - \mathrm{TPV}_{te}| \le \|H_{tr} - H_{te}\|\,\mathrm{Tr}C`,
and Theorem A.4 bounds that distance by :math:`2\varepsilon_{\mathrm{NTK}} + o(1)` through the
triangle chain, with Eq. 22 (parameter-space stability of :math:`H_{\mathrm{eff}}`) deduced
from Assumption A.2 (stability of the :math:`n\times n` Gram matrix :math:`G_X`).

That deduction does not hold: :math:`H(w^*) - H(w_0)` and :math:`G(w^*) - G(w_0)` do not share
their spectrum (:math:`J_0 = [1, 0]`, :math:`J^* = [0, 1]`: :math:`G^* - G_0 = 0` while
:math:`\|H^* - H_0\| = 1`), and Jacobian data satisfying A.1 and A.2 with
:math:`\varepsilon_{\mathrm{NTK}} = 0` and an exactly vanishing LLN term can have a gap of
:math:`\mathrm{Tr}(C)`. The corrected companion takes Eq. 22 (implied by Jacobian
stability) as its premise.

The checks, by kind: :mod:`.symbolic` (the proof's steps), :mod:`.exact` (finite-size
bound, the A.1 + A.2 counterexample, Lemma A.3's rate, the corrected chain),
:mod:`.torch` (registers the torch checks: :mod:`.torch_scaling` measures the asymptotics
on MLPs, :mod:`.torch_band` reruns the synthetic experiment of Sec. 5.1 / App. F.1.1) and
:mod:`.property` (the corrected chain's counterexample search).
"""

from __future__ import annotations

from importlib import import_module

from theorylab.claims.tpv.paper import cite
from theorylab.registry import CATALOG

__all__ = ["EXACT_RTOL", "TRACE_STABILITY", "TRACE_STABILITY_CORRECTED"]


TRACE_STABILITY, TRACE_STABILITY_CORRECTED = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = TRACE_STABILITY.tolerance.rtol

# The check modules register in this order, which is each claim's check order:
# tpv.trace_stability: symbolic, exact (3), torch (2); the companion: symbolic, exact, property.
for _part in ("symbolic", "exact", "torch", "property"):
    import_module(f"{__name__}.{_part}")
