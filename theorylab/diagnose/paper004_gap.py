r"""Paper 004's generalisation gap at the user's point: measured on a held-out split vs predicted.

Gap (Sec. 2) :math:`= \mathbb{E}_z[l_\kappa(\hat\theta; z)] - L_\kappa(\hat\theta)`; the
regulariser :math:`\kappa(\hat\theta)` is in both terms and cancels, so the measured gap is
the mean held-out loss minus the mean training loss (per-sample losses in the loss's own
convention, :mod:`theorylab.gpu.losses`; the constant :math:`-\log h(y)` cancels too). Its
standard error :math:`\sqrt{s_{\rm held}^2/m + s_{\rm train}^2/n}` combines the held-out
sampling error and the :math:`O(n^{-1/2})` fluctuation of the training mean around the
population risk, which is what makes one run's Gap differ from the :math:`\mathbb{E}[\mathrm{Gap}]`
the paper predicts.

The prediction is Prop. 5.3: with :math:`\alpha^* = \mathrm{Tr}\,\mathbb{E}B/\mathrm{Tr}\,
\mathbb{E}\Sigma` (error over uncertainty, estimated on the held-out split as Sec. 5 and 7
advise: on training data it tends to 0 under overfitting, Prop. 5.4) and :math:`\kappa` the
condition number of :math:`\mathbb{E}[J(F+\lambda I)^{-1}J^\top]`,

.. math:: \kappa^{-1}\alpha^*\,\mathrm{rank}_\lambda(F)/n \;\le\; \mathbb{E}[\mathrm{Gap}]
          \;\le\; \kappa\,\alpha^*\,\mathrm{rank}_\lambda(F)/n

(up to :math:`O(\lambda)`, :math:`n\to\infty`); :math:`\kappa = 1` for one output, where the
interval is the point of Eq. 8. A calibrated model has :math:`\alpha^* = 1` (Prop. 4.2).
"""

from __future__ import annotations

import math

import numpy as np

from theorylab.spec import Figure, FigureSeries

from .model import AssumptionStatus, AssumptionVerdict, Quantity
from .paper004_fisher import OutputTerms

__all__ = ["GAP_K", "error_uncertainty", "gap_figure", "gap_verdict", "measured_gap",
           "predicted_gap"]

GAP_K = 3.0
"""Standard errors of slack in the gap verdict."""


def _mean_stderr(values: np.ndarray) -> tuple[float, float]:
    return float(values.mean()), (float(values.std(ddof=1) / math.sqrt(values.size))
                                  if values.size > 1 else math.inf)


def measured_gap(train: OutputTerms, held: OutputTerms) -> Quantity:
    """Held-out mean loss minus training mean loss, with the stderr of the module doc."""
    held_mean, held_se = _mean_stderr(held.losses)
    train_mean, train_se = _mean_stderr(train.losses)
    return Quantity(
        name="measured_gap", symbol="Gap", value=held_mean - train_mean,
        stderr=math.hypot(held_se, train_se), method="held-out mean loss - train mean loss",
        reference="paper 004, Sec. 2 (Gap)",
        note=(f"held-out {held_mean:.4g} ± {held_se:.2g} (m = {held.losses.size}), train "
              f"{train_mean:.4g} ± {train_se:.2g} (n = {train.losses.size}); stderr combines "
              "both: the train term is Gap's own O(n^-1/2) fluctuation around E[Gap]"))


def error_uncertainty(terms: OutputTerms) -> tuple[float, float]:
    r"""``(α*, stderr)``: :math:`\sum\|e_i\|^2/\sum\mathrm{Tr}\Sigma_i` (delta method)."""
    error, uncertainty = terms.error, terms.uncertainty
    ratio = float(error.sum() / uncertainty.sum())
    spread = error - ratio * uncertainty
    stderr = (float(spread.std(ddof=1) / (math.sqrt(spread.size) * uncertainty.mean()))
              if spread.size > 1 else math.inf)
    return ratio, stderr


