r"""Paper 001 at the user's point: per-sample Hessians and the noise-curvature alignment α.

On a parameter subset :math:`W` (the selection itself when its dense per-sample Hessians fit,
else its last ``weight`` tensor, as in the paper's experiments: one fully connected layer):

* the per-sample Hessians :math:`H_s = \nabla^2_W\ell_s` (:func:`theorylab.gpu.per_sample_hessians`)
  and the fraction of them that are PSD — Theorem 5.1's assumption
  (:func:`theorylab.solvers.awd.per_sample_psd_report`, round-off margin
  :math:`64p\epsilon\max|H_s|`);
* the exponent :math:`\alpha` of :math:`C_{ii}\propto H_{ii}^\alpha` in the eigenbasis of
  :math:`H = \mathbb{E}_sH_s` (Sec. 4, Eq. 16-18) for the measured minibatch noise
  :math:`C = \frac1B[\mathbb{E}g_sg_s^\top-\bar g\bar g^\top]` (Eq. 2) and for the AWD
  covariance :math:`\frac1B\mathbb{E}_sH_s^2` (Theorem 3.4), with the sharp window bound
  Eq. 19 implies for the OLS slope (:func:`theorylab.solvers.awd.window_slope_bounds`).
"""

from __future__ import annotations

import numpy as np
import torch

from theorylab.errors import ParameterError
from theorylab.gpu import per_sample_hessians
from theorylab.gpu.memory import check_memory
from theorylab.solvers.awd import (
    EigenbasisDiagonals,
    PowerLawFit,
    as_per_sample_hessians,
    awd_noise_covariance,
    eigenbasis_diagonals,
    empirical_noise_covariance,
    fit_power_law,
    per_sample_psd_report,
)
from theorylab.spec import Figure

from .figures import alpha_figure
from .model import AssumptionStatus, AssumptionVerdict, PaperDiagnosis, Quantity
from .problem import Problem, Timer

__all__ = ["PAPER", "TITLE", "alpha_fit", "diagnose_paper001", "hessian_layer", "psd_verdict"]

PAPER = "001"
TITLE = "SGD noise and curvature through activity-weight duality"
_DENSE_LAYER_MAX = 512
"""Largest selection whose per-sample Hessians are formed whole; else its last weight."""


def hessian_layer(problem: Problem) -> list[str]:
    """Names of the parameters the per-sample Hessians are taken over (see module doc)."""
    names = list(problem.functional.names)
    if problem.num_parameters <= _DENSE_LAYER_MAX:
        return names
    weights = [n for n in names if n.endswith("weight")]
    return [weights[-1] if weights else names[-1]]


def _sample_rows(problem: Problem) -> torch.Tensor:
    count = min(problem.num_samples, problem.level.hessian_samples)
    if count == problem.num_samples:
        return torch.arange(count)
    generator = torch.Generator().manual_seed(problem.seed)
    return torch.randperm(problem.num_samples, generator=generator)[:count].sort().values


def _per_sample_gradients(problem: Problem, rows: torch.Tensor, layer: list[str]) -> np.ndarray:
    objective = problem.sub_objective(rows, parameters=layer)
    functional, loss = objective.functional, objective.loss

    def sample_loss(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return loss.per_sample(functional.outputs(theta, x.unsqueeze(0)), y.unsqueeze(0))[0]

    inputs, targets = objective.batches[0]
    with functional.evaluating():
        gradients = torch.func.vmap(torch.func.grad(sample_loss), in_dims=(None, 0, 0))(
            functional.theta, inputs, targets)
    return gradients.detach().cpu().to(torch.float64).numpy()


def psd_verdict(report: object, checked: int, total: int) -> AssumptionVerdict:
    """Theorem 5.1's assumption from a :class:`~theorylab.solvers.awd.PSDReport`."""
    numbers = {"checked": float(checked), "samples": float(total),
               "not_psd": float(report.not_psd), "most_negative": report.most_negative,
               "tolerance": report.tolerance}
    if report.not_psd:
        status = AssumptionStatus.FAILS
        text = (f"{report.not_psd} of {checked} per-sample Hessians have an eigenvalue below "
                f"-{report.tolerance:.2g} (most negative {report.most_negative:.3g})")
    elif checked == total:
        status = AssumptionStatus.HOLDS
        text = (f"all {total} per-sample Hessians are PSD (smallest eigenvalue "
                f"{report.most_negative:.3g} ≥ -{report.tolerance:.2g}, the round-off margin)")
    else:
        status = AssumptionStatus.UNDECIDED
        text = (f"the {checked} per-sample Hessians checked (of {total}) are PSD; the other "
                f"{total - checked} were not formed (raise level= or memory_budget=)")
    return AssumptionVerdict(name="per_sample_hessians_psd", paper=PAPER, theorem="Theorem 5.1",
                             status=status, evidence=text, numbers=numbers)


def alpha_fit(hessians: np.ndarray, covariance: np.ndarray, lambda_max: float) -> tuple[
        PowerLawFit, EigenbasisDiagonals]:
    r"""``(fit, diagonals)``: OLS :math:`\alpha` on the top window.

    The window is the directions with :math:`H_{ii}\ge10^{-6}H_{\max}`, at most :math:`p/2`
    of them (as in ``awd.empirical_alpha``).
    """
    hessian = hessians.mean(axis=0)
    diagonals = eigenbasis_diagonals(hessian, covariance)
    size = hessian.shape[0]
    top = max(2, min(max(size // 2, 2), int(np.count_nonzero(
        diagonals.h_diag >= 1e-6 * diagonals.h_diag[0]))))
    fit = fit_power_law(diagonals.h_diag, diagonals.c_diag, top=top,
                        lambda_max=lambda_max if lambda_max > 0 else None,
                        drop_nonpositive=True)
    return fit, diagonals


