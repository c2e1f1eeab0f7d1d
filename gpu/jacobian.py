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

from theorylab.errors import ShapeError

from .adapter import FunctionalModel
from .memory import (
    DEFAULT_MEMORY_BUDGET,
    check_memory,
    chunk_size_for,
    stream_chunk_size,
    sum_of_squares,
)
from .parameters import ParameterSelection
from .results import TraceResult

__all__ = ["effective_curvature_trace", "jacobian_chunks", "ntk_gram", "output_jacobian"]


def jacobian_chunks(
    functional: FunctionalModel,
    inputs: torch.Tensor,
    chunk_size: int | None = None,
    memory_budget: int | None = None,
    *,
    streaming: bool = False,
) -> Iterator[torch.Tensor]:
    """Yield per-sample Jacobians chunk by chunk, each of shape ``(c, K, p)``.

    ``inputs`` must already be validated by :meth:`FunctionalModel.inputs`. ``streaming``:
    the caller drops each chunk once it is reduced, so small chunks are used on the CPU
    (:func:`theorylab.gpu.memory.stream_chunk_size`).
    """
    num_outputs = functional.output_dim(inputs)
    per_sample = num_outputs * functional.num_parameters * functional.theta.element_size()
    size = (stream_chunk_size(inputs.shape[0], per_sample, chunk_size, memory_budget,
                              functional.device) if streaming else
            chunk_size_for(inputs.shape[0], per_sample, chunk_size, memory_budget))
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
    return functional, tensor, _checked_output_dim(functional, tensor)


def _checked_output_dim(functional: FunctionalModel, tensor: torch.Tensor) -> int:
    """``K`` from one forward pass; an input the model cannot take is a ShapeError up front.

    The model is the only authority on the input shape it accepts, so the first sample is
    run once before any Jacobian work; torch's shape error becomes a one-line
    :class:`~theorylab.errors.ShapeError` naming the given shape and, when the first layer
    says, the expected one.
    """
    try:
        return functional.output_dim(tensor)
    except torch.OutOfMemoryError:
        raise
    except (RuntimeError, IndexError) as exc:
        given = tuple(tensor.shape)
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ShapeError(
            f"inputs of shape {given} do not fit the model{_expected_input(functional.module)}: "
            f"{detail}"
        ) from None


