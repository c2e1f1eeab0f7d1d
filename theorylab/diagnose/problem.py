r"""The problem a diagnosis is about: network, data, loss, learning rate, batch size, budgets.

:func:`prepare_problem` validates everything up front, before any curvature is computed, so
bad input is one typed :mod:`theorylab.errors` exception and nothing is half-done:

* ``data`` is ``(inputs, targets)``, a callable returning it, or an iterable of
  ``(inputs, targets)`` batches (a :class:`torch.utils.data.DataLoader`), concatenated;
* the learning rate is a finite float :math:`\eta > 0` and the batch size an int
  :math:`1 \le B \le n`;
* every parameter and buffer of the model is finite, the inputs fit the model and the targets
  fit its outputs (:meth:`theorylab.gpu.losses.Loss.check_targets`).

The learning rate is in the loss's own convention: theorylab's ``"mse"`` is
:math:`\ell = \frac12\|f-y\|^2` (paper 002, Eq. 2), so an optimiser on
``torch.nn.MSELoss`` (no :math:`\frac12`) with rate :math:`\eta'` is :math:`\eta = 2\eta'` here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from theorylab.errors import NonFiniteError, ParameterError, ShapeError
from theorylab.gpu.adapter import FunctionalModel, Objective
from theorylab.gpu.parameters import ParameterSelection

from .inputs import Forward, InputHooks, Target, hook_model, read_data
from .progress import begin, step

__all__ = ["LEVELS", "Level", "Problem", "Timer", "prepare_problem"]


@dataclass(frozen=True)
class Level:
    """Sizes of one diagnosis level: eigenpairs, sample caps and curve resolution."""

    top_k: int
    kernel_samples: int
    """Samples of the NTK sub-kernel for paper 002 (cost :math:`O(D^4)` for K_full)."""
    hessian_samples: int
    """Samples whose per-sample Hessians paper 001 forms (dense :math:`m p^2`)."""
    curve_points: int
    exact_trace_parameters: int
    """Largest :math:`p` for the exact Tr ∇²L (:math:`p` products); above it, Hutch++."""
    trace_matvecs: int
    slq_probes: int
    """Rademacher probes of the Hessian's spectral density (SLQ); stderr ~ 1/sqrt(probes)."""
    slq_steps: int
    """Lanczos steps per SLQ probe (quadrature nodes; resolution of the density)."""
    retrain_steps: int
    """SGD steps of paper 000's short retrain (NTK movement, first-order validity)."""
    retrain_samples: int
    """Samples whose Jacobian the retrain tracks (dense :math:`mKp`, twice)."""


LEVELS = {
    "quick": Level(top_k=5, kernel_samples=64, hessian_samples=1024, curve_points=16,
                   exact_trace_parameters=5_000, trace_matvecs=99, slq_probes=10, slq_steps=30,
                   retrain_steps=20, retrain_samples=32),
    "full": Level(top_k=20, kernel_samples=160, hessian_samples=2048, curve_points=40,
                  exact_trace_parameters=50_000, trace_matvecs=300, slq_probes=30,
                  slq_steps=80, retrain_steps=100, retrain_samples=64),
}


@dataclass
class Problem:
    """A validated diagnosis problem (see :func:`prepare_problem`)."""

    model: torch.nn.Module
    inputs: torch.Tensor
    targets: torch.Tensor
    held_out: tuple[torch.Tensor, torch.Tensor] | None
    objective: Objective
    loss_name: str
    learning_rate: float
    batch_size: int
    parameters: ParameterSelection
    dtype: torch.dtype
    device: torch.device
    memory_budget: int | None
    level: Level
    label_noise_std: float
    seed: int
    timings: dict[str, float] = field(default_factory=dict)
    hooks: InputHooks | None = None
    """How further inputs (a next batch) are put in the form ``model`` takes (``hooks.pack``);
    ``model``/``parameters`` are the wrapped network and selection when hooks are in use."""
    next_batch: tuple[torch.Tensor, torch.Tensor] | None = None
    """The validated next batch or stream that grows the training set (paper 003)."""

    @property
    def functional(self) -> FunctionalModel:
        """The network as a function of its flat parameter vector."""
        return self.objective.functional

    @property
    def num_samples(self) -> int:
        """:math:`n`."""
        return self.objective.num_samples

    @property
    def num_outputs(self) -> int:
        """:math:`K`, outputs per sample."""
        return self.objective.num_outputs

    @property
    def num_parameters(self) -> int:
        """:math:`p`."""
        return self.functional.num_parameters

    def sub_objective(self, rows: torch.Tensor | slice, *, parameters: Any = None) -> Objective:
        """An :class:`Objective` on a subset of the samples (and optionally of the parameters)."""
        return Objective(self.model, self.inputs[rows], self.targets[rows],
                         loss=self.objective.loss,
                         parameters=self.parameters if parameters is None else parameters,
                         device=self.device, dtype=self.dtype)


class Timer:
    """Wall time of a block that computes the quantity ``label``: ``with Timer("α") as t: ...``.

    ``t.seconds`` is the block's wall time. Inside a stage of :func:`theorylab.diagnose` the
    block is reported live (:mod:`theorylab.diagnose.progress`): a ``begin`` event naming
    ``label`` (the quantity's symbol or name) on entry, a ``step`` with its seconds on exit.
    """

    seconds: float = 0.0

    def __init__(self, label: str = "") -> None:
        self.label = label

    def __enter__(self) -> Timer:
        begin(self.label)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        step(self.label, self.seconds)


