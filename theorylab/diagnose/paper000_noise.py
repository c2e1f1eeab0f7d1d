r"""Paper 000 at the user's point: the SGD noise covariance and the Gauss-Newton split.

With per-sample loss gradients :math:`g_i = J_i^\top r_i`, :math:`r_i = \partial\ell_i/\partial
f \in \mathbb{R}^K` (the residual :math:`\varepsilon_i` for ``"mse"``, paper 000 App. D.1):

* **Noise covariance** (App. D.1, Eq. 45-46): :math:`\Sigma_\xi = \frac1B\Sigma_{\rm sample}`
  for :math:`B` draws with replacement; its exact trace is ``gradient_noise_trace``
  (:func:`theorylab.diagnose.paper000.stationarity`). Here its two approximations, each as a
  ratio to the exact trace: Eq. 47 drops the :math:`1/n^2` term, so its trace is exactly
  :math:`(\operatorname{Tr}\Sigma_{\rm sample} + \|\nabla L\|^2)/B`; Eq. 54 replaces the
  squared residuals by their mean,
  :math:`\operatorname{Tr}\Sigma_\xi \approx \sigma_\varepsilon^2\operatorname{Tr}H_{\rm eff}/B`
  with :math:`\sigma_\varepsilon^2 = \frac1{nK}\sum_i\|r_i\|^2` (per output, so that
  :math:`\operatorname{Tr}H_{\rm eff}` sums the :math:`K` outputs).
* **Gauss-Newton split** (App. D.2, Eq. 55-57): :math:`\nabla^2L = G + R`,
  :math:`G = \frac1n\sum_iJ_i^\top\Lambda_iJ_i` (:math:`\Lambda_i = \partial^2\ell_i/\partial
  f^2`; :math:`G = H_{\rm eff}` for ``"mse"``, Eq. 56), its trace exact from per-sample
  Jacobians; :math:`\operatorname{Tr}R = \operatorname{Tr}\nabla^2L - \operatorname{Tr}G`
  carries the standard error of :math:`\operatorname{Tr}\nabla^2L` (0 when exact).
* **Premise Eq. 59**, :math:`H_{\rm eff}\approx\nabla^2L` (for ``"mse"``; :math:`G\approx
  \nabla^2L` for other losses, where :math:`G` replaces :math:`H_{\rm eff}` as the Hessian of
  the linearised model), judged on traces (what Eq. 74 uses): the relative gap
  :math:`|\operatorname{Tr}R|/\operatorname{Tr}G` against :data:`APPROXIMATION_TOLERANCE`,
  with a margin of two standard errors of the Hessian trace.
"""

from __future__ import annotations

import math

import torch

from theorylab.gpu import GGNOperator, exact_trace

from .model import AssumptionStatus, AssumptionVerdict, Quantity
from .problem import Problem, Timer

__all__ = ["APPROXIMATION_TOLERANCE", "gauss_newton_split", "loss_derivatives", "noise_terms"]

APPROXIMATION_TOLERANCE = 0.1
"""Relative error up to which a first-order approximation of paper 000 is said to hold.

A convention of this diagnosis, not a number from the paper (Eq. 58 says only '≪'): every
formula of paper 000 is linear in the curvature it uses, so a 10% error in that curvature is
a 10% error in the predicted TPV."""
_STDERRS = 2.0