def predicted_gap(rank: Quantity, alpha: tuple[float, float], kappa: float | None,
                  samples: int) -> Quantity:
    r""":math:`\alpha^*\mathrm{rank}_\lambda(F)/n` with Prop. 5.3's interval in ``values``."""
    ratio, ratio_se = alpha
    centre = ratio * rank.value / samples
    relative = math.hypot((rank.stderr or 0.0) / rank.value if rank.value else 0.0,
                          ratio_se / ratio if ratio else 0.0)
    factor = 1.0 if kappa is None else kappa
    interval = [centre / factor, centre * factor]
    where = ("κ not computed (the dense route did not fit): the point of Eq. 8 only"
             if kappa is None else f"κ = {kappa:.4g}")
    return Quantity(
        name="predicted_gap", symbol="α* rank_λ(F)/n", value=centre, stderr=centre * relative,
        values=interval, method=f"α* (held-out) x rank_λ(F) ({rank.method}) / n",
        reference="paper 004, Eq. 8 and Prop. 5.3",
        note=(f"values = Prop. 5.3's interval [α*/κ, κα*] rank_λ(F)/n; α* = {ratio:.4g} ± "
              f"{ratio_se:.2g} (error/uncertainty on the held-out split); {where}; an "
              "asymptotic (n → ∞) prediction of E[Gap], up to O(λ)"))


def gap_verdict(measured: Quantity, predicted: Quantity) -> AssumptionVerdict:
    r"""Whether the measured gap lies in the predicted interval, within ``GAP_K`` stderr.

    ``holds`` when it does and the measurement excludes 0 (so it tests something),
    ``undecided`` when it does but the measurement is also consistent with no gap,
    ``fails`` when it lies outside.
    """
    low, high = predicted.values or [predicted.value, predicted.value]
    slack = GAP_K * math.hypot(measured.stderr or 0.0, predicted.stderr or 0.0)
    value = measured.value
    numbers = {"measured": value, "measured_stderr": measured.stderr or 0.0,
               "predicted_low": low, "predicted_high": high,
               "predicted_stderr": predicted.stderr or 0.0, "k": GAP_K}
    inside = low - slack <= value <= high + slack
    if not inside:
        status = AssumptionStatus.FAILS
        text = (f"measured gap {value:.4g} lies outside the predicted [{low:.4g}, {high:.4g}] "
                f"± {slack:.2g} ({GAP_K:g} combined stderr)")
    elif abs(value) <= GAP_K * (measured.stderr or 0.0):
        status = AssumptionStatus.UNDECIDED
        text = (f"measured gap {value:.4g} ± {measured.stderr:.2g} is consistent with the "
                f"predicted [{low:.4g}, {high:.4g}] but also with no gap: more samples needed")
    else:
        status = AssumptionStatus.HOLDS
        text = (f"measured gap {value:.4g} lies in the predicted [{low:.4g}, {high:.4g}] "
                f"± {slack:.2g} ({GAP_K:g} combined stderr)")
    return AssumptionVerdict(name="gap_within_prediction", paper="004",
                             theorem="Eq. 8 / Prop. 5.3", status=status, evidence=text,
                             numbers=numbers)


def gap_figure(measured: Quantity, predicted: Quantity, calibrated: float) -> Figure:
    """Measured gap and prediction as points with ±GAP_K stderr bands (x: 1, 2, 3)."""
    low, high = predicted.values or [predicted.value, predicted.value]
    m_se, p_se = GAP_K * (measured.stderr or 0.0), GAP_K * (predicted.stderr or 0.0)
    return Figure(
        title="paper 004: measured vs predicted generalisation gap",
        x_label="1 measured, 2 predicted α*·rank_λ(F)/n (Prop. 5.3), 3 calibrated rank_λ(F)/n",
        y_label="gap (loss units)",
        series=[FigureSeries(label=f"measured ± {GAP_K:g} stderr", x=[1.0, 1.0],
                             y=[measured.value - m_se, measured.value + m_se], style="band"),
                FigureSeries(label="measured gap", x=[1.0], y=[measured.value],
                             style="scatter"),
                FigureSeries(label=f"predicted interval ± {GAP_K:g} stderr", x=[2.0, 2.0],
                             y=[low - p_se, high + p_se], style="band"),
                FigureSeries(label="predicted gap", x=[2.0], y=[predicted.value],
                             style="scatter"),
                FigureSeries(label="calibrated prediction", x=[3.0], y=[calibrated],
                             style="scatter")])
