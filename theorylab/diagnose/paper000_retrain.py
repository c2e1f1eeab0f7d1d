r"""Paper 000's linearisation premises, tested by a short SGD retrain from the user's point.

The TPV analysis (Sec. 3, App. C.1 Eq. 27, App. D.3 Eq. 62-64) replaces the network by its
linearisation :math:`f_0 + J_0\,\delta w` around the point. A short retrain checks it:
``level.retrain_steps`` SGD steps :math:`\theta_{t+1} = \theta_t - \eta\,g_{B_t}(\theta_t)`
with the user's :math:`\eta` and :math:`B` (indices drawn with replacement, Eq. 2, seeded by
``seed``) run on a *copy* of the flat parameter vector through
:func:`torch.func.functional_call`; the module's weights are never written. At
:data:`CHECKPOINTS` + 1 evenly spaced steps it records

* **NTK / Jacobian movement** on ``level.retrain_samples`` training samples (a seeded subset):
  :math:`\|K_t - K_0\|_F/\|K_0\|_F` with :math:`K = J_SJ_S^\top`, and
  :math:`\|J_t - J_0\|_F/\|J_0\|_F` — the relative-Frobenius measure of Lee et al. (2019,
  "Wide neural networks of any depth evolve as linear models under gradient descent",
  Fig. 1) and Chizat, Oyallon & Bach (2019, "lazy training");
* **first-order validity**: the loss of the linearised network at the retrained weights,
  :math:`L_{\rm lin}(\theta_t) = \frac1n\sum_i\ell(f_i(\theta_0) + J_i(\theta_0)
  (\theta_t-\theta_0), y_i)`, against the measured :math:`L(\theta_t)`; the change
  :math:`L_{\rm lin}(\theta_t) - L(\theta_0)` is the first-order (in the function) prediction
  of :math:`L(\theta_t) - L(\theta_0)`.

Verdicts compare the larger of the two relative movements, and the relative error of the
predicted loss change, with
:data:`~theorylab.diagnose.paper000_noise.APPROXIMATION_TOLERANCE` (10%): the TPV formulae
are linear in :math:`K` (:math:`\operatorname{Tr}H_{\rm eff} = \operatorname{Tr}K/n`), so a
relative change :math:`\delta` of :math:`K` over the horizon moves them by up to
:math:`\delta`. A loss change below the round-off of the loss sum
(:math:`8n\epsilon\max(L_0, L_T)`) leaves the second verdict undecided.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch

from theorylab.gpu.jacobian import jacobian_chunks
from theorylab.gpu.memory import DEFAULT_MEMORY_BUDGET
from theorylab.spec import Figure, FigureSeries

from .model import AssumptionStatus, AssumptionVerdict, Quantity
from .paper000_noise import APPROXIMATION_TOLERANCE
from .problem import Problem, Timer

__all__ = ["CHECKPOINTS", "Retrain", "retrain_diagnosis", "short_retrain"]

CHECKPOINTS = 8
_THEOREM = "App. C.1 Eq. 27 / App. D.3 Eq. 62-64 (linearisation)"


@dataclass
class Retrain:
    """Trajectory of the short retrain at its checkpoints (see module doc)."""

    steps: list[int] = field(default_factory=list)
    ntk_movement: list[float] = field(default_factory=list)
    jacobian_movement: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    linearised_loss: list[float] = field(default_factory=list)
    samples: int = 0
    diverged: bool = False
    seconds: float = 0.0


def _subset_size(problem: Problem) -> int:
    """Samples whose Jacobian is kept twice (J_0 and J_t) within the memory budget."""
    budget = DEFAULT_MEMORY_BUDGET if problem.memory_budget is None else problem.memory_budget
    row = problem.num_outputs * problem.num_parameters * problem.functional.theta.element_size()
    return max(0, min(problem.num_samples, problem.level.retrain_samples, budget // (3 * row)))


def _jacobian(problem: Problem, theta: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    moved = copy.copy(problem.functional)  # shares the module; only theta differs
    moved.theta = theta
    chunks = jacobian_chunks(moved, inputs, memory_budget=problem.memory_budget)
    return torch.cat([c.reshape(-1, problem.num_parameters) for c in chunks])


def _linearised_loss(problem: Problem, theta: torch.Tensor) -> float:
    objective, start = problem.objective, problem.functional.theta
    delta = theta - start
    total = 0.0
    for inputs, targets in objective.batches:
        outputs, change = torch.func.jvp(
            lambda w, x=inputs: objective.functional.outputs(w, x), (start,), (delta,))
        total += float(objective.loss.total(outputs + change, targets))
    return total / objective.num_samples


def short_retrain(problem: Problem) -> Retrain:
    """Run the retrain and record movement and losses at the checkpoints."""
    steps = problem.level.retrain_steps
    marks = sorted({round(steps * j / CHECKPOINTS) for j in range(CHECKPOINTS + 1)})
    generator = torch.Generator().manual_seed(problem.seed)
    size = _subset_size(problem)
    subset = torch.randperm(problem.num_samples, generator=generator)[:size]
    subset_inputs = problem.inputs[subset.to(problem.inputs.device)]
    objective, loss = problem.objective, problem.objective.loss
    theta = problem.functional.theta.detach().clone()
    result = Retrain(samples=size)

    def batch_loss(w: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        outputs = objective.functional.outputs(w, problem.inputs[rows])
        return loss.total(outputs, problem.targets[rows]) / rows.numel()

    with Timer("‖ΔK‖_F/‖K‖_F") as timer, torch.no_grad():
        base = _jacobian(problem, theta, subset_inputs) if size else None
        base_gram = base @ base.T if base is not None else None
        for step in range(steps + 1):
            if step in marks:
                result.steps.append(step)
                if base is not None:
                    current = _jacobian(problem, theta, subset_inputs)
                    gram = current @ current.T
                    result.ntk_movement.append(_relative(gram - base_gram, base_gram))
                    result.jacobian_movement.append(_relative(current - base, base))
                result.loss.append(float(objective(theta)))
                result.linearised_loss.append(_linearised_loss(problem, theta))
            if step == steps:
                break
            rows = torch.randint(problem.num_samples, (problem.batch_size,),
                                 generator=generator).to(problem.inputs.device)
            with torch.enable_grad():
                gradient = torch.func.grad(batch_loss)(theta, rows)
            theta = theta - problem.learning_rate * gradient
            if not bool(torch.isfinite(theta).all()):
                result.diverged = True
                break
    result.seconds = timer.seconds
    return result


def _relative(difference: torch.Tensor, reference: torch.Tensor) -> float:
    norm = float(torch.linalg.matrix_norm(reference))
    return float(torch.linalg.matrix_norm(difference)) / norm if norm > 0 else math.nan


def _positive(values: list[float]) -> list[float]:
    """Values for a log axis: non-positive ones (step 0) become NaN, as spectrum plots do."""
    return [v if v > 0 else math.nan for v in values]


def _lazy_verdict(run: Retrain, steps: int) -> AssumptionVerdict:
    common = {"name": "lazy_regime", "paper": "000", "theorem": _THEOREM}
    if run.diverged:
        return AssumptionVerdict(status=AssumptionStatus.FAILS, numbers={"steps": steps},
                                 evidence=f"SGD diverged within {steps} steps (non-finite "
                                          "weights): no linearised regime", **common)
    if not run.ntk_movement or not math.isfinite(run.ntk_movement[-1]):
        return AssumptionVerdict(status=AssumptionStatus.UNDECIDED, evidence=(
            "the NTK Gram of the sample subset is zero or too large for the memory budget"),
            **common)
    moved = max(run.ntk_movement[-1], run.jacobian_movement[-1])
    numbers = {"ntk_movement": run.ntk_movement[-1],
               "jacobian_movement": run.jacobian_movement[-1], "steps": steps,
               "samples": run.samples, "threshold": APPROXIMATION_TOLERANCE}
    holds = moved <= APPROXIMATION_TOLERANCE
    text = (f"after {steps} SGD steps ‖K_t − K_0‖_F/‖K_0‖_F = {run.ntk_movement[-1]:.3g} and "
            f"‖J_t − J_0‖_F/‖J_0‖_F = {run.jacobian_movement[-1]:.3g} on {run.samples} "
            f"samples, threshold {APPROXIMATION_TOLERANCE:g} on the larger: "
            + ("lazy / linearised regime holds" if holds else "the NTK moves: not lazy"))
    return AssumptionVerdict(status=AssumptionStatus.HOLDS if holds else AssumptionStatus.FAILS,
                             evidence=text, numbers=numbers, **common)


def _first_order_verdict(problem: Problem, run: Retrain) -> AssumptionVerdict:
    common = {"name": "first_order_valid", "paper": "000", "theorem": _THEOREM}
    if run.diverged:
        return AssumptionVerdict(status=AssumptionStatus.FAILS, evidence=(
            "SGD diverged: the loss change is not first order"), **common)
    start, end, predicted = run.loss[0], run.loss[-1], run.linearised_loss[-1]
    change, prediction = end - start, predicted - start
    floor = 8 * problem.num_samples * torch.finfo(problem.dtype).eps * max(abs(start), abs(end))
    error = abs(prediction - change)
    numbers = {"loss_change": change, "predicted_change": prediction, "error": error,
               "roundoff": floor, "threshold": APPROXIMATION_TOLERANCE}
    text = (f"over {run.steps[-1]} steps L changed by {change:.4g}; the linearised network "
            f"predicts {prediction:.4g} (error {error:.3g})")
    if abs(change) <= floor:
        status, text = AssumptionStatus.UNDECIDED, text + (
            f": the change is within round-off ({floor:.2g})")
    elif error <= APPROXIMATION_TOLERANCE * abs(change) + floor:
        status, text = AssumptionStatus.HOLDS, text + (
            f", within {APPROXIMATION_TOLERANCE:g} of it: first order holds")
    else:
        status, text = AssumptionStatus.FAILS, text + (
            f", off by more than {APPROXIMATION_TOLERANCE:g} of it: first order fails")
    return AssumptionVerdict(status=status, evidence=text, numbers=numbers, **common)


def retrain_diagnosis(problem: Problem) -> tuple[list[Quantity], list[AssumptionVerdict],
                                                 Figure]:
    """Movement and first-order quantities, the two verdicts and the movement figure."""
    run = short_retrain(problem)
    steps = [float(s) for s in run.steps]
    common = {"stderr": 0.0, "seconds": run.seconds, "reference": "paper 000, " + _THEOREM}
    note = (f"η = {problem.learning_rate:g}, B = {problem.batch_size}, "
            f"{problem.level.retrain_steps} steps from a copy of the weights, seed {problem.seed}")
    if run.diverged:
        note += "; DIVERGED"
    movement = [Quantity(name=name, symbol=symbol, value=values[-1] if values else None,
                         values=values or None, grid=steps[:len(values)] or None,
                         method=f"exact (dense Jacobians of {run.samples} samples)",
                         note=note, **common)
                for name, symbol, values in (
                    ("ntk_movement", "‖ΔK‖_F/‖K‖_F", run.ntk_movement),
                    ("jacobian_movement", "‖ΔJ‖_F/‖J‖_F", run.jacobian_movement))]
    losses = [Quantity(name=name, symbol=symbol, value=values[-1] - run.loss[0],
                       values=[v - run.loss[0] for v in values], grid=steps[:len(values)],
                       method=method, note=note, **common)
              for name, symbol, values, method in (
                  ("retrain_loss_change", "L(θ_T) − L(θ_0)", run.loss, "measured"),
                  ("retrain_loss_change_linearised", "L_lin(θ_T) − L(θ_0)",
                   run.linearised_loss, "first order in f (one jvp per checkpoint)"))]
    verdicts = [_lazy_verdict(run, problem.level.retrain_steps),
                _first_order_verdict(problem, run)]
    figure = Figure(
        title="paper 000: NTK and Jacobian movement under a short SGD retrain",
        x_label="SGD step t", y_label="relative change", log_y=True,
        series=[FigureSeries(label="‖K_t − K_0‖_F/‖K_0‖_F", x=steps[:len(run.ntk_movement)],
                             y=_positive(run.ntk_movement)),
                FigureSeries(label="‖J_t − J_0‖_F/‖J_0‖_F",
                             x=steps[:len(run.jacobian_movement)],
                             y=_positive(run.jacobian_movement)),
                FigureSeries(label=f"threshold {APPROXIMATION_TOLERANCE:g}",
                             x=[steps[0], steps[-1]],
                             y=[APPROXIMATION_TOLERANCE, APPROXIMATION_TOLERANCE],
                             style="band")])
    return movement + losses, verdicts, figure
