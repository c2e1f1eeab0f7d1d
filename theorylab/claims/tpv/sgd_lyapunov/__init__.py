r"""``tpv.sgd_lyapunov`` — paper 000, Theorem 3.3 / App. D.3, and its corrected companion.

D.3 / Theorem 3.3: the chain Eq. 64 → 65 → 66 → 70 → 73 is exact up to the single
approximation 69 → 70 (drops :math:`\eta^2HCH`, relative error :math:`\le\eta\lambda_{\max}/2`,
measured). Eq. 74 then asserts :math:`\mathrm{TPV}_{\mathrm{SGD}}\approx\frac{\eta
\sigma_\varepsilon^2}{2b}\mathrm{Tr}\nabla^2L(w^*)` at a *zero-training-loss* minimiser. There
the minibatch noise is multiplicative (:math:`\xi = (H_B-H)\delta w`, zero at :math:`w^*`),
the exact stationary covariance is :math:`C = 0`, and for any law of :math:`\delta w` the
residual variance is the training TPV itself (:math:`\sigma_\varepsilon^2 =
\mathrm{Tr}(H_{\mathrm{eff}}C)`), so Eq. 74 reads :math:`\mathrm{TPV}(1 - \eta\mathrm{Tr}H/2b)
\approx 0`: false for every state with :math:`\sigma_\varepsilon > 0` unless
:math:`\eta\mathrm{Tr}H = 2b`, and its error does not shrink with :math:`\eta` — REFUTED.

``tpv.sgd_lyapunov.corrected``: at a minimiser with non-zero residuals :math:`r`
(:math:`J^\top r = 0`, e.g. label noise, ``n > p``), linearised SGD has the exact stationary
identity :math:`\mathrm{Tr}(H C) = \frac{\eta\kappa_b}{2}\frac1n\sum_i\mathbb E[\varepsilon_i^2]
\|J_i\|^2 + \frac\eta2(1-\kappa_b)\mathrm{Tr}(H^2C)`, so Eq. 74 holds with
:math:`\sigma_\varepsilon^2` the *total* stationary residual variance
(:math:`\frac1n\|r\|^2 + \mathrm{TPV}_{\mathrm{train}}`), :math:`1/b\to\kappa_b`, up to
:math:`O(\eta\lambda_{\max})` and the residual/row-norm decoupling of Approximation 2;
equivalently :math:`\mathrm{TPV} = \frac{\eta\kappa\sigma_r^2\mathrm{Tr}H/2}{1-\eta\kappa
\mathrm{Tr}H/2}` — the paper's fixed-:math:`\Sigma_\xi` chain misses the multiplicative
amplification, an :math:`O(\eta\mathrm{Tr}H/b)` relative error.

The checks live by kind in :mod:`.symbolic`, :mod:`.exact`, :mod:`.corrected` (the
companion's exact checks), :mod:`.property` and :mod:`.torch` (the MLP experiment, imported
only when its check runs); they are imported below in registration order.
"""

from __future__ import annotations

import importlib

from theorylab.claims.tpv.common import torch_checks
from theorylab.claims.tpv.paper import cite
from theorylab.registry import CATALOG

__all__ = ["SGD_LYAPUNOV", "SGD_LYAPUNOV_CORRECTED"]

SGD_LYAPUNOV, SGD_LYAPUNOV_CORRECTED = CATALOG.add_specs(__file__, cite)

for _part in ("symbolic", "exact", "corrected", "property"):  # registration order of the checks
    importlib.import_module(f"{__name__}.{_part}")


torch_checks(
    SGD_LYAPUNOV,
    __name__,
    [
        (
            "mlp_sgd_near_zero_loss",
            "torch.zero_loss_sgd_experiment",
            "SGD on a teacher-student MLP at a zero-loss minimiser: TPV and "
            "residual variance along SGD vs Eq. 74",
        ),
    ],
)
