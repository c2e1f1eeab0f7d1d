r"""A seeded Markov token stream and a tiny causal LM trained to a minimiser (paper 003, Sec. 6).

The corpus is a first-order Markov chain over ``vocab_size`` tokens whose transition rows are
:math:`\mathrm{softmax}(2\,\xi)`, :math:`\xi` standard normal from a seeded
:class:`torch.Generator` (no downloads). Sample :math:`i` is the window
``stream[i : i + length]`` with next-token target ``stream[i + length]``; the model is
:class:`~theorylab.gpu.models.TinyTransformer` (causal, last-position logits), one sample per
sequence, loss cross-entropy. Training minimises
:math:`L_k(\theta) + \tfrac\lambda2\|\theta\|^2` by L-BFGS in float64 so that a minimiser
exists (the decay term is common to every sample loss, so it cancels in
:math:`L_{k+1}-L_k` and shifts :math:`H^{(k)}` by :math:`\lambda I` only).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from theorylab.errors import ParameterError

from .adapter import Objective
from .models import TinyTransformer

__all__ = ["TrainedLanguageModel", "markov_corpus", "train_to_minimiser"]


def markov_corpus(
    vocab_size: int, length: int, samples: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(windows (samples, length), next_tokens (samples,))`` from a Markov stream.

    Examples
    --------
    >>> windows, targets = markov_corpus(4, 3, 5, seed=0)
    >>> shifted = bool(torch.equal(windows[1, :2], windows[0, 1:]))
    >>> tuple(windows.shape), tuple(targets.shape), shifted
    ((5, 3), (5,), True)
    """
    if vocab_size < 2 or length < 1 or samples < 1:
        raise ParameterError("need vocab_size >= 2, length >= 1, samples >= 1")
    generator = torch.Generator().manual_seed(seed)
    transitions = torch.softmax(2.0 * torch.randn(vocab_size, vocab_size, generator=generator), 1)
    stream = torch.empty(samples + length, dtype=torch.long)
    stream[0] = int(torch.randint(vocab_size, (1,), generator=generator))
    for position in range(1, stream.numel()):
        stream[position] = torch.multinomial(transitions[stream[position - 1]], 1,
                                             generator=generator)
    windows = stream.unfold(0, length, 1)[:samples]
    return windows.clone(), stream[length : length + samples].clone()


@dataclass(frozen=True)
class TrainedLanguageModel:
    """The model, its data, the minimiser ``theta`` of the decayed :math:`L_k`, and diagnostics."""

    model: TinyTransformer
    windows: torch.Tensor
    targets: torch.Tensor
    k: int
    decay: float
    theta: torch.Tensor
    gradient_norm: float
    iterations: int

    def objective(self, count: int, added: int | None = None) -> Objective:
        """:math:`L_{count}` (cross-entropy mean over the first ``count`` samples, no decay).

        With ``added``, the mean over the first ``count`` samples plus sample ``added``
        (another candidate for the :math:`(k+1)`-th sample).
        """
        windows, targets = self.windows[:count], self.targets[:count]
        if added is not None:
            windows = torch.cat([windows, self.windows[added : added + 1]])
            targets = torch.cat([targets, self.targets[added : added + 1]])
        return Objective(self.model, windows, targets, loss="cross_entropy",
                         dtype=torch.float64, device=self.theta.device)


def train_to_minimiser(
    *,
    vocab_size: int,
    dim: int,
    layers: int,
    length: int,
    k: int,
    decay: float = 1e-3,
    seed: int = 0,
    device: str = "cpu",
    max_iterations: int = 400,
    spare: int = 1,
) -> TrainedLanguageModel:
    r"""Train a :class:`TinyTransformer` towards a minimiser of the decayed :math:`L_k`.

    The objective is :math:`L_k(\theta) + \frac\lambda2\|\theta\|^2`.

    Draws ``k + spare`` samples (each of the last ``spare`` can be the added one; by default
    the ``(k+1)``-th). Full-batch L-BFGS (strong
    Wolfe) in float64; ``gradient_norm`` reports :math:`\|\nabla(L_k+\frac\lambda2\|\theta\|^2)\|`.
    """
    windows, targets = markov_corpus(vocab_size, length, k + max(1, spare), seed)
    model = TinyTransformer(vocab_size=vocab_size, dim=dim, heads=2, layers=layers,
                            max_length=length, seed=seed).double().to(device)
    windows, targets = windows.to(device), targets.to(device)
    objective = Objective(model, windows[:k], targets[:k], loss="cross_entropy",
                          dtype=torch.float64, device=device)
    theta = objective.theta.clone().requires_grad_(True)
    optimizer = torch.optim.LBFGS([theta], lr=1.0, max_iter=max_iterations, history_size=50,
                                  tolerance_grad=1e-10, tolerance_change=1e-16,
                                  line_search_fn="strong_wolfe")
    evaluations = 0

    def closure() -> torch.Tensor:
        nonlocal evaluations
        evaluations += 1
        optimizer.zero_grad()
        value = objective(theta) + 0.5 * decay * theta.square().sum()
        value.backward()
        return value

    optimizer.step(closure)
    final = theta.detach().clone().requires_grad_(True)
    value = objective(final) + 0.5 * decay * final.square().sum()
    (gradient,) = torch.autograd.grad(value, final)
    with torch.no_grad():  # later objectives (and their HVPs) read the module's parameters
        torch.nn.utils.vector_to_parameters(final.detach(), model.parameters())
    return TrainedLanguageModel(
        model=model, windows=windows, targets=targets, k=k, decay=decay, theta=final.detach(),
        gradient_norm=float(gradient.norm()), iterations=evaluations,
    )
