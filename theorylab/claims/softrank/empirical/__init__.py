r"""``softrank.empirical`` — paper 004, Sec. 7, Table 1 and Figs 2-4, on MLPs trained on digits.

Table 1: Kendall :math:`\tau` between training-set complexity and the gap, across trained
networks: :math:`\mathrm{rank}_\lambda(F)` 0.84, :math:`\tfrac12\log\det` 0.82, KFAC 0.78/0.76,
diagonal 0.72/0.68, :math:`\mathrm{Tr}F` 0.28, :math:`\|F\|_2` 0.08. Reproduced on scikit-learn
digits (the paper used MNIST/CIFAR/SVHN at 7×7 and 200k steps), so the τ values are reported
with bootstrap CIs over nets; the verdict judges the *ordering* the paper draws from them and
whether 0.84 is compatible, and is INCONCLUSIVE when fewer than 20 nets were trained (quick).
The sweep varies the train size n, and Eq. 1/8 predict :math:`n\,\mathrm{Gap}`, so each
measure is correlated with the gap as measure/n (the raw-measure τ is reported alongside: it
is confounded by n, since the soft rank grows with n while the gap shrinks).
Also: soft rank by SLQ against the exact value (error law in probes and Lanczos steps), the
estimator comparison of Fig. 3 and the calibration/overfitting windows of Fig. 4.

The checks (all torch) live in :mod:`theorylab.claims.softrank.empirical.torch`, the rank
statistics in :mod:`theorylab.claims.softrank.empirical.statistics` and the trained nets in
:mod:`theorylab.claims.softrank.experiments`.
"""

from __future__ import annotations

from theorylab.claims.softrank.paper import cite
from theorylab.registry import CATALOG

__all__ = ["EMPIRICAL"]

(EMPIRICAL,) = CATALOG.add_specs(__file__, cite)

# Registers the checks (after EMPIRICAL exists: the module imports it from here).
from theorylab.claims.softrank.empirical import torch as _torch  # noqa: E402, F401
