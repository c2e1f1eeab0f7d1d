r"""A network as a function of one flat parameter vector: :math:`\theta \mapsto f(\theta; x)`.

:class:`FunctionalModel` wraps any :class:`torch.nn.Module` with
:func:`torch.func.functional_call`: the selected parameters (see
:mod:`theorylab.gpu.parameters`) become the flat vector :math:`\theta\in\mathbb{R}^p`; every
other parameter and buffer is held fixed at a detached copy. The module is evaluated in
eval mode (dropout off, batch-norm running statistics) and its training flags are restored
afterwards; the module itself is never modified.

Outputs are flattened per sample: a model output of shape ``(n,)`` or ``(n, 1)`` is a scalar
output (:math:`K = 1`), ``(n, K)`` has :math:`K` outputs and ``(n, *rest)`` has
:math:`K = \prod \mathrm{rest}` outputs, ordered row-major.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

from theorylab.errors import NonFiniteError, ShapeError

from ._backend import evaluating, require_module, resolve_device, resolve_dtype
from .losses import resolve_loss
from .memory import chunk_size_for
from .parameters import ParameterSelection, select_parameters

__all__ = ["Batch", "FunctionalModel", "Objective", "as_tensor"]


def as_tensor(
    value: Any, name: str, *, device: torch.device, dtype: torch.dtype | None
) -> torch.Tensor:
    """Return ``value`` as a finite tensor with a leading sample axis on ``device``.

    Floating (and, when ``dtype`` is given, boolean) entries are cast to ``dtype``; integer
    entries (token ids, class labels) keep their integer dtype.

    Raises
    ------
    ShapeError
        If the tensor is 0-dimensional or has no samples.
    NonFiniteError
        If a floating entry is NaN or infinite.
    """
    tensor = value if isinstance(value, torch.Tensor) else torch.as_tensor(value)
    tensor = tensor.detach().to(device)
    if tensor.is_floating_point() and dtype is not None:
        tensor = tensor.to(dtype)
    if tensor.ndim == 0 or tensor.shape[0] == 0:
        raise ShapeError(f"{name} must have a leading sample axis of length >= 1, got shape "
                         f"{tuple(tensor.shape)}")
    if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
        bad = int((~torch.isfinite(tensor)).sum())
        raise NonFiniteError(f"{name} has {bad} NaN or infinite entries")
    return tensor


class FunctionalModel:
    r"""The map :math:`(\theta, x) \mapsto f(\theta; x) \in \mathbb{R}^K` of a module.

    Parameters
    ----------
    model
        Any :class:`torch.nn.Module`; it is not modified.
    parameters
        Which parameters form :math:`\theta` (default: all trainable).
    device
        ``None`` (the model's device), ``"auto"`` (CUDA when present) or a device.
    dtype
        Floating dtype for parameters, buffers and floating inputs (default: the model's).

    Attributes
    ----------
    theta : torch.Tensor
        The current flat parameter vector, shape ``(p,)``, detached.
    names, shapes, sizes : tuple
        Names, shapes and sizes of the selected parameters, in order.

    Examples
    --------
    >>> layer = torch.nn.Linear(2, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.tensor([[1.0, 2.0]]))
    >>> fm = FunctionalModel(layer)
    >>> fm.outputs(fm.theta, torch.tensor([[3.0, 4.0]]))
    tensor([[11.]])
    """

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        parameters: ParameterSelection = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.module = require_module(model)
        self.device = resolve_device(device, self.module)
        self.dtype = resolve_dtype(dtype, self.module)
        selected = select_parameters(self.module, parameters)
        self.names: tuple[str, ...] = tuple(name for name, _ in selected)
        self.shapes: tuple[torch.Size, ...] = tuple(p.shape for _, p in selected)
        self.sizes: tuple[int, ...] = tuple(p.numel() for _, p in selected)
        chosen = set(self.names)
        named = [*self.module.named_parameters(), *self.module.named_buffers()]
        self._fixed = {n: self._cast(t) for n, t in named if n not in chosen}
        self.theta = torch.cat([self._cast(p).reshape(-1) for _, p in selected])

    def _cast(self, tensor: torch.Tensor) -> torch.Tensor:
        dtype = self.dtype if tensor.is_floating_point() else tensor.dtype
        return tensor.detach().to(device=self.device, dtype=dtype)

    @property
    def num_parameters(self) -> int:
        """Number :math:`p` of selected scalar parameters."""
        return int(self.theta.numel())

    def unflatten(self, theta: torch.Tensor) -> dict[str, torch.Tensor]:
        """Split a flat vector ``(p,)`` into the named parameter tensors."""
        if theta.shape != (self.num_parameters,):
            raise ShapeError(f"theta must have shape ({self.num_parameters},), got "
                             f"{tuple(theta.shape)}")
        pieces = torch.split(theta, list(self.sizes))
        return {n: t.view(s) for n, t, s in zip(self.names, pieces, self.shapes, strict=True)}

    def inputs(self, value: Any, name: str = "inputs") -> torch.Tensor:
        """Validate ``value`` and move it to this model's device and dtype."""
        return as_tensor(value, name, device=self.device, dtype=self.dtype)

    def evaluating(self) -> contextlib.AbstractContextManager[None]:
        """Context in which the module is in eval mode (flags restored on exit)."""
        return evaluating(self.module)

    def raw(self, theta: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Return the module's output on a batch, unreshaped, at parameters ``theta``."""
        state = {**self._fixed, **self.unflatten(theta)}
        with self.evaluating():
            return torch.func.functional_call(self.module, state, (inputs,))

    def outputs(self, theta: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        r"""Return :math:`f(\theta; x_i)` for a batch as a ``(n, K)`` tensor."""
        output = self.raw(theta, inputs)
        if output.ndim == 0 or output.shape[0] != inputs.shape[0]:
            raise ShapeError(f"model output must have a leading sample axis of length "
                             f"{inputs.shape[0]}, got shape {tuple(output.shape)}")
        return output.reshape(inputs.shape[0], -1)

    def sample_output(self, theta: torch.Tensor, sample: torch.Tensor) -> torch.Tensor:
        r"""Return :math:`f(\theta; x) \in \mathbb{R}^K` for one sample (vmap-friendly)."""
        return self.outputs(theta, sample.unsqueeze(0)).squeeze(0)

    def output_dim(self, inputs: torch.Tensor) -> int:
        """Return :math:`K` by running the model on the first sample."""
        with torch.no_grad():
            return int(self.outputs(self.theta, inputs[:1]).shape[1])

    def chunks(self, inputs: torch.Tensor, chunk_size: int) -> Iterator[torch.Tensor]:
        """Yield consecutive slices of ``inputs`` with at most ``chunk_size`` samples."""
        for start in range(0, inputs.shape[0], chunk_size):
            yield inputs[start : start + chunk_size]


Batch = tuple[torch.Tensor, torch.Tensor | None]
_DEFAULT_BATCH = 512


class Objective:
    r"""Empirical risk :math:`L(\theta) = \frac1n\sum_i \ell(f(\theta; x_i), y_i)` over batches.

    Parameters
    ----------
    model
        An :class:`torch.nn.Module` or an existing :class:`FunctionalModel`.
    inputs
        A tensor/array of ``n`` inputs, or an iterable of batches, each ``(x, y)`` or ``x``
        (it is read once and kept; targets may be omitted for output-only operators).
    targets
        Targets aligned with ``inputs`` when ``inputs`` is a tensor (see
        :mod:`theorylab.gpu.losses` for their form).
    loss
        ``"mse"`` (default; :math:`\ell=\frac12\|f-y\|^2`), ``"cross_entropy"``,
        ``"binary_cross_entropy"`` or a mean-reduced callable.
    parameters, device, dtype
        As for :class:`FunctionalModel` (ignored when ``model`` is one).
    chunk_size
        Samples per batch when ``inputs`` is a tensor (default 512).

    Examples
    --------
    >>> layer = torch.nn.Linear(1, 1, bias=False)
    >>> objective = Objective(layer, torch.ones(2, 1), torch.zeros(2))
    >>> bool(objective(torch.tensor([3.0])) == 4.5)  # (1/2n) * sum (3 - 0)^2
    True
    """

    def __init__(
        self,
        model: torch.nn.Module | FunctionalModel,
        inputs: Any,
        targets: Any = None,
        *,
        loss: Any = "mse",
        parameters: ParameterSelection = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        chunk_size: int | None = None,
    ) -> None:
        self.functional = (
            model
            if isinstance(model, FunctionalModel)
            else FunctionalModel(model, parameters=parameters, device=device, dtype=dtype)
        )
        self.loss = resolve_loss(loss)
        if isinstance(inputs, torch.Tensor) or hasattr(inputs, "__array__"):
            x = self.functional.inputs(inputs)
            y = None if targets is None else self._targets(targets)
            size = chunk_size_for(x.shape[0], 1, chunk_size or _DEFAULT_BATCH)
            self.batches: list[Batch] = [
                (x[s : s + size], None if y is None else y[s : s + size])
                for s in range(0, x.shape[0], size)
            ]
        else:
            if targets is not None:
                raise ShapeError("pass targets inside the batches when inputs is an iterable")
            self.batches = [self._batch(item) for item in inputs]
        if not self.batches:
            raise ShapeError("the batch iterator yielded no batches")
        self.num_samples = sum(x.shape[0] for x, _ in self.batches)
        self.num_outputs = self.functional.output_dim(self.batches[0][0])
        self.has_targets = all(y is not None for _, y in self.batches)
        for x, y in self.batches:
            if y is not None:
                self.loss.check_targets(y, x.shape[0], self.num_outputs)

    def _targets(self, value: Any) -> torch.Tensor:
        tensor = as_tensor(value, "targets", device=self.functional.device, dtype=None)
        if not self.loss.integer_targets:
            tensor = tensor.to(self.functional.dtype)
        return tensor

    def _batch(self, item: Any) -> Batch:
        if isinstance(item, tuple | list):
            if len(item) != 2:
                raise ShapeError(
                    f"a batch must be (inputs, targets) or inputs, got {len(item)} items"
                )
            return self.functional.inputs(item[0]), self._targets(item[1])
        return self.functional.inputs(item), None

    @property
    def theta(self) -> torch.Tensor:
        """The flat parameter vector the model was built with, shape ``(p,)``."""
        return self.functional.theta

    def require_targets(self) -> None:
        """Raise ShapeError if some batch lacks targets (needed by loss-based operators)."""
        if not self.has_targets:
            raise ShapeError("this operator needs targets; pass targets= or (x, y) batches")

    def outputs(self, theta: torch.Tensor) -> torch.Tensor:
        r"""Return all outputs :math:`f(\theta; x_i)`, shape ``(n, K)``."""
        return torch.cat([self.functional.outputs(theta, x) for x, _ in self.batches])

    def batch_loss(self, theta: torch.Tensor, batch: Batch) -> torch.Tensor:
        r"""Return :math:`\frac1n\sum_{i\in b}\ell_i`, the batch's share of :math:`L`."""
        x, y = batch
        return self.loss.total(self.functional.outputs(theta, x), y) / self.num_samples

    def __call__(self, theta: torch.Tensor) -> torch.Tensor:
        r"""Return :math:`L(\theta)`."""
        self.require_targets()
        return torch.stack([self.batch_loss(theta, b) for b in self.batches]).sum()
