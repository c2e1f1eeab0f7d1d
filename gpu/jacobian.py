r"""Dense output Jacobians, empirical NTK Gram matrices and the exact trace of :math:`H_{\rm eff}`.

For a network :math:`f(\theta; x)\in\mathbb{R}^K` and inputs :math:`x_1,\dots,x_n`, the output
Jacobian stacks :math:`J_i = \partial f(x_i)/\partial\theta \in \mathbb{R}^{K\times p}`. Paper
000 (Eq. 7 and Sec. 2) defines the effective curvature

.. math:: H_{\rm eff} = \frac{1}{n}\sum_{i=1}^n J_i^\top J_i = \frac{1}{n} J^\top J,

and the (unnormalised) empirical NTK Gram matrix is :math:`\Theta = J J^\top`. Everything
here is exact (no sampling): per-sample Jacobians are built with ``torch.func.vmap`` over
``torch.func.jacrev`` and processed in chunks of samples so the working set stays bounded.
Row order of the stacked Jacobian is sample-major: row :math:`iK + k` is output :math:`k` of
sample :math:`i`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from .adapter import FunctionalModel
from .memory import check_memory, chunk_size_for
from .parameters import ParameterSelection
from .results import TraceResult

__all__ = ["effective_curvature_trace", "jacobian_chunks", "ntk_gram", "output_jacobian"]


def jacobian_chunks(
    functional: FunctionalModel,
    inputs: torch.Tensor,
    chunk_size: int | None = None,
    memory_budget: int | None = None,
) -> Iterator[torch.Tensor]:
    """Yield per-sample Jacobians chunk by chunk, each of shape ``(c, K, p)``.

    ``inputs`` must already be validated by :meth:`FunctionalModel.inputs`.
    """
    num_outputs = functional.output_dim(inputs)
    itemsize = functional.theta.element_size()
    size = chunk_size_for(
        inputs.shape[0], num_outputs * functional.num_parameters * itemsize, chunk_size,
        memory_budget,
    )
    per_sample = torch.func.vmap(
        torch.func.jacrev(functional.sample_output), in_dims=(None, 0)
    )
    with functional.evaluating():
        for chunk in functional.chunks(inputs, size):
            yield per_sample(functional.theta, chunk).detach()


def _prepare(
    model: torch.nn.Module,
    inputs: Any,
    parameters: ParameterSelection,
    device: torch.device | str | None,
    dtype: torch.dtype | None,
) -> tuple[FunctionalModel, torch.Tensor, int]:
    functional = FunctionalModel(model, parameters=parameters, device=device, dtype=dtype)
    tensor = functional.inputs(inputs)
    return functional, tensor, functional.output_dim(tensor)


def _squeeze_scalar(jacobian: torch.Tensor) -> torch.Tensor:
    return jacobian[:, 0, :] if jacobian.shape[1] == 1 else jacobian


def output_jacobian(
    model: torch.nn.Module,
    inputs: Any,
    *,
    parameters: ParameterSelection = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    chunk_size: int | None = None,
    memory_budget: int | None = None,
) -> torch.Tensor:
    r"""Return the dense output Jacobian :math:`J_{i\cdot} = \partial f(x_i)/\partial\theta`.

    Parameters
    ----------
    model
        Any module mapping a batch ``(n, ...)`` to ``(n,)``, ``(n, 1)`` or ``(n, *rest)``.
    inputs
        A batch of ``n`` inputs (tensor or array-like).
    parameters
        Subset :math:`\theta` (names, ``nn.Parameter`` objects or a module prefix; default
        all trainable parameters).
    device
        ``None`` (model's device), ``"auto"`` (CUDA when present) or a device.
    dtype
        Compute dtype, e.g. ``torch.float64`` for checks (default: the model's).
    chunk_size
        Samples per vmap call (default: chosen from ``memory_budget``).
    memory_budget
        Bytes allowed for the dense result (default 2 GiB).

    Returns
    -------
    torch.Tensor
        Shape ``(n, p)`` for scalar outputs, ``(n, K, p)`` for ``K > 1`` outputs.

    Raises
    ------
    MemoryBudgetError
        If :math:`nKp` entries exceed ``memory_budget``.
    ShapeError, NonFiniteError, ParameterError
        For malformed inputs or selections.

    Examples
    --------
    Linear regression :math:`f(x) = w^\top x` has :math:`J = X`:

    >>> model = torch.nn.Linear(3, 1, bias=False)
    >>> X = torch.eye(3)[:2]
    >>> output_jacobian(model, X)
    tensor([[1., 0., 0.],
            [0., 1., 0.]])
    """
    functional, tensor, num_outputs = _prepare(model, inputs, parameters, device, dtype)
    n, p = tensor.shape[0], functional.num_parameters
    check_memory(n * num_outputs * p * functional.theta.element_size(),
                 f"dense Jacobian ({n}, {num_outputs}, {p})", memory_budget)
    blocks = list(jacobian_chunks(functional, tensor, chunk_size, memory_budget))
    return _squeeze_scalar(torch.cat(blocks))


def ntk_gram(
    model: torch.nn.Module,
    inputs: Any,
    *,
    parameters: ParameterSelection = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    chunk_size: int | None = None,
    memory_budget: int | None = None,
) -> torch.Tensor:
    r"""Return the unnormalised empirical NTK Gram matrix :math:`\Theta = J J^\top`.

    :math:`\Theta_{(i,k),(j,l)} = \langle \partial f_k(x_i)/\partial\theta,\,
    \partial f_l(x_j)/\partial\theta\rangle`, exact. Divide by :math:`n` (or by the paper's
    :math:`D`) yourself if a normalised kernel is wanted. When the whole Jacobian fits in
    half the budget it is computed once; otherwise Jacobian chunks are recomputed per block.
    Arguments are those of :func:`output_jacobian`.

    Returns
    -------
    torch.Tensor
        ``(n, n)`` for scalar outputs, ``(nK, nK)`` in sample-major order otherwise.

    Raises
    ------
    MemoryBudgetError
        If the ``(nK)^2`` Gram matrix exceeds ``memory_budget``.

    Examples
    --------
    For :math:`f(x) = w^\top x`, :math:`\Theta = X X^\top`:

    >>> model = torch.nn.Linear(2, 1, bias=False)
    >>> ntk_gram(model, torch.tensor([[1.0, 1.0], [2.0, 0.0]]))
    tensor([[2., 2.],
            [2., 4.]])
    """
    functional, tensor, num_outputs = _prepare(model, inputs, parameters, device, dtype)
    n, p = tensor.shape[0], functional.num_parameters
    itemsize = functional.theta.element_size()
    rows = n * num_outputs
    check_memory(rows * rows * itemsize, f"NTK Gram matrix ({rows}, {rows})", memory_budget)
    budget_left = None if memory_budget is None else memory_budget - rows * rows * itemsize
    gram = torch.empty(rows, rows, dtype=functional.dtype, device=functional.device)
    size = chunk_size_for(n, num_outputs * p * itemsize, chunk_size, budget_left)
    cached: list[torch.Tensor] | None = None
    if budget_left is None or 2 * rows * p * itemsize <= budget_left:
        cached = [b.reshape(-1, p) for b in jacobian_chunks(functional, tensor, size)]
    for i, start_i in enumerate(range(0, n, size)):
        left = cached[i] if cached is not None else _block(functional, tensor, start_i, size)
        for j, start_j in enumerate(range(0, n, size)):
            if j < i:
                continue
            right = cached[j] if cached is not None else _block(functional, tensor, start_j, size)
            block = left @ right.T
            rows_i = slice(start_i * num_outputs, start_i * num_outputs + left.shape[0])
            rows_j = slice(start_j * num_outputs, start_j * num_outputs + right.shape[0])
            gram[rows_i, rows_j] = block
            gram[rows_j, rows_i] = block.T
    return gram


def _block(
    functional: FunctionalModel, inputs: torch.Tensor, start: int, size: int
) -> torch.Tensor:
    chunk = inputs[start : start + size]
    (jacobian,) = jacobian_chunks(functional, chunk, chunk_size=chunk.shape[0])
    return jacobian.reshape(-1, functional.num_parameters)


def effective_curvature_trace(
    model: torch.nn.Module,
    inputs: Any,
    *,
    parameters: ParameterSelection = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    chunk_size: int | None = None,
    memory_budget: int | None = None,
) -> TraceResult:
    r"""Return the exact :math:`\operatorname{Tr}H_{\rm eff} = \frac1n\sum_i\|J_i\|_F^2`.

    Paper 000, Eq. 7 with the empirical expectation over ``inputs``; for :math:`K` outputs
    the squared Frobenius norm sums over outputs (no division by :math:`K`). Computed from
    per-sample Jacobians chunk by chunk, never holding more than one chunk. Arguments are
    those of :func:`output_jacobian`; ``memory_budget`` only sizes the chunks.

    Returns
    -------
    TraceResult
        ``method="exact"``, ``stderr=0``, ``samples=n``; ``float(result)`` gives the value.

    Examples
    --------
    For :math:`f(x) = w^\top x`, :math:`\operatorname{Tr}H_{\rm eff} = \|X\|_F^2/n`:

    >>> model = torch.nn.Linear(2, 1, bias=False)
    >>> float(effective_curvature_trace(model, torch.tensor([[1.0, 1.0], [2.0, 0.0]])))
    3.0
    """
    functional, tensor, _ = _prepare(model, inputs, parameters, device, dtype)
    total = torch.zeros((), dtype=functional.dtype, device=functional.device)
    for block in jacobian_chunks(functional, tensor, chunk_size, memory_budget):
        total = total + block.square().sum()
    n = tensor.shape[0]
    return TraceResult(float(total) / n, 0.0, matvecs=0, samples=n, method="exact")
