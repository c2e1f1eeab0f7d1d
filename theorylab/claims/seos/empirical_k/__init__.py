r"""``seos.empirical_k`` — Sec. 4.1 (Fig. 3-5): K on a real fully connected network.

Statements, each judged from the grid of :mod:`theorylab.claims.seos.empirical_k.torch`:
(1) at intermediate :math:`\eta`, :math:`\mathcal{K}` rises above 1 and then stabilises
below 1 while the loss falls; (2) the best final loss is reached for
:math:`\mathcal{K}_f \in [0.6, 0.8]` (reported with the :math:`\mathcal{K}_f` range of all runs
within 20% of the best loss); (3) :math:`\eta\lambda_{\max}` predicts the final loss worse
than :math:`\mathcal{K}_f` (R² of quadratic fits of the log loss, both on the same (B, η)
cells: K is undefined past the deterministic EOS). Statement (2) is contradicted when no cell
within 20% of the best loss reaches the band; any contradicted statement gives REFUTED.
Final losses and K_f are means over the training seeds of a (B, η) cell (3 seeds at full).
"""

from __future__ import annotations

from collections.abc import Callable

from theorylab.claims.seos.paper import cite
from theorylab.registry import CATALOG, CheckContext, CheckFunction
from theorylab.spec import CheckKind, Finding, Level

__all__ = ["EMPIRICAL_K"]

(EMPIRICAL_K,) = CATALOG.add_specs(__file__, cite)


def _torch_check(description: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a torch check of ``seos.empirical_k`` at both levels."""
    return CATALOG.check(
        EMPIRICAL_K, kind=CheckKind.TORCH, description=description, levels=(Level.QUICK, Level.FULL)
    )


@_torch_check(
    "MLP on digits, MSE, grid of (eta, B): exact K from the NTK Gram matrix during training, "
    "final loss vs K_f and vs eta*lambda_max, and a momentum run (K_mom, Eq. 18)"
)
def fcn_grid(context: CheckContext) -> Finding:
    """See :func:`theorylab.claims.seos.empirical_k.torch.empirical_k_experiment`."""
    from theorylab.claims.seos.empirical_k.torch import empirical_k_experiment

    return empirical_k_experiment(context)


@_torch_check(
    "same grid: where the best final loss sits in K_f (with the K_f range of near-best runs), "
    "and R² of the final loss on K_f vs on eta*lambda_max"
)
def final_loss_vs_k(context: CheckContext) -> Finding:
    """See :func:`theorylab.claims.seos.empirical_k.torch.final_loss_finding`."""
    from theorylab.claims.seos.empirical_k.torch import final_loss_finding

    return final_loss_finding(context)
