r"""``tpv.quantization`` — paper 000, Remark 3.4 / App. E: uniform quantization noise.

With :math:`\delta w_j\sim\mathrm{Unif}(-\delta/2,\delta/2)` i.i.d., :math:`C = \frac{\delta^2}
{12}I` and :math:`\mathrm{TPV} = \mathrm{Tr}(H_{\mathrm{eff}}C) = \frac{\delta^2}{12}\mathrm{Tr}
H_{\mathrm{eff}}`, which equals :math:`\frac{\delta^2}{12}\mathrm{Tr}\nabla^2L(w^*)` exactly at
a zero-training-loss minimiser (:math:`R = 0`, App. D.2). The only approximation is the
linearisation of ``f``: odd orders vanish by symmetry, so the relative error is
:math:`O(\delta^2)` (an :math:`O(\delta^4)` absolute correction, given in closed form for a
quadratic model). Checks: sympy (exact integrals), closed form vs tensor Gauss-Legendre
quadrature (exact for these polynomials) and Monte Carlo, the measured δ-exponent on a
non-linear model (antithetic draws), hypothesis, and a torch MLP.

The checks live by kind in :mod:`.symbolic`, :mod:`.exact`, :mod:`.property` and
:mod:`.torch` (the MLP experiment, imported only when its check runs); they are imported
below in registration order.
"""

from __future__ import annotations

import importlib

from theorylab.claims.tpv.common import torch_checks
from theorylab.claims.tpv.paper import cite
from theorylab.registry import CATALOG

__all__ = ["QUANTIZATION"]

(QUANTIZATION,) = CATALOG.add_specs(__file__, cite)

for _part in ("symbolic", "exact", "property"):  # registration order of the checks
    importlib.import_module(f"{__name__}.{_part}")


torch_checks(
    QUANTIZATION,
    __name__,
    [
        (
            "mlp_quantization",
            "torch.quantization_experiment",
            "MLP fitted to a teacher (near-zero loss): uniform perturbations vs "
            "(δ²/12) Tr ∇²L with the exact Hessian",
        ),
    ],
)

importlib.import_module(f"{__name__}.premises")  # the premise audit, after the torch check
