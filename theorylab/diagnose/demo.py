r"""The built-in demonstration: an MLP trained on scikit-learn's offline digits, diagnosed.

The network (:class:`theorylab.gpu.MLP`, 64 → 32 → 32 → 1, tanh, float64) regresses the
paper-002 scalar target of the digits (+1 for digits ≥ 5, −1 otherwise; one residual per
sample, as in ``seos.empirical_k``) with :math:`\ell = \frac12(f-y)^2`, by plain minibatch SGD
at :math:`\eta = 0.05`, :math:`B = 32` on 512 training digits; 256 other digits are held out
(paper 004's gap) and 32 more are the next batch (paper 003's criterion).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from theorylab.gpu import MLP, load_digits

from .api import diagnose
from .model import Diagnosis

__all__ = ["DEMO", "demo_diagnosis", "demo_problem"]

DEMO = {"train": 512, "held_out": 256, "width": 32, "learning_rate": 0.05, "batch_size": 32,
        "epochs": 30, "seed": 0, "next_batch": 32}


def demo_problem(seed: int = 0) -> tuple[torch.nn.Module, tuple, tuple, tuple]:
    """Train the demo MLP; returns ``(model, train, held out, next batch)``, each ``(x, y)``."""
    inputs, labels = load_digits(dtype=torch.float64)
    targets = torch.where(labels >= 5, 1.0, -1.0).to(torch.float64)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(inputs.shape[0], generator=generator)
    train = order[: DEMO["train"]]
    test = order[DEMO["train"] : DEMO["train"] + DEMO["held_out"]]
    start = DEMO["train"] + DEMO["held_out"]
    following = order[start : start + DEMO["next_batch"]]
    model = MLP(64, width=DEMO["width"], depth=2, output_dim=1, activation="tanh",
                seed=seed).to(torch.float64)
    optimiser = torch.optim.SGD(model.parameters(), lr=DEMO["learning_rate"])
    x, y = inputs[train], targets[train]
    for _ in range(DEMO["epochs"]):
        for batch in torch.randperm(x.shape[0], generator=generator).split(DEMO["batch_size"]):
            optimiser.zero_grad()
            loss = 0.5 * (model(x[batch]).reshape(-1) - y[batch]).square().mean()
            loss.backward()
            optimiser.step()
    return (model, (x, y), (inputs[test], targets[test]),
            (inputs[following], targets[following]))


def demo_diagnosis(seed: int = 0, level: str = "quick",
                   progress: Callable[..., None] | None = None) -> Diagnosis:
    """Train the demo network and diagnose it at the learning rate and batch size it used."""
    model, train, held_out, next_batch = demo_problem(seed)
    return diagnose(model, train, loss="mse", learning_rate=DEMO["learning_rate"],
                    batch_size=DEMO["batch_size"], held_out=held_out, next_batch=next_batch,
                    level=level, seed=seed,
                    progress=progress)
