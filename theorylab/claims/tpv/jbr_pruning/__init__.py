r"""``tpv.jbr_pruning`` — paper 000, Sec. 3.4 (Eq. 13-16, JC comparison), Sec. 5.3, App. F.3.

Pruning as parameter noise: :math:`\delta w_g = \sigma\xi_g w_g` with Rademacher
:math:`\xi_g` (Eq. 13), so :math:`C_{\mathrm{prune},g} = \sigma^2 w_g w_g^\top` (Eq. 14) and
the group's TPV contribution for :math:`u = -\log p_{c(x)}` is
:math:`\sigma^2\mathbb{E}_x[(J_{u,g}w_g)^2]` (Eq. 15), :math:`J_{u,g} = \delta_u^\top J_g`.
Eq. 16 prints the JBR score as :math:`\mathbb{E}_x[w_g^\top J_g^\top\delta_u^\top\delta_u
J_g w_g]` with :math:`\delta_u\in\mathbb{R}^K`: for :math:`K \ge 2` the printed product is not
conformable, and reading :math:`\delta_u^\top\delta_u` as the scalar :math:`\|\delta_u\|^2`
(the *literal* reading) gives :math:`\mathbb{E}_x[\|\delta_u\|^2\|v_g\|^2]`,
:math:`v_g = J_g w_g`, which is not Eq. 15's term and ranks groups differently. The JC
comparison's form :math:`\mathbb{E}_x[(\delta_u^\top v_g)^2]` is Eq. 15's term; it is the
corrected companion ``tpv.jbr_pruning.corrected``. The statement "JBR = JC when the labels
equal the predicted classes" holds per sample (same :math:`m`), but JBR averages over the
samples with :math:`p_c > 0.9` only, so the scores differ once a correctly classified
sample is not confident. The empirical claim of Sec. 5.3 is run on a SmallCNN
(:mod:`.torch`).

The checks live by kind in :mod:`.symbolic`, :mod:`.exact` and :mod:`.property` (instances
and ranking helpers in :mod:`.instances`), imported below in registration order; the torch
experiment in :mod:`.torch` is imported only when its check runs.
"""

from __future__ import annotations

import importlib

import numpy as np

from theorylab.claims.tpv.common import torch_checks
from theorylab.claims.tpv.paper import cite
from theorylab.registry import CATALOG
from theorylab.spec import Assumption, Convention

__all__ = [
    "EPS",
    "EXACT_RTOL",
    "JBR_PRUNING",
    "JBR_PRUNING_CORRECTED",
    "SLOPE_BAND",
    "THRESHOLD",
]

THRESHOLD = 0.9
SLOPE_BAND = 0.15
EPS = float(np.finfo(np.float64).eps)

_ASSUMPTIONS = [
    Assumption(name="group perturbation",
               statement=r"$\delta w_g = \sigma\xi_g w_g$, $\xi_g$ i.i.d. Rademacher (Eq. 13)"),
    Assumption(name="independent groups",
               statement="masks independent across disjoint groups: C block-diagonal (Eq. 14)"),
    Assumption(name="functional",
               statement=r"$u = -\log p_{c(x)}$, $c(x) = \arg\max_k p_k(x; w^*)$, "
                         r"$p = \mathrm{softmax}(f)$"),
    Assumption(name="sample selection",
               statement=r"expectation over samples with $p_{c(x)} > \tau = 0.9$"),
]
_CONVENTIONS = [
    Convention(name="directions",
               statement=r"$v_g(x) = J_g(x)w_g\in\mathbb{R}^K$, $J_g = \partial f/\partial w_g$"),
    Convention(name="logit gradient",
               statement=r"$\delta_u = \partial u/\partial f = p - e_{c(x)}$; "
                         r"JC: $m_{JC} = p - y$ over every sample"),
]

JBR_PRUNING, JBR_PRUNING_CORRECTED = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = JBR_PRUNING.tolerance.rtol

for _part in ("symbolic", "exact", "property"):  # registration order of the checks
    importlib.import_module(f"{__name__}.{_part}")


torch_checks(
    JBR_PRUNING,
    __name__,
    [
        (
            "pruning_curves",
            "torch.pruning_experiment",
            "Sec. 5.3: SmallCNN on digits, global iterative channel pruning without fine-tuning; "
            "JBR (both readings) vs JC, L1, random: paired AUC of accuracy vs sparsity over seeds",
        ),
    ],
)
