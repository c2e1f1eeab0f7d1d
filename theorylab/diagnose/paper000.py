r"""Paper 000 at the user's point: the label-noise TPV and the stationarity premise.

* **Label-noise TPV, Gram route** (Theorem 3.2 / App. C.3.2, Eq. 39 in kernel form): for
  labels perturbed by i.i.d. noise of standard deviation :math:`\sigma`, the min-norm
  linearised refit moves the outputs by :math:`K_{te,tr}K^+\varepsilon` with
  :math:`K = JJ^\top` (exact, :func:`theorylab.gpu.ntk_gram`), so
  :math:`\mathrm{TPV}_{te} = \frac{\sigma^2}{n_{te}}\|K_{te,tr}K^+\|_F^2` and
  :math:`\mathrm{TPV}_{tr} = \sigma^2\,\mathrm{rank}(K)/n`
  (:func:`theorylab.solvers.linear_label_noise.gram_label_noise_tpv`). With :math:`K` outputs
  per sample the solver normalises by the :math:`nK` kernel rows; the TPV of paper 000 sums
  the outputs (:math:`H_{\rm eff} = J^\top J/n`), so its values are multiplied by :math:`K`.
* **Premise: near a stationary point of SGD.** The TPV analysis linearises around a point where
  SGD fluctuates rather than drifts. The drift of one step is :math:`\eta\nabla L`, the noise
  :math:`\eta\,\xi` with :math:`\mathbb{E}\|\xi\|^2 = \operatorname{Tr}\Sigma/B` (per-sample
  gradient covariance, batches drawn with replacement; paper 000, Eq. 2); the premise holds
  when :math:`s = \|\nabla L\|^2 B/\operatorname{Tr}\Sigma \le 1` (noise dominates), or when
  :math:`\nabla L` vanishes to working precision.
* The SGD noise covariance's approximations and the Gauss-Newton split
  (:mod:`~theorylab.diagnose.paper000_noise`, App. D.1-D.2), the SGD TPV for the given
  :math:`\eta, B` by the paper's Eq. 74 and by the exact Lyapunov solution
  (:mod:`~theorylab.diagnose.paper000_lyapunov`, App. D.3), and the linearisation premises
  under a short retrain (:mod:`~theorylab.diagnose.paper000_retrain`).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from theorylab.gpu import GradientCovarianceOperator, exact_trace, ntk_gram
from theorylab.gpu.memory import check_memory
from theorylab.solvers.linear_label_noise import gram_label_noise_tpv
from theorylab.spec import Figure

from .figures import spectrum_figure
from .model import AssumptionStatus, AssumptionVerdict, PaperDiagnosis, Quantity
from .paper000_lyapunov import lyapunov_quantities
from .paper000_noise import gauss_newton_split, loss_derivatives, noise_terms
from .paper000_retrain import retrain_diagnosis
from .problem import Problem, Timer

__all__ = ["PAPER", "TITLE", "diagnose_paper000", "gradient_roundoff", "stationarity"]

PAPER = "000"
TITLE = "Trace of the parameter variance (TPV) of SGD: label noise and curvature"
_ROUNDOFF_FACTOR = 8.0


def _gram(problem: Problem) -> tuple[np.ndarray, float]:
    """The float64 NTK Gram of the training inputs, then the held-out ones, and its seconds."""
    train = problem.inputs
    every = train if problem.held_out is None else torch.cat([train, problem.held_out[0]])
    with Timer("TPV_tr") as timer:
        gram = ntk_gram(problem.model, every, parameters=problem.parameters,
                        device=problem.device, dtype=torch.float64,
                        memory_budget=problem.memory_budget).cpu().numpy()
    return gram, timer.seconds


def _label_noise_tpv(problem: Problem, gram: np.ndarray,
                     gram_seconds: float) -> tuple[list[Quantity], Figure]:
    train = problem.inputs
    test = problem.held_out[0] if problem.held_out is not None else None
    with Timer("TPV_tr") as timer:
        rows = train.shape[0] * problem.num_outputs
        # without held-out data the train rows stand in as the (unused) cross-Gram
        cross = gram[rows:, :rows] if test is not None else gram[:rows, :rows]
        result = gram_label_noise_tpv(gram[:rows, :rows], cross, problem.label_noise_std)
    scale = problem.num_outputs
    common = {"method": "exact (NTK Gram eigendecomposition, float64)",
              "reference": "paper 000, Theorem 3.2 / App. C.3.2, Eq. 39",
              "seconds": gram_seconds + timer.seconds, "stderr": 0.0}
    quantities = [Quantity(
        name="label_noise_tpv_train", symbol="TPV_tr", value=scale * result.train,
        note=(f"σ = {problem.label_noise_std:g}; rank(K) = {result.rank} of {rows} rows, "
              f"condition number {result.condition_number:.3g}"), **common)]
    if test is None:
        quantities.append(Quantity(
            name="label_noise_tpv_test", symbol="TPV_te",
            note="not computed: pass held_out=(inputs, targets) for the test-point TPV"))
    else:
        quantities.append(Quantity(name="label_noise_tpv_test", symbol="TPV_te",
                                   value=scale * result.test,
                                   note=f"σ = {problem.label_noise_std:g}; "
                                        f"{test.shape[0]} held-out samples", **common))
    figure = spectrum_figure(
        f"paper 000: spectrum of the NTK Gram K = JJᵀ (rank {result.rank}, "
        f"TPV_tr = σ² rank K / n)", {"eigenvalues of K": result.gram_eigenvalues.tolist()},
        "eigenvalue")
    return quantities, figure


def gradient_roundoff(problem: Problem, effective_trace: float) -> float:
    r"""Working-precision size of :math:`\|\nabla L\|` at an exact stationary point.

    Each loss derivative :math:`\partial\ell_i/\partial f` carries a rounding error of about
    :math:`\epsilon\,s` with :math:`s = \max(\max|f|, \max|y|, 1)`; pulled back through
    :math:`J^\top/n` it has norm at most :math:`\epsilon s\sqrt{K\operatorname{Tr}H_{\rm eff}}`,
    and the :math:`p`-entry accumulations add a :math:`\sqrt p`; the margin is 8 times that.
    """
    with torch.no_grad():
        outputs = problem.objective.outputs(problem.functional.theta)
    scale = max(float(outputs.abs().max()), 1.0)
    if problem.targets.is_floating_point():
        scale = max(scale, float(problem.targets.abs().max()))
    epsilon = torch.finfo(problem.dtype).eps
    return (_ROUNDOFF_FACTOR * epsilon * scale * math.sqrt(problem.num_parameters)
            * math.sqrt(problem.num_outputs * max(effective_trace, 0.0)))


def stationarity(problem: Problem, effective_trace: float) -> tuple[list[Quantity],
                                                                     AssumptionVerdict]:
    """Gradient norm, gradient-noise trace and the verdict 'near a stationary point of SGD'."""
    with Timer("‖∇L‖") as timer:
        gradient = torch.func.grad(problem.objective)(problem.functional.theta)
        gradient_norm = float(torch.linalg.vector_norm(gradient))
    chunk = max(x.shape[0] for x, _ in problem.objective.batches)
    check_memory(chunk * problem.num_parameters * problem.functional.theta.element_size(),
                 f"per-sample gradients ({chunk}, {problem.num_parameters})",
                 problem.memory_budget)
    with Timer("Tr Σ/B") as noise_timer:
        covariance = GradientCovarianceOperator(problem.objective,
                                                batch_size=problem.batch_size)
        noise = exact_trace(covariance).value
    tolerance = gradient_roundoff(problem, effective_trace)
    ratio = gradient_norm**2 / noise if noise > 0 else math.inf
    numbers = {"gradient_norm": gradient_norm, "noise_trace_over_B": noise,
               "drift_to_noise": ratio, "roundoff": tolerance}
    if gradient_norm <= tolerance:
        status, text = AssumptionStatus.HOLDS, (
            f"‖∇L‖ = {gradient_norm:.3g} is at working precision (≤ {tolerance:.3g}): an exact "
            "stationary point")
    elif ratio <= 1.0:
        status, text = AssumptionStatus.HOLDS, (
            f"‖∇L‖² = {gradient_norm**2:.3g} ≤ Tr Σ/B = {noise:.3g} (drift/noise "
            f"{ratio:.3g}): SGD at batch size {problem.batch_size} fluctuates more than it drifts")
    else:
        status, text = AssumptionStatus.FAILS, (
            f"‖∇L‖² = {gradient_norm**2:.3g} > Tr Σ/B = {noise:.3g} (drift/noise {ratio:.3g}): "
            "SGD still drifts; the TPV is that of a point SGD is leaving")
    verdict = AssumptionVerdict(
        name="near_stationary_point", paper=PAPER, theorem="Sec. 3 (linearisation at a minimum)",
        status=status, evidence=text, numbers=numbers)
    quantities = [
        Quantity(name="gradient_norm", symbol="‖∇L‖", value=gradient_norm, stderr=0.0,
                 seconds=timer.seconds, method="exact (autograd)",
                 reference="premise of paper 000, Sec. 3"),
        Quantity(name="gradient_noise_trace", symbol="Tr Σ/B", value=noise, stderr=0.0,
                 seconds=noise_timer.seconds, method="exact (per-sample gradients)",
                 reference="paper 000, Eq. 2 (minibatch with replacement)",
                 note=f"B = {problem.batch_size}"),
    ]
    return quantities, verdict


def diagnose_paper000(problem: Problem, effective_trace: float,
                      hessian_trace: Quantity | None = None) -> PaperDiagnosis:
    """Paper 000's quantities and premises at the user's point.

    ``hessian_trace`` is the curvature stage's Tr ∇²L (``None`` or valueless when skipped:
    Eq. 74 and the Gauss-Newton residual are then reported as not computed).
    """
    quantities, verdict = stationarity(problem, effective_trace)
    by_name = {quantity.name: quantity for quantity in quantities}
    gram, gram_seconds = _gram(problem)
    tpv, figure = _label_noise_tpv(problem, gram, gram_seconds)
    derivatives, output_hessians = loss_derivatives(problem)
    noise = noise_terms(problem, effective_trace, by_name["gradient_norm"].value,
                        by_name["gradient_noise_trace"].value, derivatives)
    split, split_verdict = gauss_newton_split(problem, hessian_trace)
    rows = problem.num_samples * problem.num_outputs
    lyapunov = lyapunov_quantities(
        problem, gram[:rows, :rows], derivatives.cpu().double().numpy(),
        output_hessians.cpu().double().numpy(), by_name["gradient_noise_trace"].value,
        noise[0].value, hessian_trace, gram_seconds)
    retrain, retrain_verdicts, movement = retrain_diagnosis(problem)
    return PaperDiagnosis(
        paper=PAPER, title=TITLE, quantities=tpv + quantities + noise + split + lyapunov + retrain,
        assumptions=[verdict, split_verdict, *retrain_verdicts], figures=[figure, movement],
        not_computed=[
            "the multiplicative-noise stationary covariance (theorylab.solvers.lyapunov."
            "linearised_sgd_stationary, needs a minimiser and (rank J)^4 memory): not computed "
            "in this version",
        ])