def _alpha_quantity(name: str, symbol: str, compute: object, reference: str) -> tuple[
        Quantity, Figure | None]:
    with Timer(symbol) as timer:
        try:
            fit, diagonals = compute()
        except ParameterError as exc:
            return Quantity(name=name, symbol=symbol, reference=reference,
                            note=f"not computed: {exc}"), None
    bounds = fit.implied_bounds
    inside = "" if bounds is None else (
        f"; sharp window bound [{bounds[0]:.3g}, {bounds[1]:.3g}] (Eq. 19): α is "
        + ("inside" if bounds[0] <= fit.alpha <= bounds[1] else "OUTSIDE"))
    figure = alpha_figure(diagonals.h_diag, diagonals.c_diag, fit.alpha, fit.intercept,
                          fit.window)
    return Quantity(
        name=name, symbol=symbol, value=fit.alpha, stderr=fit.stderr,
        values=None if bounds is None else [bounds[0], bounds[1]], seconds=timer.seconds,
        method="OLS of ln C_ii on ln H_ii", reference=reference,
        note=(f"values = the window bound; 95% CI [{fit.ci[0]:.3g}, {fit.ci[1]:.3g}], "
              f"{fit.points} directions, H_ii in [{fit.window[0]:.3g}, {fit.window[1]:.3g}]"
              + inside)), figure


def diagnose_paper001(problem: Problem) -> PaperDiagnosis:
    """Paper 001's PSD fraction, α (measured and AWD) and Theorem 5.1's assumption."""
    layer = hessian_layer(problem)
    rows = _sample_rows(problem)
    objective = problem.sub_objective(rows, parameters=layer)
    size, itemsize = objective.functional.num_parameters, objective.theta.element_size()
    check_memory(rows.numel() * size * size * (itemsize + 8),
                 f"per-sample Hessians ({rows.numel()}, {size}, {size}) and their float64 copy",
                 problem.memory_budget)
    with Timer("frac(H_s ⪰ 0)") as timer:
        # symmetrised once: the AWD solvers below then validate it without another copy
        hessians = as_per_sample_hessians(per_sample_hessians(
            problem.model, problem.inputs[rows], problem.targets[rows], loss=objective.loss,
            parameters=layer, device=problem.device, dtype=problem.dtype,
            memory_budget=problem.memory_budget).cpu().to(torch.float64).numpy())
        report = per_sample_psd_report(hessians)
    psd = Quantity(
        name="psd_fraction", symbol="frac(H_s ⪰ 0)",
        value=1.0 - report.not_psd / report.samples, stderr=0.0, seconds=timer.seconds,
        method="dense per-sample Hessians, eigvalsh", reference="paper 001, Theorem 5.1",
        note=(f"over {report.samples} samples, parameters {', '.join(layer)} (p = {size}); "
              f"most negative eigenvalue {report.most_negative:.3g}"))
    gradients = _per_sample_gradients(problem, rows, layer)
    batch = problem.batch_size
    measured, figure = _alpha_quantity(
        "alpha_measured", "α (Eq. 2 noise)",
        lambda: alpha_fit(hessians, empirical_noise_covariance(gradients, batch),
                          report.lambda_max),
        "paper 001, Sec. 4, Eq. 16-18")
    awd, _ = _alpha_quantity(
        "alpha_awd", "α (AWD, E H_s²/B)",
        lambda: alpha_fit(hessians, awd_noise_covariance(hessians, 1.0, batch),
                          report.lambda_max),
        "paper 001, Theorem 3.4 and Theorem 5.1 (2)")
    return PaperDiagnosis(
        paper=PAPER, title=TITLE, quantities=[psd, measured, awd],
        assumptions=[psd_verdict(report, int(rows.numel()), problem.num_samples)],
        figures=[] if figure is None else [figure],
        not_computed=["the AWD partner-shift prediction (Lemma 3.3) and the coupling ρ: not "
                      "computed in this version"])
