"""Benchmark models and measurement helpers of ``benchmarks/compare.py``.

The models (an MLP, a CNN and a transformer on one batch, plus >= 1M-parameter variants), the
interleaved wall-clock timing, and the reference computations the libraries are compared
against (a plain autograd gradient, a float64 central-difference HVP).
"""

from __future__ import annotations

import copy
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from theorylab.gpu import MLP, Objective, SmallCNN, TinyTransformer, load_digits

MIN_SAMPLE_SECONDS = 0.02


@dataclass
class Case:
    """A model and one batch ``(inputs (n, ...), labels (n,))`` for the cross-entropy loss."""

    name: str
    model: torch.nn.Module
    inputs: torch.Tensor
    labels: torch.Tensor
    large: bool = False

    @property
    def parameters(self) -> int:
        """Number of trainable parameters p."""
        return sum(p.numel() for p in self.model.parameters() if p.requires_grad)


def build_cases(samples: int, include_large: bool) -> list[Case]:
    """Return the benchmark models: small CPU defaults, plus >= 1M-parameter variants."""
    images, digits = load_digits()
    images, digits = images[:samples], digits[:samples]
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 16, (samples, 16), generator=generator)
    next_tokens = torch.randint(0, 16, (samples,), generator=generator)
    cases = [
        Case("mlp", MLP(64, 64, 2, output_dim=10, seed=0), images, digits),
        Case("cnn", SmallCNN(channels=16, seed=0), images.reshape(-1, 1, 8, 8), digits),
        Case("transformer", TinyTransformer(vocab_size=16, dim=32, heads=2, layers=1, seed=0),
             tokens, next_tokens),
    ]
    if include_large:
        long_tokens = torch.randint(0, 64, (samples, 32), generator=generator)
        cases += [
            Case("cnn-1M", SmallCNN(channels=352, seed=0), images.reshape(-1, 1, 8, 8), digits,
                 large=True),
            Case("transformer-1M", TinyTransformer(vocab_size=64, dim=256, heads=4, layers=2,
                                                   max_length=32, seed=0),
                 long_tokens, torch.randint(0, 64, (samples,), generator=generator), large=True),
        ]
    return cases


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA kernels so that wall-clock times are complete."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(functions: dict[str, Callable[[], object]], repeats: int,
                   device: torch.device) -> dict[str, float]:
    """Median wall-clock seconds per call of each function; repeats interleaved round-robin.

    Interleaving exposes every function to the same background load (this matters on a
    shared machine). Each function is run twice first as warm-up; a repeat runs it often
    enough to last at least ``MIN_SAMPLE_SECONDS`` and counts the mean time per call.
    """
    calls: dict[str, int] = {}
    for name, function in functions.items():
        function()
        (_, seconds) = timed(function, device)
        calls[name] = max(1, math.ceil(MIN_SAMPLE_SECONDS / max(seconds, 1e-9)))
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            synchronize(device)
            start = time.perf_counter()
            for _ in range(calls[name]):
                function()
            synchronize(device)
            times[name].append((time.perf_counter() - start) / calls[name])
    return {name: statistics.median(values) for name, values in times.items()}


def timed(function: Callable[[], object], device: torch.device) -> tuple[object, float]:
    """Run once; return the result and its wall-clock seconds."""
    synchronize(device)
    start = time.perf_counter()
    result = function()
    synchronize(device)
    return result, time.perf_counter() - start


def relative_difference(value: torch.Tensor, reference: torch.Tensor) -> float:
    r"""Return :math:`\max|a-b| / \max|b|` (0 when both vanish)."""
    scale = float(reference.abs().max())
    return float((value - reference).abs().max()) / scale if scale else 0.0


def milliseconds(seconds: float) -> str:
    """Format seconds as milliseconds with 3 significant digits."""
    return f"{seconds * 1e3:.3g} ms"


def plain_gradient(case: Case) -> Callable[[], object]:
    """The reference gradient: one forward and backward of the module, torch.autograd."""
    model = copy.deepcopy(case.model).eval()
    params = [p for p in model.parameters() if p.requires_grad]
    loss = torch.nn.CrossEntropyLoss()
    return lambda: torch.autograd.grad(loss(model(case.inputs), case.labels), params)


def finite_difference_hvp(case: Case, vector: torch.Tensor, step: float = 1e-6) -> torch.Tensor:
    r"""Arbiter :math:`\|v\|(\nabla L(\theta+hu)-\nabla L(\theta-hu))/2h`, :math:`u=v/\|v\|`.

    In float64, independent of how either library forms second derivatives (error
    :math:`O(h^2)`); the small step keeps ReLU kinks from falling inside the stencil.
    """
    model = copy.deepcopy(case.model).double()
    objective = Objective(model, case.inputs, case.labels, loss="cross_entropy",
                          chunk_size=case.inputs.shape[0])
    theta, direction = objective.theta, vector.to(torch.float64)
    norm = torch.linalg.vector_norm(direction)
    gradient = torch.func.grad(objective)
    difference = (gradient(theta + step * direction / norm)
                  - gradient(theta - step * direction / norm))
    return (norm * difference / (2 * step)).to(vector.dtype)
