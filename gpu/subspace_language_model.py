r"""A seeded Markov token stream and a tiny causal LM trained to a minimiser (paper 003, Sec. 6).

The corpus is a first-order Markov chain over ``vocab_size`` tokens whose transition rows are
:math:`\mathrm{softmax}(2\,\xi)`, :math:`\xi` standard normal from a seeded
:class:`torch.Generator` (no downloads). Sample :math:`i` is the window
``stream[i : i + length]`` with next-token target ``stream[i + length]``; the model is
:class:`~theorylab.gpu.models.TinyTransformer` (causal, last-position logits), one sample per
sequence, loss cross-entropy. Training minimises
:math:`F_k = L_k(\theta) + \tfrac\lambda2\|\theta\|^2` (the paper's :math:`L_k` with a ridge
term, i.e. every sample loss carries :math:`\tfrac\lambda2\|\theta\|^2`) by L-BFGS in float64
so that a minimiser exists; the decay term is common to every sample loss, so it cancels in
:math:`L_{k+1}-L_k` and shifts :math:`H^{(k)}` by :math:`\lambda I` only (same eigenvectors).
:func:`polish_to_minimiser` then runs damped Newton (Newton-CG on HVPs, or dense saddle-free
Newton) with a line search towards :math:`\|\nabla F\|\le10^{-8}(1+|F|)` and reports the
extreme Hessian eigenvalues, i.e. whether the point is a verified minimiser.

Why :data:`DECAY` is :math:`10^{-1}` (measured on the quick model, 708 parameters, float64).
The pre-norm blocks and the final LayerNorm make :math:`L_k` invariant, up to LayerNorm's
:math:`\epsilon=10^{-5}`, under scaling of the residual stream (embeddings, attention and MLP
output projections): the decay shrinks that scale, so a minimiser of :math:`F_k` only exists
near the :math:`\epsilon` regime, where the curvature of the other directions grows like
:math:`1/\text{scale}^2` while the radial one stays :math:`\approx\lambda`. With
:math:`\lambda=10^{-3}`, L-BFGS is not budget-limited by a single ``.step()`` (it runs all
``max_iter`` iterations) but by this conditioning: :math:`\|\nabla F\|` stays 0.06-0.6 over
1,200 iterations while :math:`\|\theta\|` falls 10.6 → 7.2 and :math:`F` creeps down, and 40
Newton-CG steps end at :math:`\lambda_{\min}<0`, :math:`\lambda_{\max}\approx10^4`. With
:math:`\lambda=10^{-2}`, 6,000 L-BFGS iterations leave :math:`\|\nabla F\|=0.3` and 40
Newton-CG steps end at :math:`\lambda_{\min}=-0.12`, :math:`\lambda_{\max}=2\cdot10^5` (40
dense saddle-free Newton steps after 1,500 L-BFGS iterations diverge to
:math:`\lambda_{\min}=-263`); with :math:`3\cdot10^{-2}`
dense Newton reaches :math:`\|\nabla F\|=1.4\cdot10^{-9}` at a degenerate point
(:math:`\lambda_{\min}\approx-2\cdot10^{-10}`), not a strict minimiser. With
:math:`\lambda=10^{-1}`, 600 L-BFGS iterations reach :math:`\|\nabla F\|\approx10^{-3}` and
five Newton-CG steps reach :math:`10^{-9}` with :math:`\lambda_{\min}\approx1.1\cdot10^{-3}>0`
(dense Hessian), the same point as 2,000 L-BFGS iterations + dense Newton
(:math:`\lambda=5\cdot10^{-2}` also works: 1,500 iterations,
:math:`\lambda_{\min}=6.6\cdot10^{-4}`).
What that minimiser is: the transformer block's weights are zero (block parameter norm
:math:`<10^{-2}` of :math:`\|\theta\|`, only the output biases :math:`\approx10^{-3}`), so the
model at :math:`w_k^*` is token embedding → final LayerNorm (input std :math:`\approx0.02`,
near the :math:`\sqrt\epsilon` regime, hence :math:`\lambda_{\max}\approx7\cdot10^3`) →
read-out: a bigram model, which is the Bayes predictor of a first-order Markov stream.
Reachable minimisers with the attention/MLP switched on were not found (above).

Second-order stream (``markov_corpus(..., order=2, sharpness=6)``, quick model, seed 0,
k = 128: best bigram table 0.546 nats, trigram 0.283). Plain L-BFGS at λ = 0.1 (50-600
iterations, model seeds 0-6, 2 or 8 heads) still ends at the block-off strict minimiser
(loss 0.614, F = 0.821, ‖θ_blocks‖ 6.5e-4). The homotopy ``continuation=(1e-3,)`` (L-BFGS at
λ = 10⁻³, then at 0.1) and Newton-CG reach a lower critical point (loss 0.432, F = 0.725,
‖θ_blocks‖ 0.64 of ‖θ‖ 2.42, ‖∇F‖ 2e-12 in 11 steps) with the block ACTIVE: uniform
attention (:math:`W_q=W_k=0`), a rank-1 value path. It is not a strict minimiser: the
value/output rotations :math:`W_v\to RW_v,\ W_o\to W_oR^\top` (:math:`R\in O(d)`, across
heads too, since all heads attend uniformly) keep :math:`F`, and their orbit through the point
has dimension 7 = the Hessian's null space. :mod:`theorylab.gpu.subspace_symmetry` checks that
from the parameter layout: every tangent is an exact symmetry (measured), the null space is the
tangent span (principal angles ~1e-11), and :math:`H\succ0` on its
complement (λ_min 3.1e-3): a Morse-Bott (non-strict) local minimiser.
Its seven null eigenvalues come out at about :math:`-4.6\cdot10^{-13}` on one CPU (the
curvature :math:`-\nabla F\cdot M^2\theta/\|M\theta\|^2` that ‖∇F‖ = 2e-12 leaves along the
orbit, plus rounding) and with the other sign on another: both are far inside the roundoff
margin :math:`n\,\epsilon\,\|H\|_2 = 708\cdot2.2\cdot10^{-16}\cdot2175 = 3.4\cdot10^{-10}`,
so :func:`polish_to_minimiser` reports ``second_order = "singular within roundoff"`` and
``minimiser = False`` whatever the sign (:mod:`theorylab.numerics`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from theorylab.errors import ParameterError

from .adapter import Objective
from .models import TinyTransformer
from .subspace_polish import DENSE_LIMIT, PolishReport, polish_to_minimiser

__all__ = [
    "DECAY",
    "DENSE_LIMIT",
    "PolishReport",
    "TrainedLanguageModel",
    "markov_corpus",
    "polish_to_minimiser",
    "train_to_minimiser",
]


DECAY = 0.1  # ridge weight λ of F_k = L_k + λ/2 ‖θ‖²: see the module docstring for why


def markov_corpus(
    vocab_size: int, length: int, samples: int, seed: int, *, order: int = 1,
    sharpness: float = 2.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Return ``(windows (samples, length), next_tokens (samples,))`` from a Markov stream.

    ``order`` 1: transition rows :math:`\mathrm{softmax}(s\,\xi_{a})` over the next token
    given the previous one; ``order`` 2: rows :math:`\mathrm{softmax}(s\,\xi_{ab})` given the
    previous two (a second-order chain: a bigram model is then not the Bayes predictor, the
    window's earlier token matters). :math:`s` = ``sharpness``, :math:`\xi` standard normal
    from a seeded :class:`torch.Generator`. The defaults give the original first-order stream.

    Examples
    --------
    >>> windows, targets = markov_corpus(4, 3, 5, seed=0)
    >>> shifted = bool(torch.equal(windows[1, :2], windows[0, 1:]))
    >>> tuple(windows.shape), tuple(targets.shape), shifted
    ((5, 3), (5,), True)
    >>> tuple(markov_corpus(4, 3, 5, seed=0, order=2, sharpness=6.0)[0].shape)
    (5, 3)
    """
    if vocab_size < 2 or length < 1 or samples < 1:
        raise ParameterError("need vocab_size >= 2, length >= 1, samples >= 1")
    if order not in (1, 2) or not sharpness > 0:
        raise ParameterError("need order in (1, 2) and sharpness > 0")
    generator = torch.Generator().manual_seed(seed)
    shape = (vocab_size,) * (order + 1)
    transitions = torch.softmax(sharpness * torch.randn(*shape, generator=generator), -1)
    stream = torch.empty(samples + length, dtype=torch.long)
    stream[:order] = torch.randint(vocab_size, (order,), generator=generator)
    for position in range(order, stream.numel()):
        row = (transitions[stream[position - 1]] if order == 1
               else transitions[stream[position - 2], stream[position - 1]])
        stream[position] = torch.multinomial(row, 1, generator=generator)
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


