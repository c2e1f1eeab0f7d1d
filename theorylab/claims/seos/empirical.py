r"""``seos.empirical_k`` — Sec. 4.1 (Fig. 3-5): K on a real fully connected network.

Statements, each judged from the grid of :mod:`theorylab.claims.seos.empirical_torch`:
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

from theorylab.claims.seos.common import source
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Claim, ClaimKind, Finding, Level, Tolerance

__all__ = ["EMPIRICAL_K"]

EMPIRICAL_K = CATALOG.add(
    Claim(
        id="seos.empirical_k",
        title="K self-stabilises below 1; best loss at K_f in [0.6, 0.8]; lambda_max is poor",
        source=source("Sec. 4.1, Fig. 3-5", ["9", "11"]),
        statement=(
            r"\text{FCN, MSE, small } B:\ \mathcal{K}\text{ self-stabilises below 1 at "
            r"intermediate }"
            r"\eta;\ \arg\min \mathcal{L}_f \in \{\mathcal{K}_f\in[0.6,0.8]\};\ \lambda_{\max}"
            r"\text{ is a poor predictor of } \mathcal{L}_f"
        ),
        kind=ClaimKind.EMPIRICAL,
        tolerance=Tolerance(
            rtol=0.0,
            rationale="empirical: statements judged on a grid; the "
            "K_f range of near-best runs is the uncertainty",
        ),
        tags=["paper002", "seos", "torch"],
        notes="Digits (8x8, sklearn) instead of MNIST; scalar +-1 target (digit >= 5) so that "
        "the D residuals are one per sample as in the theory; inputs standardised.",
    )
)


@CATALOG.check(
    EMPIRICAL_K,
    kind=CheckKind.TORCH,
    description=(
        "MLP on digits, MSE, grid of (eta, B): exact K from the NTK Gram matrix during training, "
        "final loss vs K_f and vs eta*lambda_max, and a momentum run (K_mom, Eq. 18)"
    ),
    levels=(Level.QUICK, Level.FULL),
)
def fcn_grid(context: CheckContext) -> Finding:
    """See :func:`theorylab.claims.seos.empirical_torch.empirical_k_experiment`."""
    from theorylab.claims.seos.empirical_torch import empirical_k_experiment

    return empirical_k_experiment(context)


@CATALOG.check(
    EMPIRICAL_K,
    kind=CheckKind.TORCH,
    description=(
        "same grid: where the best final loss sits in K_f (with the K_f range of near-best runs), "
        "and R² of the final loss on K_f vs on eta*lambda_max"
    ),
    levels=(Level.QUICK, Level.FULL),
)
def final_loss_vs_k(context: CheckContext) -> Finding:
    """See :func:`theorylab.claims.seos.empirical_torch.final_loss_finding`."""
    from theorylab.claims.seos.empirical_torch import final_loss_finding

    return final_loss_finding(context)
