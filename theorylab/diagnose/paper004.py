r"""Paper 004 at the user's point: the Fisher soft rank, calibration and the generalisation gap.

:math:`\lambda` is the weight decay of the paper's Tikhonov regulariser
:math:`\kappa(\theta) = \frac12\lambda\|\theta\|^2` added to the mean training loss (Sec. 2;
:math:`\mathrm{rank}_\lambda = \mathrm{rank}_{\lambda I}`), in the loss's own convention:
``torch.optim.SGD(weight_decay=w)`` on theorylab's loss is :math:`\lambda = w`, on
``torch.nn.MSELoss`` (no :math:`\frac12`) it is :math:`\lambda = w/2`. Without a weight decay
:math:`\lambda = 10^{-3}\|F\|_2`, the truncation level of Remark 5.2.

* :math:`\mathrm{rank}_\lambda(F) = \mathrm{Tr}\,F(F+\lambda I)^{-1}` (Sec. 2): exact from the
  dense :math:`F` of :mod:`~theorylab.diagnose.paper004_fisher` when the per-sample Jacobians
  fit the memory budget (:func:`theorylab.solvers.soft_rank.soft_rank_gap_estimate`), by SLQ
  always (stderr over Rademacher probes), by KFAC (Sec. 6) for a cross-entropy
  ``nn.Sequential`` of linear layers (an upper bound in spirit of Prop. 6.1);
* the calibration check of Prop. 2.2 (:math:`C = F`), on the held-out split when given (else
  the training set): :math:`\|C-F\|_F/\|F\|_F` with its null
  standard error, :math:`\mathrm{Tr}C/\mathrm{Tr}F` (Eq. 8's prefactor), the
  cosine :math:`\langle C,F\rangle/\|C\|\|F\|` (Thomas et al.'s :math:`C\approx\alpha F`), the
  ratio of the regularised TIC :math:`\mathrm{Tr}\,C(F+\lambda I)^{-1}` (Prop. 5.1 with
  :math:`H\approx F`) to Eq. 8, and Prop. 5.3's :math:`\kappa`;
* the gap: :mod:`~theorylab.diagnose.paper004_gap`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from theorylab.arrays import check_positive
from theorylab.errors import MemoryBudgetError
from theorylab.gpu import GGNOperator, lanczos_eigenpairs
from theorylab.spec import Figure, FigureSeries

from .model import AssumptionStatus, AssumptionVerdict, PaperDiagnosis, Quantity
from .paper004_fisher import (
    NAMED_LOSSES,
    DenseInformation,
    OutputTerms,
    condition_number,
    dense_information,
    kfac_layers,
    kfac_soft_rank,
    output_terms,
    slq_soft_rank,
    soft_rank_parts,
)
from .paper004_gap import error_uncertainty, gap_figure, gap_verdict, measured_gap, predicted_gap
from .problem import Problem, Timer

__all__ = ["CALIBRATION_K", "CALIBRATION_TOLERANCE", "PAPER", "TITLE", "calibration_verdict",
           "check_weight_decay", "diagnose_paper004", "spectrum_with_regularization"]

PAPER = "004"
TITLE = "Fisher soft rank and the generalisation gap"
CALIBRATION_K = 3.0
"""``fails`` when :math:`\\|C-F\\|_F` exceeds this many null standard errors."""
CALIBRATION_TOLERANCE = 0.5
"""``holds`` needs the test to resolve a relative deviation of this size:
:math:`k\\,s \\le 0.5\\|F\\|_F` (else ``undecided``: too few samples)."""
_TRUNCATION = 1e-3
_REFERENCE = "paper 004, Sec. 2 (soft rank), Prop. 4.1-4.2"


def check_weight_decay(weight_decay: float | None) -> float | None:
    """``None`` or a finite ``λ > 0`` (ParameterError / NonFiniteError otherwise)."""
    return None if weight_decay is None else check_positive(weight_decay, "weight_decay")


def calibration_verdict(information: DenseInformation, where: str = "") -> AssumptionVerdict:
    r"""Prop. 2.2's calibration at :math:`\hat\theta`: :math:`C = F` within sampling error.

    Under calibration :math:`\mathbb{E}\|C-F\|_F^2 = s^2` (:class:`DenseInformation`), so the
    deviation :math:`D = \|C-F\|_F` is ``fails`` above :math:`k s`
    (:data:`CALIBRATION_K`), ``holds`` below it when :math:`k s` resolves
    :data:`CALIBRATION_TOLERANCE` :math:`\|F\|_F`, else ``undecided``.
    """
    deviation = float(np.linalg.norm(information.covariance - information.fisher))
    scale = float(np.linalg.norm(information.fisher))
    null = math.sqrt(max(information.null_variance, 0.0))
    bound = CALIBRATION_K * null
    numbers = {"deviation": deviation, "null_stderr": null, "fisher_norm": scale,
               "k": CALIBRATION_K, "tolerance": CALIBRATION_TOLERANCE}
    if deviation > bound:
        status = AssumptionStatus.FAILS
        text = (f"‖C - F‖_F = {deviation:.4g} exceeds {CALIBRATION_K:g} null stderr "
                f"({bound:.3g}); ‖F‖_F = {scale:.4g}: not calibrated")
    elif bound <= CALIBRATION_TOLERANCE * scale:
        status = AssumptionStatus.HOLDS
        text = (f"‖C - F‖_F = {deviation:.4g} ≤ {CALIBRATION_K:g} null stderr ({bound:.3g}), "
                f"which resolves {CALIBRATION_TOLERANCE:g}‖F‖_F = "
                f"{CALIBRATION_TOLERANCE * scale:.3g}")
    else:
        status = AssumptionStatus.UNDECIDED
        text = (f"‖C - F‖_F = {deviation:.4g} is within {CALIBRATION_K:g} null stderr "
                f"({bound:.3g}), too wide to resolve {CALIBRATION_TOLERANCE:g}‖F‖_F: "
                "more samples needed")
    return AssumptionVerdict(name="calibrated", paper=PAPER,
                             theorem="Prop. 2.2 (C = F), Prop. 4.1-4.2", status=status,
                             evidence=f"{text} (on the {where})" if where else text,
                             numbers=numbers)


def spectrum_with_regularization(eigenvalues: np.ndarray, regularization: float) -> Figure:
    """The Fisher's eigenvalues (descending, log y) with the line λ."""
    positive = [float(v) if v > 0 else float("nan") for v in eigenvalues]
    index = list(range(1, len(positive) + 1))
    return Figure(
        title="paper 004: Fisher spectrum and λ (rank_λ counts eigenvalues above λ, softly)",
        x_label="index i", y_label="eigenvalue of F", log_y=True,
        series=[FigureSeries(label="λ_i(F)", x=index, y=positive, style="scatter"),
                FigureSeries(label=f"λ = {regularization:.3g}", x=[1.0, float(len(index))],
                             y=[regularization, regularization], style="band")])


