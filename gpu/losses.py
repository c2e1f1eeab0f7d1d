r"""Per-sample losses :math:`\ell(f, y)` and the empirical risk convention.

Every loss in theorylab.gpu is an average of per-sample terms,

.. math:: L(\theta) = \frac{1}{n}\sum_{i=1}^n \ell\big(f(\theta; x_i), y_i\big),

with

* ``"mse"``: :math:`\ell = \tfrac12\|f - y\|_2^2`, so :math:`L = \frac{1}{2n}\sum_i\|f_i-y_i\|^2`
  and the output Hessian is :math:`I_K`: the GGN is :math:`J^\top J/n = H_{\rm eff}`
  (paper 000, Eq. 7);
* ``"cross_entropy"``: :math:`\ell = -\log\mathrm{softmax}(f)_y` for integer labels
  :math:`y\in\{0,\dots,K-1\}`, output Hessian :math:`\mathrm{diag}(p) - pp^\top`;
* ``"binary_cross_entropy"``: logistic loss :math:`\ell = \log(1+e^f) - yf` for a scalar
  logit and :math:`y\in[0,1]`, output Hessian :math:`p(1-p)`;
* a callable ``loss_fn(outputs, targets)`` returning the *mean* over its batch (like
  ``torch.nn.functional.mse_loss`` with the default reduction); per-sample terms are
  obtained by calling it on one sample at a time under ``vmap``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from theorylab.errors import ParameterError, ShapeError

__all__ = ["Loss", "LossLike", "resolve_loss"]

LossLike = str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _mse(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return 0.5 * (outputs - targets.reshape(outputs.shape)).square().sum(-1)


def _cross_entropy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    log_probabilities = torch.log_softmax(outputs, dim=-1)
    return -log_probabilities.gather(-1, targets.reshape(-1, 1)).squeeze(-1)


def _binary_cross_entropy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logits = outputs.reshape(-1)
    return torch.nn.functional.softplus(logits) - targets.reshape(-1) * logits


@dataclass(frozen=True)
class Loss:
    """A per-sample loss ``per_sample(outputs (b, K), targets) -> (b,)`` with a name."""

    name: str
    per_sample: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    integer_targets: bool = False

    def total(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        r"""Return :math:`\sum_i \ell(f_i, y_i)` over the batch (divide by :math:`n` outside)."""
        return self.per_sample(outputs, targets).sum()

    def check_targets(self, targets: torch.Tensor, samples: int, num_outputs: int) -> None:
        """Raise ShapeError/ParameterError if ``targets`` cannot pair with the outputs."""
        if targets.shape[0] != samples:
            raise ShapeError(f"targets must have {samples} rows (one per input), got shape "
                             f"{tuple(targets.shape)}")
        if self.name == "mse" and targets[0].numel() != num_outputs:
            raise ShapeError(f"mse targets must have {num_outputs} entries per sample, got "
                             f"shape {tuple(targets.shape)}")
        if self.integer_targets:
            if targets.is_floating_point() or targets.ndim != 1:
                raise ShapeError("cross_entropy targets must be a 1-D integer tensor of labels")
            if int(targets.min()) < 0 or int(targets.max()) >= num_outputs:
                raise ParameterError(f"cross_entropy labels must lie in [0, {num_outputs}), got "
                                     f"[{int(targets.min())}, {int(targets.max())}]")


_NAMED = {
    "mse": Loss("mse", _mse),
    "cross_entropy": Loss("cross_entropy", _cross_entropy, integer_targets=True),
    "binary_cross_entropy": Loss("binary_cross_entropy", _binary_cross_entropy),
}


def resolve_loss(loss: LossLike | Loss) -> Loss:
    """Return the :class:`Loss` for a name, a mean-reduced callable or a Loss.

    Raises
    ------
    ParameterError
        For an unknown name or a non-callable.

    Examples
    --------
    >>> resolve_loss("mse").total(torch.tensor([[3.0]]), torch.tensor([1.0]))
    tensor(2.)
    """
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        if loss not in _NAMED:
            raise ParameterError(
                f"loss must be one of {sorted(_NAMED)} or a callable, got {loss!r}"
            )
        return _NAMED[loss]
    if not callable(loss):
        raise ParameterError(f"loss must be a name or a callable, got {type(loss).__name__}")

    def per_sample(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        def one(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            return loss(output.unsqueeze(0), target.unsqueeze(0))

        return torch.func.vmap(one)(outputs, targets)

    return Loss(getattr(loss, "__name__", "callable"), per_sample)
