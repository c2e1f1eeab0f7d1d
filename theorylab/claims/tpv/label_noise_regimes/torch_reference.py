r"""Torch experiments of ``tpv.label_noise_regimes`` (paper 000, App. C.2-C.3, 5.2, F.2.1).

Setting of App. F.2.1: inputs :math:`x \sim \mathcal{N}(0, I_{20})`, linear teacher
:math:`y = x^\top w_{\rm true}`, :math:`w_{\rm true} \sim \mathcal{N}(0, I)`; a three-layer ReLU
MLP (input → width → width → 1) trained on clean labels by full-batch SGD with momentum 0.9,
learning rate 5e-3, 800 epochs, MSE; paper widths {128, 256, 512, 800, 1024, 1600},
``n_train = 1000``, ``n_test = 5000`` (``full``); ``quick`` uses widths {16, 64},
``n_train = 100``, ``n_test = 200``. Everything in float64.

Following App. C.3.4 and F.2.2, the noisy targets are the clean model's outputs plus noise,
:math:`\tilde y = f_{w^*}(x) + \varepsilon`, so that :math:`w^*` fits the clean targets
exactly, as Theorem 3.2 assumes. This module trains that reference network
(:func:`reference_network`) and forms its Gram matrices; the experiments are

* :func:`.torch_interpolation.interpolation_experiment` — regime (2a) on real Jacobians:
  exact linearised TPV at :math:`\lambda = 0` (r = n) on train and test inputs from one law.
* :func:`.torch_retrain.retrain_experiment` — regime (1): the NON-linear network is retrained
  from :math:`w^*` on :math:`R` noisy label draws with proximity
  :math:`\frac\gamma2\|w-w^*\|^2` (App. C.3.4), by full-batch heavy-ball gradient descent run
  to convergence; compared per draw and in mean with the exact linearised ridge TPV
  (:math:`\lambda = \gamma`). The first-order error law (relative gap :math:`\propto\sigma`)
  is fitted over :math:`\sigma`.
* :func:`.torch_gram.gram_route_experiment` — the label-noise TPV through the
  :math:`n\times n` NTK Gram matrix
  (:func:`theorylab.solvers.linear_label_noise.gram_label_noise_tpv`), which App. C.3.3
  calls numerically intractable at ``n_train = 4000``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from theorylab.gpu import MLP, ntk_gram, output_jacobian

__all__ = [
    "DENSE_JACOBIAN_BYTES",
    "INPUT_DIM",
    "Reference",
    "grams",
    "parameter_count",
    "reference_network",
    "sizes",
]

INPUT_DIM = 20
DENSE_JACOBIAN_BYTES = 1 << 30


@dataclass(frozen=True)
class Reference:
    """A clean reference network ``w*`` and its data (App. F.2.1)."""

    model: torch.nn.Module
    train_inputs: torch.Tensor
    test_inputs: torch.Tensor
    final_loss: float
    width: int
    activation: str = "relu"


def sizes(full: bool) -> tuple[tuple[int, ...], int, int]:
    """Widths, ``n_train`` and ``n_test`` of the App. F.2.1 setting at this level."""
    if full:
        return (128, 256, 512, 800, 1024, 1600), 1000, 5000
    return (16, 64), 100, 200


@lru_cache(maxsize=16)
def reference_network(
    width: int, train_size: int, test_size: int, seed: int, device: str, activation: str = "relu"
) -> Reference:
    """Train the clean reference MLP of App. F.2.1 (cached per configuration)."""
    generator = torch.Generator().manual_seed(seed)
    teacher = torch.randn(INPUT_DIM, generator=generator, dtype=torch.float64)
    train_inputs = torch.randn(train_size, INPUT_DIM, generator=generator, dtype=torch.float64)
    test_inputs = torch.randn(test_size, INPUT_DIM, generator=generator, dtype=torch.float64)
    model = MLP(INPUT_DIM, width=width, depth=2, activation=activation, seed=seed)
    model = model.to(dtype=torch.float64).to(device)
    train_inputs, test_inputs = train_inputs.to(device), test_inputs.to(device)
    targets = train_inputs @ teacher.to(device)
    optimiser = torch.optim.SGD(model.parameters(), lr=5e-3, momentum=0.9)
    loss = torch.zeros(())
    for _ in range(800):
        optimiser.zero_grad()
        loss = torch.mean((model(train_inputs)[:, 0] - targets) ** 2)
        loss.backward()
        optimiser.step()
    model.eval()
    return Reference(model, train_inputs, test_inputs, float(loss.detach()), width, activation)


def parameter_count(width: int) -> int:
    """Parameters of the App. F.2.1 MLP (20 → width → width → 1, with biases)."""
    return (INPUT_DIM + 1) * width + (width + 1) * width + width + 1


def grams(reference: Reference) -> tuple[np.ndarray, np.ndarray, int]:
    """``K = J Jᵀ`` (train) and ``K_te,tr`` by dense Jacobians, or by ``ntk_gram`` if large."""
    parameters = sum(p.numel() for p in reference.model.parameters())
    rows = reference.train_inputs.shape[0] + reference.test_inputs.shape[0]
    train_size = reference.train_inputs.shape[0]
    if rows * parameters * 8 <= DENSE_JACOBIAN_BYTES:
        train = output_jacobian(reference.model, reference.train_inputs, dtype=torch.float64)
        test = output_jacobian(reference.model, reference.test_inputs, dtype=torch.float64)
        train_np, test_np = train.cpu().numpy(), test.cpu().numpy()
        return train_np @ train_np.T, test_np @ train_np.T, parameters
    inputs = torch.cat([reference.train_inputs, reference.test_inputs])
    gram = ntk_gram(reference.model, inputs, dtype=torch.float64, memory_budget=16 << 30)
    gram_np = gram.cpu().numpy()
    return gram_np[:train_size, :train_size], gram_np[train_size:, :train_size], parameters
