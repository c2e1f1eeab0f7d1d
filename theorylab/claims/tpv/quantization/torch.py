r"""Torch check of ``tpv.quantization`` (paper 000, Remark 3.4, Eq. 12) on a real MLP.

Zero training loss is exact: the labels are the MLP's outputs at its own parameters
:math:`w^*`. :math:`\mathrm{Tr}\nabla^2L(w^*)` comes from the dense Hessian of the loss
(``torch.func.hessian``), independently of the Jacobian. The measured TPV is the mean of
:math:`(f_i(w^* + \delta w) - f_i(w^*))^2` over training inputs and antithetic pairs of
:math:`\delta w\sim\mathrm{Unif}(-\delta/2,\delta/2)^p`; its relative error against
:math:`\frac{\delta^2}{12}\mathrm{Tr}\nabla^2L` must follow the :math:`O(\delta^2)` law up to
the Monte Carlo standard error (the linear part is z-tested; the non-linear remainder is
measured with the same draws, so their noise cancels). Rounding :math:`w^*` to a grid of
width :math:`\delta`
(deterministic quantization) is reported alongside.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from theorylab.claims.tpv.models import tanh_mlp
from theorylab.figures import figure
from theorylab.findings import judged
from theorylab.registry import CheckContext
from theorylab.solvers.lyapunov import quantization_tpv
from theorylab.spec import Finding, Verdict

__all__ = ["quantization_experiment"]

Z_LIMIT = 4.0


def quantization_experiment(context: CheckContext) -> Finding:
    """Run the experiment at the context's level (float64, context device)."""
    started = time.perf_counter()
    width, n, draws = (32, 256, 4000) if context.full else (12, 48, 1000)
    input_dim = 5
    device, generator, _, theta, forward, inputs = tanh_mlp(context, width, n, input_dim)
    with torch.no_grad():
        targets = forward(theta, inputs)

    def loss(flat: torch.Tensor) -> torch.Tensor:
        return 0.5 * torch.mean((forward(flat, inputs) - targets) ** 2)

    hessian_trace = float(torch.trace(torch.func.hessian(loss)(theta)))
    jacobian = torch.func.jacrev(forward)(theta, inputs)
    effective_trace = float(torch.sum(jacobian**2)) / n
    batched_forward = torch.func.vmap(forward, in_dims=(0, None))
    uniform = torch.rand(draws, theta.numel(), generator=generator, dtype=torch.float64) - 0.5
    uniform = uniform.to(device)
    steps = np.logspace(-3, -0.5, 6)
    linear_unit = torch.mean((uniform @ jacobian.T) ** 2, dim=1).cpu().numpy()  # (1/n)|J u|^2
    errors, linear_z, rounding = [], [], []
    for step in steps:
        with torch.no_grad():
            plus = torch.mean((batched_forward(theta + step * uniform, inputs) - targets) ** 2, 1)
            minus = torch.mean((batched_forward(theta - step * uniform, inputs) - targets) ** 2, 1)
            paired = (0.5 * (plus + minus)).cpu().numpy()
            rounded = torch.round(theta / step) * step
            rounding.append(float(torch.mean((forward(rounded, inputs) - targets) ** 2)))
        predicted = quantization_tpv(hessian_trace, step)
        linear = step**2 * linear_unit  # same draws: the Monte Carlo noise of the linear part
        errors.append(abs(float(np.mean(paired - linear))) / predicted)  # cancels here
        linear_z.append((float(np.mean(linear)) - predicted)
                        / (float(np.std(linear, ddof=1)) / np.sqrt(draws)))
    slope = float(np.polyfit(np.log(steps[:4]), np.log(errors[:4]), 1)[0])
    law_ok = abs(slope - 2.0) <= 0.25
    z_small = max(abs(z) for z in linear_z)
    trace_gap = abs(hessian_trace - effective_trace) / effective_trace
    holds = z_small <= Z_LIMIT and law_ok and trace_gap <= 1e-10
    return judged(
        holds,
        supported=Verdict.HOLDS_APPROX,
        summary=(
            f"MLP p = {theta.numel()} at zero loss: Tr∇²L = {hessian_trace:.4g} (= Tr H_eff to "
            f"{trace_gap:.0e}); linear part vs (δ²/12)Tr∇²L max |z| {z_small:.2f}; "
            f"linearisation error {errors[0]:.1e} at δ = 1e-3, slope {slope:.2f} in δ (law 2)"
        ),
        lhs=quantization_tpv(hessian_trace, steps[0]),
        residual=errors[0],
        bound=Z_LIMIT,
        error_law="relative error = c delta^2 (linearisation; antithetic pairs, control variate)",
        sizes={"n": n, "parameters": int(theta.numel()), "draws": 2 * draws},
        device=str(device),
        backend="torch",
        instances=2 * draws * len(steps),
        figure=figure(
            "Remark 3.4 on an MLP: relative error of (δ²/12) Tr ∇²L vs δ", "δ", "relative error",
            steps,
            [
                ("uniform perturbations (nonlinear part)", errors, "scatter"),
                ("δ² law", errors[0] * (steps / steps[0]) ** 2),
            ],
            log_x=True, log_y=True,
        ),
        details={
            "slope": slope, "errors": errors, "linear_z": linear_z, "hessian_trace": hessian_trace,
            "rounding_tpv_over_prediction": [
                r / quantization_tpv(hessian_trace, s) for r, s in zip(rounding, steps,
                                                                       strict=True)],
            "wall_seconds": time.perf_counter() - started,
        },
    )