def _lbfgs(objective: Objective, theta: torch.Tensor, decay: float, max_iterations: int,
           chunk: int, gradient_tolerance: float) -> int:
    """Chunked L-BFGS on ``objective + decay/2 |theta|^2`` in place; returns evaluations."""
    evaluations = 0

    def closure() -> torch.Tensor:
        nonlocal evaluations
        evaluations += 1
        optimizer.zero_grad()
        value = objective(theta) + 0.5 * decay * theta.square().sum()
        value.backward()
        return value

    optimizer = torch.optim.LBFGS([theta], lr=1.0, max_iter=chunk, history_size=50,
                                  tolerance_grad=gradient_tolerance, tolerance_change=1e-16,
                                  line_search_fn="strong_wolfe")
    done, best = 0, float("inf")
    while done < max_iterations:  # one optimizer: its curvature pairs persist across calls
        budget = min(chunk, max_iterations - done)
        optimizer.param_groups[0]["max_iter"] = budget
        optimizer.param_groups[0]["max_eval"] = 4 * budget  # strong Wolfe: a few per step
        optimizer.step(closure)
        ran = optimizer.state[theta].get("n_iter", 0) - done
        done += max(ran, 1)
        value = float(closure().detach())
        if ran == 0 or value >= best or float(theta.grad.norm()) <= gradient_tolerance:
            break
        best = value
    return evaluations