def _timed(label: str, compute: Callable[[], object]) -> tuple[object, float]:
    """``compute()`` and its seconds, reported live as the quantity ``label``.

    ``label`` is the quantity's symbol, or its name where two quantities share the symbol
    (``rank_λ(F)``: the exact and the SLQ soft rank).
    """
    with Timer(label) as timer:
        value = compute()
    return value, timer.seconds


def _regularization(problem: Problem, weight_decay: float | None,
                    information: DenseInformation | None,
                    fisher_top: float | None) -> tuple[Quantity, float]:
    if weight_decay is not None:
        return Quantity(name="regularization", symbol="λ", value=weight_decay, stderr=0.0,
                        method="given (weight_decay=)", reference="paper 004, Sec. 2",
                        note="κ(θ) = ½λ‖θ‖² added to the mean loss, in the loss's "
                             "convention"), weight_decay
    matvecs = 0
    if information is not None:
        top = float(information.eigenvalues[0])
    elif fisher_top is not None:
        top = float(fisher_top)
    else:
        result = lanczos_eigenpairs(GGNOperator(problem.objective), 1, tolerance=1e-6,
                                    seed=problem.seed)
        top, matvecs = float(result.eigenvalues[0]), result.matvecs
    lam = _TRUNCATION * top if top > 0 else 1.0
    return Quantity(name="regularization", symbol="λ", value=lam, stderr=0.0, matvecs=matvecs,
                    method="10⁻³‖F‖₂ (no weight_decay given)",
                    reference="paper 004, Remark 5.2",
                    note=(f"no weight decay given: λ = 10⁻³ λ_max(F) = 10⁻³ x {top:.4g}; "
                          "pass weight_decay= for the paper's λ")), lam


