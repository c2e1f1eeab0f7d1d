"""Torch pieces shared by the trace-stability experiments: thread pinning, batched MLP runs.

:func:`forward_runs` evaluates ``R`` independent MLPs stacked along a leading axis
(:func:`stack_runs`), :func:`train_runs` trains them all at once, and
:func:`relative_first_order_error` is App. F.1.1's first-order filter.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from theorylab.gpu.models import MLP

__all__ = [
    "FIRST_ORDER_STEP",
    "forward_runs",
    "one_thread_on_cpu",
    "relative_first_order_error",
    "stack_runs",
    "train_runs",
]

FIRST_ORDER_STEP = 1e-2


@contextmanager
def one_thread_on_cpu(device: torch.device) -> Iterator[None]:
    """Use one intra-op thread on CPU (small float64 GEMMs oversubscribe shared cores)."""
    previous = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def stack_runs(model: MLP, runs: int) -> list[torch.Tensor]:
    """Parameters of ``model`` repeated for ``runs`` independent copies, (R, ...) each."""
    return [
        p.detach().to(torch.float64).unsqueeze(0).repeat(runs, *([1] * p.dim())).clone()
        for p in model.parameters()
    ]


def forward_runs(params: list[torch.Tensor], inputs: torch.Tensor) -> torch.Tensor:
    """Batched MLP: ``params`` alternate weights (R, out, in) and biases (R, out)."""
    hidden = inputs.expand(params[0].shape[0], *inputs.shape) if inputs.dim() == 2 else inputs
    layers = len(params) // 2
    for index in range(layers):
        weight, bias = params[2 * index], params[2 * index + 1]
        hidden = torch.baddbmm(bias.unsqueeze(1), hidden, weight.transpose(1, 2))
        if index < layers - 1:
            hidden = torch.relu(hidden)
    return hidden[..., 0]


def train_runs(
    params: list[torch.Tensor],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    steps: int,
    learning_rate: torch.Tensor,
    *,
    cosine: bool,
    batch_sizes: list[int] | None = None,
    generator: torch.Generator | None = None,
    snapshot: tuple[int, int] | None = None,
) -> list[list[torch.Tensor]]:
    """Momentum-0.9 (S)GD on ½ MSE per run; returns snapshots (or the final parameters)."""
    params = [p.clone().requires_grad_(True) for p in params]
    velocity = [torch.zeros_like(p) for p in params]
    count = inputs.shape[0]
    snapshots = []
    for step in range(steps):
        rate = learning_rate * (0.5 * (1 + math.cos(math.pi * step / steps)) if cosine else 1.0)
        if batch_sizes is None:
            residual = forward_runs(params, inputs) - targets
            loss = 0.5 * torch.sum(torch.mean(residual**2, 1))
        else:  # one run per batch size; without drop_last a batch is min(b, n) samples
            losses = []
            for run, size in enumerate(batch_sizes):
                chosen = torch.randperm(count, generator=generator)[: min(size, count)]
                chosen = chosen.to(inputs.device)
                output = forward_runs([p[run : run + 1] for p in params], inputs[chosen])[0]
                losses.append(0.5 * torch.mean((output - targets[chosen]) ** 2))
            loss = torch.stack(losses).sum()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for param, grad, buffer in zip(params, grads, velocity, strict=True):
                buffer.mul_(0.9).add_(grad)
                param.sub_(rate.view(-1, *([1] * (param.dim() - 1))) * buffer)
        if snapshot is not None and step >= snapshot[0] and (step - snapshot[0]) % snapshot[1] == 0:
            snapshots.append([p.detach().clone() for p in params])
    return snapshots if snapshot is not None else [[p.detach() for p in params]]


def relative_first_order_error(
    reference: list[torch.Tensor], perturbed: list[torch.Tensor], inputs: torch.Tensor
) -> torch.Tensor:
    """App. F.1.1's rel_err per run, h = 1e-2, on the reference inputs."""
    base = forward_runs(reference, inputs)
    change = forward_runs(perturbed, inputs) - base
    stepped = [r + FIRST_ORDER_STEP * (p - r) for r, p in zip(reference, perturbed, strict=True)]
    directional = (forward_runs(stepped, inputs) - base) / FIRST_ORDER_STEP
    return torch.mean((change - directional) ** 2, 1) / (torch.mean(change**2, 1) + 1e-12)
