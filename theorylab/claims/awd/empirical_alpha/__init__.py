r"""``awd.empirical_alpha`` — paper 001, Sec. 4, Table 1, Sec. 5.3 (and Fig. 1-3, App. B.3).

Table 1: with cross-entropy :math:`\alpha > 1` (1.1-1.5); with softmax + MSE
:math:`\alpha\approx1`; the AWD-predicted exponent matches the measured one. Each setting is
trained for several training seeds (:data:`.settings.SEEDS`); each statement is
judged on the mean over seeds of the exponents, with paired two-level basic (reverse-percentile)
bootstrap 95 % intervals (resample training seeds, then samples within each seed;
:func:`theorylab.solvers.hierarchical_bootstrap`) that contain the seed-to-seed spread:
*supported* when the interval lies inside the statement's band, *contradicted* when it lies
outside, *undecided* otherwise. Bands (from Table 1's own spread): ":math:`\approx1`" means
:math:`|\alpha-1|\le0.15`; "matches" means :math:`|\alpha_{\rm AWD}-\alpha| \le 0.1`; CE vs MSE
"significant difference" means disjoint intervals. Any contradiction gives REFUTED, any
undecided statement INCONCLUSIVE. The experiments live in :mod:`.torch` and :mod:`.seeds`,
the checks in :mod:`.checks`.
"""

from __future__ import annotations

from theorylab.claims.awd.paper import cite
from theorylab.registry import CATALOG

__all__ = ["APPROX_ONE", "EMPIRICAL_ALPHA", "HARDLY", "LOWERING", "MATCH"]

APPROX_ONE = 0.15
MATCH = 0.1
HARDLY = 0.1
LOWERING = 0.05

(EMPIRICAL_ALPHA,) = CATALOG.add_specs(__file__, cite)

from theorylab.claims.awd.empirical_alpha import checks  # noqa: E402, F401  (registers the checks)