def _expected_input(model: torch.nn.Module) -> str:
    """``" (first layer Linear expects (n, 3))"`` when the first layer says; else ``""``."""
    first = next((m for m in model.modules() if not list(m.children())), None)
    if isinstance(first, torch.nn.Linear):
        return f" (first layer Linear expects (n, ..., {first.in_features}))"
    if isinstance(first, torch.nn.Conv1d | torch.nn.Conv2d | torch.nn.Conv3d):
        spatial = ", ".join("..." for _ in first.kernel_size)
        kind = type(first).__name__
        return f" (first layer {kind} expects (n, {first.in_channels}, {spatial}))"
    if isinstance(first, torch.nn.Embedding):
        return f" (first layer Embedding expects integer ids in [0, {first.num_embeddings}))"
    return ""


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
    :math:`D`) yourself if a normalised kernel is wanted. Arguments are those of
    :func:`output_jacobian`; ``memory_budget`` bounds the Gram matrix plus the Jacobian
    columns held at once.

    Every Jacobian entry is computed exactly once. With :math:`B` the budget left after the
    Gram matrix, the Jacobian is held whole when its :math:`nKp` entries take at most
    :math:`3B/4` (one sample chunk's working set takes the rest) and
    :math:`\Theta = JJ^\top` is one product; otherwise the parameters are split into groups
    of whole tensors whose columns :math:`J_g` fit, and :math:`\Theta = \sum_g J_gJ_g^\top`
    (each group repeats the forward pass only). A single tensor too large for a group is
    done out of core by row panels (:func:`_panel_gram`), the one case that recomputes rows.

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
    itemsize = functional.theta.element_size()
    rows = tensor.shape[0] * num_outputs
    check_memory(rows * rows * itemsize, f"NTK Gram matrix ({rows}, {rows})", memory_budget)
    budget = DEFAULT_MEMORY_BUDGET if memory_budget is None else memory_budget
    columns = max(0, 3 * (budget - rows * rows * itemsize) // 4) // (rows * itemsize)
    gram = torch.zeros(rows, rows, dtype=functional.dtype, device=functional.device)
    for group in _parameter_groups(functional, columns):
        member = functional if len(group) == len(functional.names) else FunctionalModel(
            model, parameters=list(group), device=functional.device, dtype=functional.dtype)
        if member.num_parameters <= columns:
            held_gram(gram, held_jacobian(member, tensor, chunk_size, memory_budget))
        else:
            left = max(1, budget - rows * rows * itemsize)
            _panel_gram(member, tensor, num_outputs, gram, chunk_size, left)
    return gram


def held_jacobian(functional: FunctionalModel, inputs: torch.Tensor, chunk_size: int | None,
                  memory_budget: int | None) -> list[tuple[int, torch.Tensor]]:
    """The whole Jacobian as ``(first row, rows)`` blocks, kept as computed (no copy).

    The first phase of :func:`ntk_gram` when :math:`J` fits: :math:`O(np)` work.
    """
    blocks: list[tuple[int, torch.Tensor]] = []
    start = 0
    for chunk in jacobian_chunks(functional, inputs, chunk_size, memory_budget):
        blocks.append((start, chunk.reshape(-1, functional.num_parameters)))
        start += blocks[-1][1].shape[0]
    return blocks


def held_gram(gram: torch.Tensor, blocks: list[tuple[int, torch.Tensor]]) -> torch.Tensor:
    r"""Add :math:`JJ^\top` from held row blocks to ``gram`` (upper block triangle, mirrored).

    The second phase of :func:`ntk_gram`: :math:`O(n^2p)` work. Returns ``gram``.
    """
    for i, (row_i, left) in enumerate(blocks):
        for row_j, right in blocks[i:]:
            _add_block(gram, row_i, left, row_j, right)
    return gram


def _parameter_groups(functional: FunctionalModel, columns: int) -> list[tuple[str, ...]]:
    """Split the selected tensors, in order, into groups of at most ``columns`` entries."""
    groups: list[list[str]] = [[]]
    width = 0
    for name, size in zip(functional.names, functional.sizes, strict=True):
        if groups[-1] and width + size > columns:
            groups.append([])
            width = 0
        groups[-1].append(name)
        width += size
    return [tuple(group) for group in groups]


def _panel_gram(
    functional: FunctionalModel, inputs: torch.Tensor, num_outputs: int, gram: torch.Tensor,
    chunk_size: int | None, budget: int,
) -> None:
    r"""Add :math:`J_gJ_g^\top` when :math:`J_g` does not fit: out-of-core by row panels.

    A panel of as many samples as half of ``budget`` holds is computed once and kept; the
    later samples are streamed past it in chunks (a quarter of the budget), so sample
    :math:`i`'s rows are recomputed once per earlier panel, about :math:`n/(2R)` times for
    panels of :math:`R` samples.
    """
    n, p = inputs.shape[0], functional.num_parameters
    per_sample = num_outputs * p * functional.theta.element_size()
    panel_size = max(1, min(n, budget // (2 * per_sample)))
    step = chunk_size_for(n, per_sample, chunk_size, budget)
    for start in range(0, n, panel_size):
        panel = _rows(functional, inputs[start : start + panel_size], step)
        _add_block(gram, start * num_outputs, panel, start * num_outputs, panel)
        for later in range(start + panel_size, n, step):
            block = _rows(functional, inputs[later : later + step], step)
            _add_block(gram, start * num_outputs, panel, later * num_outputs, block)


def _add_block(gram: torch.Tensor, row_i: int, left: torch.Tensor, row_j: int,
               right: torch.Tensor) -> None:
    r"""Add the block :math:`J_iJ_j^\top` at rows ``row_i``, columns ``row_j``, and its mirror.

    Only blocks with ``row_i <= row_j`` are formed (the Gram matrix is symmetric).
    """
    product = left @ right.T
    gram[row_i : row_i + left.shape[0], row_j : row_j + right.shape[0]] += product
    if row_i != row_j:
        gram[row_j : row_j + right.shape[0], row_i : row_i + left.shape[0]] += product.T


def _rows(functional: FunctionalModel, inputs: torch.Tensor, step: int) -> torch.Tensor:
    """The Jacobian rows of ``inputs``, ``(len(inputs) K, p)``, from chunks of ``step``."""
    chunks = jacobian_chunks(functional, inputs, chunk_size=step)
    return torch.cat([chunk.reshape(-1, functional.num_parameters) for chunk in chunks])


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
    total = torch.zeros((), dtype=torch.float64, device=functional.device)
    for block in jacobian_chunks(functional, tensor, chunk_size, memory_budget, streaming=True):
        total = total + sum_of_squares(block)
    n = tensor.shape[0]
    return TraceResult(float(total) / n, 0.0, matvecs=0, samples=n, method="exact")