def train_to_minimiser(
    *,
    vocab_size: int,
    dim: int,
    layers: int,
    length: int,
    k: int,
    decay: float = DECAY,
    seed: int = 0,
    device: str = "cpu",
    max_iterations: int = 400,
    spare: int = 1,
    chunk: int = 100,
    gradient_tolerance: float = 1e-10,
    heads: int = 2,
    order: int = 1,
    sharpness: float = 2.0,
    continuation: tuple[float, ...] = (),
) -> TrainedLanguageModel:
    r"""Train a :class:`TinyTransformer` towards a minimiser of the decayed :math:`L_k`.

    The objective is :math:`L_k(\theta) + \frac\lambda2\|\theta\|^2` (``decay`` = λ).

    Draws ``k + spare`` samples (each of the last ``spare`` can be the added one; by default
    the ``(k+1)``-th). Full-batch L-BFGS (strong Wolfe) in float64, run as repeated
    ``.step()`` calls of ``chunk`` iterations each (torch counts ``max_iter`` per call) until
    ``max_iterations`` iterations in all, :math:`\|\nabla F\|\le` ``gradient_tolerance``,
    or a call that makes no iteration or does not lower :math:`F` (the iteration has stalled).
    On the quick model one call of 150 iterations runs all 150 (161 evaluations): the
    original single ``.step()`` was not cut short, the budget and the conditioning were.
    ``gradient_norm`` reports :math:`\|\nabla(L_k+\frac\lambda2\|\theta\|^2)\|`;
    ``iterations`` counts objective evaluations. ``heads`` is the attention head count;
    ``order`` and ``sharpness`` select the stream (:func:`markov_corpus`). ``continuation``:
    decays run first, each a fresh L-BFGS of up to ``max_iterations`` iterations, the last
    point warm-starting the next (a homotopy in λ; the default runs ``decay`` alone).
    """
    if chunk < 1 or max_iterations < 1:
        raise ParameterError("need chunk >= 1 and max_iterations >= 1")
    windows, targets = markov_corpus(vocab_size, length, k + max(1, spare), seed, order=order,
                                     sharpness=sharpness)
    model = TinyTransformer(vocab_size=vocab_size, dim=dim, heads=heads, layers=layers,
                            max_length=length, seed=seed).double().to(device)
    windows, targets = windows.to(device), targets.to(device)
    objective = Objective(model, windows[:k], targets[:k], loss="cross_entropy",
                          dtype=torch.float64, device=device)
    theta = objective.theta.clone().requires_grad_(True)
    evaluations = 0
    for stage_decay in (*continuation, decay):  # a fresh optimizer per decay
        evaluations += _lbfgs(objective, theta, stage_decay, max_iterations, chunk,
                              gradient_tolerance)
    final = theta.detach().clone().requires_grad_(True)
    value = objective(final) + 0.5 * decay * final.square().sum()
    (gradient,) = torch.autograd.grad(value, final)
    with torch.no_grad():  # later objectives (and their HVPs) read the module's parameters
        torch.nn.utils.vector_to_parameters(final.detach(), model.parameters())
    return TrainedLanguageModel(
        model=model, windows=windows, targets=targets, k=k, decay=decay, theta=final.detach(),
        gradient_norm=float(gradient.norm()), iterations=evaluations,
    )
