r"""Training runs for ``seos.empirical_k`` (Sec. 4.1): an FCN on digits, K at checkpoints.

An MLP (``theorylab.gpu.MLP``, ReLU) is trained on ``D`` digits (``theorylab.gpu.load_digits``)
with MSE on a scalar target (+1 for digits >= 5, -1 otherwise; the theory's ``D`` residuals,
one per sample), plain minibatch SGD without replacement inside a step (Eq. 2, 4). At
checkpoints the exact NTK :math:`\hat\Theta = JJ^\top/D` (``gpu.ntk_gram``, float64) gives
:math:`\mathcal{K}` (Eq. 9), :math:`\hat{\mathcal{K}}_{tr}` and :math:`\lambda_{\max}`; a
momentum run tracks :math:`\mathcal{K}_{\rm mom}` (App. A.5, corrected sign) and Eq. 18.
:func:`training_cell` is one cell of the sweep in :mod:`theorylab.claims.seos.empirical_k.torch`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict

from theorylab.errors import TheorylabError
from theorylab.gpu import MLP, load_digits, ntk_gram
from theorylab.solvers.noise_kernel import noise_kernel_norm, noise_kernel_norm_trace
from theorylab.solvers.noise_kernel_momentum import noise_kernel_norm_momentum

__all__ = ["CHECKPOINTS", "TrainingHistory", "gram_matrix", "load_data", "training_cell"]

CHECKPOINTS = 6


def gram_matrix(model: torch.nn.Module, inputs: torch.Tensor) -> np.ndarray:
    """Unnormalised NTK Gram JJ^T: gpu.ntk_gram, or (CPU, D <= 128) per-sample autograd rows.

    On a CPU and small ``D`` the per-sample loop is ~8x faster than the vmap path of
    ``ntk_gram``; the two agree to round-off (cross-checked once per experiment).
    """
    if inputs.device.type != "cpu" or inputs.shape[0] > 128:
        return ntk_gram(model, inputs, dtype=torch.float64).cpu().numpy()
    parameters = list(model.parameters())
    rows = []
    for index in range(inputs.shape[0]):
        grads = torch.autograd.grad(model(inputs[index : index + 1]).squeeze(), parameters)
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
    jacobian = torch.stack(rows)
    return (jacobian @ jacobian.T).detach().numpy()


def _measures(
    model: torch.nn.Module, inputs: torch.Tensor, eta: float, batch: int, momentum: float
) -> dict[str, float]:
    size = inputs.shape[0]
    gram = gram_matrix(model, inputs) / size
    eigenvalues, frame = np.linalg.eigh((gram + gram.T) / 2)
    # Round-off can leave modes at (or just below) 0, where I - A is singular; K is continuous
    # as lambda -> 0 (a mode contributes O(lambda)), so floor them at 1e-12 lambda_max.
    eigenvalues = np.clip(eigenvalues, 1e-12 * eigenvalues[-1], None)
    gram = (frame * eigenvalues) @ frame.T
    result = {
        "lambda_max": float(eigenvalues[-1]),
        "K_tr": noise_kernel_norm_trace(gram, eta, batch),
    }
    try:
        result["K"] = noise_kernel_norm(gram, eta, batch).value
    except TheorylabError:  # past the deterministic EOS or a zero mode: K undefined
        result["K"] = float("nan")
    if momentum > 0:
        try:
            result["K_mom"] = noise_kernel_norm_momentum(
                eigenvalues[eigenvalues > 0], eta, batch, momentum, size
            )
        except TheorylabError:
            result["K_mom"] = float("nan")
        result["K_eq18"] = eta / (2 * (1 - momentum) * batch) * float(np.sum(eigenvalues))
    return result


def _train(
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    eta: float,
    batch: int,
    epochs: int,
    checkpoints: int,
    momentum: float,
    seed: int,
    width: int,
) -> dict[str, list[float]]:
    torch.manual_seed(seed)
    model = MLP(inputs.shape[1], width=width, depth=2, seed=seed).to(inputs.device, inputs.dtype)
    optimiser = torch.optim.SGD(model.parameters(), lr=eta, momentum=momentum)
    size = inputs.shape[0]
    steps_per_epoch = size // batch
    total = epochs * steps_per_epoch
    marks = set(np.linspace(0, total, checkpoints + 1).astype(int).tolist())
    history: dict[str, list[float]] = {"step": [], "loss": []}
    generator = torch.Generator(device="cpu").manual_seed(seed)
    for step in range(total + 1):
        if step in marks:
            with torch.no_grad():
                loss = float(0.5 * torch.mean((model(inputs).squeeze(-1) - targets) ** 2))
            history["step"].append(step)
            history["loss"].append(loss)
            if not np.isfinite(loss) or loss > 1e6:
                break
            for key, value in _measures(model, inputs, eta, batch, momentum).items():
                history.setdefault(key, []).append(value)
        if step == total:
            break
        if step % steps_per_epoch == 0:
            order = torch.randperm(size, generator=generator).to(inputs.device)
        chosen = order[(step % steps_per_epoch) * batch : (step % steps_per_epoch + 1) * batch]
        optimiser.zero_grad()
        residual = model(inputs[chosen]).squeeze(-1) - targets[chosen]
        (0.5 * torch.sum(residual**2) / batch).backward()
        optimiser.step()
    return history


class TrainingHistory(BaseModel):
    """Checkpoint series of one run: step, loss, lambda_max, K_tr, K (and K_mom, K_eq18)."""

    model_config = ConfigDict(frozen=True)
    series: dict[str, list[float]]


@lru_cache(maxsize=4)
def load_data(size: int, device_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``size`` digits, standardised, and their ±1 targets (digit >= 5)."""
    device = torch.device(device_name)
    raw_inputs, labels = load_digits(dtype=torch.float64)
    inputs = raw_inputs[:size]
    inputs = ((inputs - inputs.mean(0)) / (inputs.std(0) + 1e-3)).to(device)  # standardised
    targets = torch.where(labels[:size] >= 5, 1.0, -1.0).to(device=device, dtype=torch.float64)
    return inputs, targets


def training_cell(
    *,
    size: int,
    width: int,
    epochs: int,
    eta: float,
    batch: int,
    momentum: float,
    device: str,
    seed: int,
) -> TrainingHistory:
    """One (B, eta, seed) cell of the grid: train and measure K at the checkpoints."""
    inputs, targets = load_data(size, device)
    history = _train(
        inputs,
        targets,
        eta=eta,
        batch=batch,
        epochs=epochs,
        checkpoints=CHECKPOINTS,
        momentum=momentum,
        seed=seed,
        width=width,
    )
    return TrainingHistory(series=history)