def _calibration_quantities(information: DenseInformation, lam: float, seconds: float,
                            where: str) -> list[Quantity]:
    c, f = information.covariance, information.fisher
    parts, extra = _timed("Tr C/Tr F", lambda: soft_rank_parts(information, lam))
    cost = {"seconds": seconds + extra, "stderr": 0.0,
            "method": f"exact (dense per-sample Jacobians, float64) on the {where}"}
    scale = float(np.linalg.norm(f))
    null = math.sqrt(max(information.null_variance, 0.0))
    deviation = Quantity(
        name="calibration_deviation", symbol="‖C-F‖_F/‖F‖_F",
        value=float(np.linalg.norm(c - f)) / scale, seconds=0.0,
        method=cost["method"], reference="paper 004, Prop. 2.2",
        stderr=null / scale, note="stderr: the null (calibrated) sampling error s/‖F‖_F")
    ratio = Quantity(name="trace_ratio", symbol="Tr C/Tr F", value=parts["ratio"],
                     reference="paper 004, Eq. 6-8 (prefactor)",
                     note="on training data it tends to 0 under overfitting (Prop. 5.4)",
                     **cost)
    norm_c = float(np.linalg.norm(c))
    cosine = Quantity(name="covariance_fisher_alignment", symbol="⟨C,F⟩/‖C‖‖F‖",
                      value=float(np.sum(c * f) / (norm_c * scale)) if norm_c > 0 else None,
                      reference="paper 004, Sec. 5 (C ≈ αF, Thomas et al. 2020)",
                      note="1 iff C is proportional to F", **cost)
    tic = Quantity(
        name="regularized_tic_ratio", symbol="Tr C(F+λI)⁻¹ / (Tr C/Tr F · rank_λ F)",
        value=parts["tic"] / parts["eq8"] if parts["eq8"] > 0 else None,
        reference="paper 004, Prop. 5.1 and Eq. 8",
        note=(f"regularised TIC Tr C(F+λI)⁻¹ = {parts['tic']:.4g} over Eq. 8's "
              f"{parts['eq8']:.4g}: 1 when C ∝ F"), **cost)
    return [deviation, ratio, cosine, tic]


def _dense(problem: Problem, terms: OutputTerms, inputs: torch.Tensor, where: str,
           not_computed: list[str], label: str) -> tuple[DenseInformation | None, float]:
    try:
        return _timed(label, lambda: dense_information(problem, terms, inputs))
    except MemoryBudgetError as exc:
        not_computed.append(f"dense C and F on the {where}: {exc}")
        return None, 0.0


def _exact_rank(information: DenseInformation, lam: float, seconds: float) -> Quantity:
    parts, extra = _timed("fisher_soft_rank_exact",
                          lambda: soft_rank_parts(information, lam))
    return Quantity(name="fisher_soft_rank_exact", symbol="rank_λ(F)", value=parts["rank"],
                    stderr=0.0, seconds=seconds + extra,
                    method="exact (dense per-sample Jacobians, float64, eigh)",
                    reference=_REFERENCE,
                    note=f"Tr F(F + λI)⁻¹ with λ = {lam:.4g}, F on the training set")


def _slq_rank(problem: Problem, lam: float) -> Quantity:
    slq, seconds = _timed("fisher_soft_rank_slq", lambda: slq_soft_rank(problem, lam))
    return Quantity(
        name="fisher_soft_rank_slq", symbol="rank_λ(F)", value=slq.value, stderr=slq.stderr,
        seconds=seconds, matvecs=slq.matvecs, reference=_REFERENCE,
        method=f"SLQ on the GGN ({slq.samples} Rademacher probes x "
               f"{min(problem.level.slq_steps, problem.num_parameters)} Lanczos steps)",
        note=f"λ = {lam:.4g}; stderr over the probes")


def _kfac_rank(problem: Problem, lam: float, not_computed: list[str]) -> list[Quantity]:
    layers = kfac_layers(problem)
    if isinstance(layers, str):
        not_computed.append(f"the KFAC soft rank: {layers}")
        return []
    value, seconds = _timed("rank_λ(F_KFAC)", lambda: kfac_soft_rank(problem, lam))
    return [Quantity(
        name="fisher_soft_rank_kfac", symbol="rank_λ(F_KFAC)", value=value, stderr=0.0,
        seconds=seconds, method=f"KFAC G⊗A per linear layer ({', '.join(layers)})",
        reference="paper 004, Sec. 6 and Table 1",
        note="block diagonal over layers; Prop. 6.1: blocks do not lower the soft rank")]


