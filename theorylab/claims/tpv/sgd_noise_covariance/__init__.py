r"""``tpv.sgd_noise_covariance`` — paper 000, App. D.1 (Eq. 42-54), and its corrected companion.

The paper derives the minibatch gradient covariance of squared-loss SGD exactly (Eq. 45-46)
and then makes two approximations:

* Approximation 1 (Eq. 47) drops :math:`\frac1{bn^2}J^\top\varepsilon\varepsilon^\top J`
  "for large n" because of its explicit :math:`1/n^2`. That term is exactly
  :math:`\frac1b\nabla L\,\nabla L^\top`: it has no :math:`1/n` suppression relative to Eq. 47
  (the sum inside carries :math:`n^2` terms). Its relative size is set by how close ``w`` is
  to a stationary point of ``L``, not by ``n``; the measured exponent is ~0, the stated
  law is :math:`O(1/n)`: REFUTED (hand-minimal counterexample: identical rows, equal
  residuals — the minibatch noise is 0 for every ``n`` while Eq. 47 gives :math:`1/b`).
* Approximation 2 (Eq. 51-54) replaces :math:`\varepsilon_i^2` by :math:`\sigma^2`; under
  its own assumptions (i.i.d. zero-mean residuals independent of ``J``) the expected trace
  is exactly :math:`\frac{\sigma^2}b(1-\frac1n)\mathrm{Tr}H_{\mathrm{eff}}`, so Eq. 54's
  relative error is exactly ``1/n``, independent of :math:`\sigma` — HOLDS_APPROX.

``tpv.sgd_noise_covariance.corrected`` states what is true: Eq. 47's error is exactly
:math:`\kappa_b\nabla L\nabla L^\top` (with replacement), zero at a stationary point of
``L`` and :math:`O(1/n)` relative only when the population gradient vanish

The checks live by kind in :mod:`.symbolic`, :mod:`.exact` and :mod:`.property`; they are
imported below in registration order.
"""

from __future__ import annotations

import importlib

from theorylab.claims.tpv.paper import cite
from theorylab.registry import CATALOG
from theorylab.spec import Convention

__all__ = ["EXACT_RTOL", "SGD_NOISE_COVARIANCE", "SGD_NOISE_COVARIANCE_CORRECTED"]


_CONVENTIONS = [
    Convention(name="Jacobian", statement=r"rows $J_i = \nabla_w f(x_i;w)^\top$, shape $(n,p)$"),
    Convention(name="effective curvature", statement=r"$H_{\mathrm{eff}} = J^\top J/n$ (Eq. 53)"),
]

SGD_NOISE_COVARIANCE, SGD_NOISE_COVARIANCE_CORRECTED = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = SGD_NOISE_COVARIANCE.tolerance.rtol


for _part in ("symbolic", "exact", "property", "premises"):  # registration order of the checks
    importlib.import_module(f"{__name__}.{_part}")