@contextmanager
def _shape_errors(what: str) -> Iterator[None]:
    """Turn torch's shape errors from running the model into a one-line ShapeError."""
    try:
        yield
    except (RuntimeError, IndexError) as exc:
        if isinstance(exc, torch.OutOfMemoryError):
            raise
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ShapeError(f"{what}: {detail}") from None


def _materialise(data: Any, target: Any = None) -> tuple[Any, Any]:
    """``(inputs, targets)`` of ``data`` (:func:`theorylab.diagnose.inputs.read_data`)."""
    return read_data(data, target)


def _check_learning_rate(learning_rate: Any) -> float:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, int | float):
        raise ParameterError(f"learning_rate must be a number, got {learning_rate!r}")
    value = float(learning_rate)
    if not math.isfinite(value):  # as the solvers do (theorylab.solvers' nk_lr_nan)
        raise NonFiniteError(f"learning_rate must be finite and > 0, got {learning_rate!r}")
    if value <= 0:
        raise ParameterError(f"learning_rate must be finite and > 0, got {learning_rate!r}")
    return value


def _check_batch_size(batch_size: Any, samples: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise ParameterError(f"batch_size must be an int, got {batch_size!r}")
    if not 1 <= batch_size <= samples:
        raise ParameterError(f"batch_size must lie in [1, n={samples}], got {batch_size}")
    return batch_size


def _check_finite_model(model: torch.nn.Module) -> None:
    for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise NonFiniteError(f"weight {name!r} has {bad} NaN or infinite entries")


def _further_split(data: Any, what: str, objective: Objective, hooks: InputHooks,
                   target: Target | None) -> tuple[torch.Tensor, torch.Tensor] | None:
    """A further ``(inputs, targets)`` split (held-out, next batch), checked like ``data``."""
    if data is None:
        return None
    inputs, targets = _materialise(data, target)
    with _shape_errors(f"the {what} inputs do not fit the model"):
        check = Objective(objective.functional, hooks.pack(inputs), targets,
                          loss=objective.loss)
    return (torch.cat([b[0] for b in check.batches]),
            torch.cat([b[1] for b in check.batches]))


def prepare_problem(
    model: torch.nn.Module,
    data: Any,
    *,
    loss: str | Callable[..., torch.Tensor],
    learning_rate: float,
    batch_size: int,
    parameters: ParameterSelection = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = torch.float64,
    memory_budget: int | None = None,
    level: str = "quick",
    held_out: Any = None,
    label_noise_std: float = 1.0,
    seed: int = 0,
    forward: Forward | None = None,
    target: Target | None = None,
    next_batch: Any = None,
) -> Problem:
    """Validate the arguments of :func:`theorylab.diagnose` and build the :class:`Problem`.

    ``forward`` / ``target`` are the hooks of :mod:`theorylab.diagnose.inputs` (dict batches).
    ``held_out`` and ``next_batch`` take the forms of ``data`` and are checked like it.

    Raises
    ------
    ParameterError
        Learning rate not finite and positive, batch size outside ``[1, n]``, unknown level or
        loss, a model that is not an ``nn.Module``, malformed ``data``.
    NonFiniteError
        A NaN or infinite weight, input or target.
    ShapeError
        Inputs the model cannot take, or targets that do not match its outputs.
    """
    if level not in LEVELS:
        raise ParameterError(f"level must be one of {sorted(LEVELS)}, got {level!r}")
    if isinstance(label_noise_std, bool) or not isinstance(label_noise_std, int | float) or not (
        math.isfinite(label_noise_std) and label_noise_std >= 0
    ):
        raise ParameterError(f"label_noise_std must be a finite number >= 0, got "
                             f"{label_noise_std!r}")
    if not isinstance(model, torch.nn.Module):
        raise ParameterError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    eta = _check_learning_rate(learning_rate)
    _check_finite_model(model)
    inputs, targets = _materialise(data, target)
    hooks = hook_model(model, inputs, forward=forward, parameters=parameters, dtype=dtype)
    model, parameters = hooks.model, hooks.parameters
    with _shape_errors("the inputs do not fit the model, or the targets its outputs"):
        objective = Objective(model, hooks.pack(inputs), targets, loss=loss,
                              parameters=parameters,
                              device=device, dtype=dtype)
    batch = _check_batch_size(batch_size, objective.num_samples)
    x = torch.cat([b[0] for b in objective.batches])
    y = torch.cat([b[1] for b in objective.batches])
    extra = _further_split(held_out, "held-out", objective, hooks, target)
    following = _further_split(next_batch, "next-batch", objective, hooks, target)
    name = objective.loss.name if isinstance(loss, str) else f"callable ({objective.loss.name})"
    functional = objective.functional
    return Problem(model=model, inputs=x, targets=y, held_out=extra, objective=objective,
                   loss_name=name, learning_rate=eta, batch_size=batch, parameters=parameters,
                   dtype=functional.dtype, device=functional.device,
                   memory_budget=memory_budget, level=LEVELS[level],
                   label_noise_std=float(label_noise_std), seed=seed, hooks=hooks,
                   next_batch=following)