def _alpha(name: str, symbol: str, alpha: tuple[float, float], note: str) -> Quantity:
    return Quantity(name=name, symbol=symbol, value=alpha[0], stderr=alpha[1],
                    method="Σ‖e_i‖² / Σ Tr Σ_i", reference="paper 004, Prop. 5.3-5.4", note=note)


def diagnose_paper004(problem: Problem, fisher_top: float | None = None,
                      weight_decay: float | None = None) -> PaperDiagnosis:
    r"""Paper 004's soft ranks, calibration check and gap (see the module doc).

    ``fisher_top`` (:math:`\lambda_{\max}` of the GGN, from the curvature stage) sets the
    default λ when the dense route does not fit; ``weight_decay`` is the paper's λ. The
    calibration check uses the held-out split when there is one (calibration is a population
    property; training residuals are fitted, Prop. 5.4), else the training set.
    """
    lam_given = check_weight_decay(weight_decay)
    if problem.loss_name not in NAMED_LOSSES:
        return PaperDiagnosis(paper=PAPER, title=TITLE, not_computed=[
            f"the loss {problem.loss_name!r} is not a named exponential-family likelihood "
            f"({', '.join(NAMED_LOSSES)}): the Fisher and the gap of paper 004 are undefined"])
    not_computed: list[str] = []
    train = output_terms(problem, problem.inputs, problem.targets)
    information, seconds = _dense(problem, train, problem.inputs, "training set", not_computed,
                                  "fisher_soft_rank_exact")
    lam_quantity, lam = _regularization(problem, lam_given, information, fisher_top)
    quantities, figures, assumptions = [lam_quantity], [], []
    exact, kappa = None, None
    if information is not None:
        exact = _exact_rank(information, lam, seconds)
        kappa, kappa_seconds = _timed("κ", lambda: condition_number(information, lam))
        quantities += [exact, Quantity(
            name="prop53_condition_number", symbol="κ", value=kappa, stderr=0.0,
            seconds=kappa_seconds, method="exact (dense Jacobians)",
            reference="paper 004, Prop. 5.3", note="cond E[J(F+λI)⁻¹Jᵀ]; 1 for one output")]
        figures.append(spectrum_with_regularization(information.eigenvalues, lam))
    held = None if problem.held_out is None else output_terms(problem, *problem.held_out)
    calibration, where = information, f"training set (n = {problem.num_samples})"
    if held is not None:
        where = f"held-out split (m = {held.losses.size})"
        calibration, seconds = _dense(problem, held, problem.held_out[0], where, not_computed,
                                      "Tr C/Tr F")
    if calibration is not None:
        quantities += _calibration_quantities(calibration, lam, seconds, where)
        assumptions.append(calibration_verdict(calibration, where))
    slq_rank = _slq_rank(problem, lam)
    quantities += [slq_rank, *_kfac_rank(problem, lam, not_computed), _alpha(
        "error_uncertainty_train", "α* (train)", error_uncertainty(train),
        "on training data; near 0 signals overfitting (Prop. 5.4)")]
    rank = exact if exact is not None else slq_rank
    calibrated_gap = rank.value / problem.num_samples
    quantities.append(Quantity(
        name="predicted_gap_calibrated", symbol="rank_λ(F)/n", value=calibrated_gap,
        stderr=(rank.stderr or 0.0) / problem.num_samples, method=rank.method,
        reference="paper 004, Prop. 4.1-4.2", note="E[Gap] if the model is calibrated"))
    if held is None:
        not_computed.append("the measured and predicted gap: no held_out split given")
    else:
        alpha_held = error_uncertainty(held)
        measured = measured_gap(train, held)
        predicted = predicted_gap(rank, alpha_held, kappa, problem.num_samples)
        quantities += [_alpha("error_uncertainty_held_out", "α* (held-out)", alpha_held,
                              "the prefactor of the gap prediction"), measured, predicted]
        assumptions.append(gap_verdict(measured, predicted))
        figures.insert(0, gap_figure(measured, predicted, calibrated_gap))
    return PaperDiagnosis(paper=PAPER, title=TITLE, quantities=quantities,
                          assumptions=assumptions, figures=figures, not_computed=not_computed)