def loss_derivatives(problem: Problem) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Loss derivatives in output space at the user's point.

    Returns :math:`r_i = \partial\ell_i/\partial f` ``(n, K)`` and
    :math:`\Lambda_i = \partial^2\ell_i/\partial f^2` ``(n, K, K)``.
    """
    loss = problem.objective.loss
    with torch.no_grad():
        outputs = problem.objective.outputs(problem.functional.theta)

    def one(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return loss.per_sample(output.unsqueeze(0), target.unsqueeze(0))[0]

    gradient = torch.func.vmap(torch.func.grad(one))(outputs, problem.targets)
    hessian = torch.func.vmap(torch.func.hessian(one))(outputs, problem.targets)
    return gradient.detach(), hessian.detach()


def noise_terms(problem: Problem, effective_trace: float, gradient_norm: float,
                noise_trace: float, residuals: torch.Tensor) -> list[Quantity]:
    """Eq. 47 and Eq. 54 traces of the SGD noise covariance, each with its ratio to the exact."""
    batch = problem.batch_size
    variance = float(residuals.square().mean())
    eq47 = noise_trace + gradient_norm**2 / batch
    eq54 = variance * effective_trace / batch
    common = {"stderr": 0.0, "method": "exact (from per-sample gradients and residuals)"}
    return [
        Quantity(name="residual_variance", symbol="σ_ε²", value=variance,
                 reference="paper 000, Eq. 51-52 (mean squared residual)",
                 note="(1/nK) Σ‖∂ℓ_i/∂f‖² at the point (= the squared residuals for mse)",
                 **common),
        Quantity(name="noise_trace_eq47", symbol="Tr Σ_ξ (Eq. 47)", value=eq47,
                 reference="paper 000, Eq. 47-48 (drops the 1/n² term)",
                 note=_ratio_note(eq47, noise_trace), **common),
        Quantity(name="noise_trace_eq54", symbol="σ_ε² Tr H_eff / B", value=eq54,
                 reference="paper 000, Eq. 54", note=_ratio_note(eq54, noise_trace), **common),
    ]


def _ratio_note(approximation: float, exact: float) -> str:
    ratio = approximation / exact if exact > 0 else math.inf
    return f"ratio to the exact Tr Σ_ξ = {exact:.4g}: {ratio:.4g}"


def gauss_newton_split(problem: Problem,
                       hessian_trace: Quantity | None) -> tuple[list[Quantity],
                                                                AssumptionVerdict]:
    """Tr G, Tr R = Tr ∇²L − Tr G, their ratio, and the Eq. 59 verdict H_eff ≈ ∇²L."""
    with Timer("Tr G") as timer:
        ggn = exact_trace(GGNOperator(problem.objective),
                          memory_budget=problem.memory_budget)
    quantities = [Quantity(
        name="ggn_trace", symbol="Tr G", value=ggn.value, stderr=0.0, seconds=timer.seconds,
        method="exact (per-sample Jacobians)", reference="paper 000, Eq. 55-56",
        note="G = (1/n) Σ J_iᵀ Λ_i J_i; equals H_eff for mse")]
    theorem = "App. D.2, Eq. 58-59"
    if hessian_trace is None or hessian_trace.value is None:
        quantities.append(Quantity(name="hessian_residual_trace", symbol="Tr R",
                                   note="not computed: Tr ∇²L was skipped"))
        return quantities, AssumptionVerdict(
            name="hessian_is_gauss_newton", paper="000", theorem=theorem,
            status=AssumptionStatus.UNDECIDED, evidence="Tr ∇²L was not computed (skipped)")
    total, stderr = hessian_trace.value, hessian_trace.stderr or 0.0
    remainder = total - ggn.value
    ratio = remainder / ggn.value if ggn.value > 0 else math.inf
    quantities += [
        Quantity(name="hessian_residual_trace", symbol="Tr R", value=remainder, stderr=stderr,
                 seconds=hessian_trace.seconds, matvecs=hessian_trace.matvecs,
                 method=f"Tr ∇²L ({hessian_trace.method}) − Tr G (exact)",
                 reference="paper 000, Eq. 56-57, R = (1/n) Σ ε_i ∇²f_i",
                 note=f"Tr R / Tr G = {ratio:.4g}"),
        Quantity(name="gauss_newton_ratio", symbol="Tr R / Tr G", value=ratio,
                 stderr=stderr / ggn.value if ggn.value > 0 else math.inf,
                 method="ratio of the two traces", reference="paper 000, Eq. 58"),
    ]
    return quantities, _eq59_verdict(total, stderr, ggn.value, theorem)


def _eq59_verdict(total: float, stderr: float, ggn_trace: float,
                  theorem: str) -> AssumptionVerdict:
    numbers = {"hessian_trace": total, "hessian_trace_stderr": stderr, "ggn_trace": ggn_trace,
               "tolerance": APPROXIMATION_TOLERANCE}
    if ggn_trace <= 0:
        return AssumptionVerdict(
            name="hessian_is_gauss_newton", paper="000", theorem=theorem,
            status=AssumptionStatus.UNDECIDED, numbers=numbers,
            evidence="Tr G = 0: no Gauss-Newton curvature to compare ∇²L with")
    gap = abs(total - ggn_trace) / ggn_trace
    margin = _STDERRS * stderr / ggn_trace
    numbers |= {"relative_gap": gap, "margin": margin}
    text = (f"|Tr R| / Tr G = |Tr ∇²L − Tr G| / Tr G = {gap:.3g} (± {margin:.2g}, "
            f"{_STDERRS:g} stderr) against {APPROXIMATION_TOLERANCE:g}")
    if gap + margin <= APPROXIMATION_TOLERANCE:
        status, text = AssumptionStatus.HOLDS, text + (
            ": G (= H_eff for mse) stands in for ∇²L (Eq. 59)")
    elif gap - margin > APPROXIMATION_TOLERANCE:
        status, text = AssumptionStatus.FAILS, text + (
            ": the residual term R (Eq. 57) is not small; Eq. 74's Tr ∇²L is not Tr G")
    else:
        status, text = AssumptionStatus.UNDECIDED, text + ": within the Hessian trace's error"
    return AssumptionVerdict(name="hessian_is_gauss_newton", paper="000", theorem=theorem,
                             status=status, evidence=text, numbers=numbers)
