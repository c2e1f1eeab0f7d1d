r"""Per-sample loss Hessians :math:`\nabla^2_\theta\ell_i` of a (small) parameter subset.

Built with ``torch.func.vmap(torch.func.hessian(...))`` over samples; the result is dense,
:math:`n\times p\times p`, so select a small subset (e.g. the last layer) for real networks.

Caveat (torch 2.13, found by the dense-oracle tests): vmapped second derivatives through an
affine :class:`torch.nn.LayerNorm` / :class:`torch.nn.GroupNorm` are wrong. For modules
containing one, each sample's Hessian is instead assembled from :math:`p` unbatched
Hessian-vector products (forward-over-reverse), which are correct but slower.
"""

from __future__ import annotations

from typing import Any

import torch

from .adapter import Objective
from .memory import check_memory, chunk_size_for
from .parameters import ParameterSelection

__all__ = ["per_sample_hessians"]


def per_sample_hessians(
    model: torch.nn.Module,
    inputs: Any,
    targets: Any,
    *,
    loss: Any = "mse",
    parameters: ParameterSelection = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    chunk_size: int | None = None,
    memory_budget: int | None = None,
) -> torch.Tensor:
    r"""Return :math:`H_i = \nabla^2_\theta\,\ell(f(\theta; x_i), y_i)`, shape ``(n, p, p)``.

    The loss Hessian is their mean, :math:`\nabla^2 L = \frac1n\sum_i H_i`. Arguments are
    those of :class:`~theorylab.gpu.operators.HessianOperator.from_model`.

    Raises
    ------
    MemoryBudgetError
        If :math:`np^2` entries exceed ``memory_budget`` (default 2 GiB).

    Examples
    --------
    For :math:`\ell = \frac12(w^\top x - y)^2`, :math:`H_i = x_ix_i^\top`:

    >>> X = torch.tensor([[1.0, 2.0]])
    >>> per_sample_hessians(torch.nn.Linear(2, 1, bias=False), X, torch.zeros(1))
    tensor([[[1., 2.],
             [2., 4.]]])
    """
    objective = Objective(model, inputs, targets, loss=loss, parameters=parameters,
                          device=device, dtype=dtype)
    objective.require_targets()
    functional = objective.functional
    size, n = functional.num_parameters, objective.num_samples
    itemsize = functional.theta.element_size()
    check_memory(n * size * size * itemsize, f"per-sample Hessians ({n}, {size}, {size})",
                 memory_budget)

    def sample_loss(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        outputs = functional.outputs(theta, x.unsqueeze(0))
        return objective.loss.per_sample(outputs, y.unsqueeze(0))[0]

    if any(isinstance(m, _VMAP_UNSAFE) for m in functional.module.modules()):
        hessians = _unbatched_hessians(sample_loss, size)
    else:
        hessians = torch.func.vmap(torch.func.hessian(sample_loss), in_dims=(None, 0, 0))
    step = chunk_size_for(n, size * size * itemsize, chunk_size, memory_budget)
    blocks = []
    with functional.evaluating():
        for x, y in objective.batches:
            for start in range(0, x.shape[0], step):
                chunk = slice(start, start + step)
                blocks.append(hessians(functional.theta, x[chunk], y[chunk]).detach())
    return torch.cat(blocks)


_VMAP_UNSAFE = (torch.nn.LayerNorm, torch.nn.GroupNorm)


def _unbatched_hessians(sample_loss: Any, size: int) -> Any:
    """Per-sample Hessians from ``size`` unbatched HVPs each (no vmap; see module caveat)."""

    def hessians(theta: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> Any:
        identity = torch.eye(size, dtype=theta.dtype, device=theta.device)
        result = []
        for x, y in zip(inputs, targets, strict=True):
            gradient = torch.func.grad(lambda t, x=x, y=y: sample_loss(t, x, y))
            columns = [torch.func.jvp(gradient, (theta,), (e,))[1] for e in identity]
            result.append(torch.stack(columns, dim=1))
        return torch.stack(result)

    return hessians
