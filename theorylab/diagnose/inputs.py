r"""Reading a diagnosis's data, and the ``forward`` / ``target`` hooks for dict-shaped batches.

``data`` (and ``held_out``) is ``(inputs, targets)``, a callable returning it, or an iterable
of batches; a batch is an ``(inputs, targets)`` pair or, HuggingFace style, a dict of tensors
(``{"input_ids": ..., "attention_mask": ..., "labels": ...}``) whose values share the leading
sample axis. Two hooks say how to use such batches:

* ``target(batch) -> targets`` takes each raw batch (pair or dict) to its targets; without it
  a pair's second item, or a dict's ``"labels"`` (which then is no input), is the target;
* ``forward(model, inputs) -> outputs`` runs the network on the inputs of some rows (a
  tensor, or a dict of tensors sliced per key); without it the model is called as
  ``model(x)`` or ``model(**inputs)``.

The curvature code (:class:`theorylab.gpu.adapter.FunctionalModel` and what is built on it)
slices, concatenates and ``vmap``\ s one input tensor per problem. So that nothing there
changes, a dict of inputs is *packed* into one ``(n, F)`` floating tensor — every key
flattened per sample and laid side by side (:class:`DictLayout`) — and the model is wrapped
(:class:`HookedModel`) so that it unpacks the rows it is given (integer and boolean keys cast
back exactly) and calls the hook. Every row of the packed tensor is its sample, so per-row
indexing is per-key indexing. Parameter names keep working: a selection by name or prefix is
moved under the wrapper's ``model.`` prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from theorylab.errors import ParameterError, ShapeError, TheorylabError
from theorylab.gpu.parameters import ParameterSelection

__all__ = ["DictLayout", "HookedModel", "InputHooks", "hook_model", "read_data"]

Inputs = torch.Tensor | dict[str, torch.Tensor]
Forward = Callable[[torch.nn.Module, Any], Any]
Target = Callable[[Any], Any]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _call_hook(hook: Callable[..., Any], name: str, *args: Any) -> Any:
    """Call a user hook; its failure is one typed line (ShapeError for torch's RuntimeError)."""
    try:
        return hook(*args)
    except (TheorylabError, torch.OutOfMemoryError):
        raise
    except (RuntimeError, IndexError) as exc:
        raise ShapeError(f"the {name} hook raised {type(exc).__name__}: {_first_line(exc)}") \
            from None
    except Exception as exc:  # the user's code failed: report it, do not crash
        raise ParameterError(f"the {name} hook raised {type(exc).__name__}: "
                             f"{_first_line(exc)}") from None


def _tensor_dict(batch: Mapping[Any, Any], where: str) -> dict[str, torch.Tensor]:
    """A dict batch as ``{key: tensor}`` whose values share the leading sample axis."""
    tensors = {}
    for key, value in batch.items():
        try:
            tensor = value if isinstance(value, torch.Tensor) else torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError):
            raise ShapeError(f"{where}: value {key!r} is a {type(value).__name__}, not a "
                             f"tensor") from None
        if tensor.ndim == 0:
            raise ShapeError(f"{where}: value {key!r} has no leading sample axis")
        tensors[str(key)] = tensor
    if not tensors:
        raise ShapeError(f"{where} is an empty dict")
    lengths = {key: int(t.shape[0]) for key, t in tensors.items()}
    if len(set(lengths.values())) > 1:
        raise ShapeError(f"{where}: the values must share the leading sample axis, got "
                         f"lengths {lengths}")
    return tensors


def _split(batch: Any, target: Target | None, where: str) -> tuple[Inputs, Any]:
    """``(inputs, targets)`` of one raw batch, through the ``target`` hook if given."""
    if isinstance(batch, Mapping):
        inputs = _tensor_dict(batch, where)
        if target is None:
            if "labels" not in inputs:
                raise ParameterError(f"{where} is a dict without 'labels': pass "
                                     f"target=... (--target) to say what the targets are")
            labels = inputs.pop("labels")
            if not inputs:
                raise ShapeError(f"{where} has only 'labels': no inputs")
            return inputs, labels
    elif isinstance(batch, tuple | list) and len(batch) == 2:
        inputs = _tensor_dict(batch[0], where) if isinstance(batch[0], Mapping) else batch[0]
        if target is None:
            return inputs, batch[1]
    else:
        raise ShapeError(f"{where} must be an (inputs, targets) pair or a dict of tensors")
    targets = _call_hook(target, "target", batch)
    if not isinstance(targets, torch.Tensor):
        raise ShapeError(f"the target hook must return a tensor, got {type(targets).__name__}")
    rows = _rows(inputs)
    if targets.ndim == 0 or targets.shape[0] != rows:
        raise ShapeError(f"the target hook returned shape {tuple(targets.shape)} for a batch of "
                         f"{rows} samples")
    return inputs, targets


def _rows(inputs: Inputs) -> int:
    if isinstance(inputs, dict):
        return int(next(iter(inputs.values())).shape[0])
    return int(torch.as_tensor(inputs).shape[0])


def _concatenate(parts: list[Inputs]) -> Inputs:
    if not isinstance(parts[0], dict):
        if any(isinstance(part, dict) for part in parts):
            raise ShapeError("every batch must have the same form (all dicts or all tensors)")
        return torch.cat([torch.as_tensor(part) for part in parts])
    keys = list(parts[0])
    for index, part in enumerate(parts):
        if not isinstance(part, dict) or list(part) != keys:
            got = list(part) if isinstance(part, dict) else type(part).__name__
            raise ShapeError(f"batch {index + 1} has keys {got}, batch 1 has {keys}")
    joined = {}
    for key in keys:
        tails = {tuple(part[key].shape[1:]) for part in parts}
        if len(tails) > 1:
            raise ShapeError(f"value {key!r} has per-sample shapes {sorted(tails)} across "
                             f"batches: pad every batch to one length")
        joined[key] = torch.cat([part[key] for part in parts])
    return joined


def read_data(data: Any, target: Target | None = None) -> tuple[Inputs, torch.Tensor]:
    """``(inputs, targets)`` from a pair, a callable returning one, or an iterable of batches.

    Inputs are one tensor, or a dict of tensors when the batches are dicts; the targets come
    from ``target(batch)`` when it is given.
    """
    if target is not None and not callable(target):
        raise ParameterError(f"target must be callable, got {type(target).__name__}")
    if callable(data) and not isinstance(data, torch.Tensor):
        data = data()
    if isinstance(data, Mapping) or (isinstance(data, tuple | list) and len(data) == 2
                                     and not isinstance(data[0], tuple | list)
                                     and not isinstance(data[1], Mapping)):
        inputs, targets = _split(data, target, "data")
        return inputs, torch.as_tensor(targets)
    if isinstance(data, torch.Tensor) or hasattr(data, "__array__"):
        raise ShapeError("data must be (inputs, targets): targets are needed for the loss")
    try:
        batches = list(data)
    except TypeError:
        raise ParameterError(
            f"data must be (inputs, targets), a callable returning it, or an iterable of "
            f"(inputs, targets) or dict batches, got {type(data).__name__}"
        ) from None
    if not batches:
        raise ShapeError("the data yielded no batches")
    pairs = [_split(batch, target, f"batch {index + 1}") for index, batch in enumerate(batches)]
    return (_concatenate([inputs for inputs, _ in pairs]),
            torch.cat([torch.as_tensor(targets) for _, targets in pairs]))


@dataclass(frozen=True)
class DictLayout:
    """Where each key of a dict of inputs lies in the packed ``(n, F)`` tensor."""

    keys: tuple[str, ...]
    tails: tuple[tuple[int, ...], ...]
    dtypes: tuple[torch.dtype, ...]
    bounds: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, inputs: dict[str, torch.Tensor]) -> DictLayout:
        """The layout of ``inputs`` (keys in their order, each flattened per sample)."""
        bounds, start = [], 0
        for tensor in inputs.values():
            width = int(tensor[0].numel())
            bounds.append((start, start + width))
            start += width
        return cls(keys=tuple(inputs), tails=tuple(tuple(t.shape[1:]) for t in inputs.values()),
                   dtypes=tuple(t.dtype for t in inputs.values()), bounds=tuple(bounds))

    def pack(self, inputs: Inputs, dtype: torch.dtype) -> torch.Tensor:
        """One ``(n, F)`` tensor of ``dtype``; integers must be exact in it (ParameterError)."""
        if not isinstance(inputs, dict) or tuple(inputs) != self.keys:
            got = list(inputs) if isinstance(inputs, dict) else type(inputs).__name__
            raise ShapeError(f"inputs must be a dict with keys {list(self.keys)}, got {got}")
        exact = 2.0 / torch.finfo(dtype).eps  # 2^(mantissa bits + 1): integers up to it
        columns = []
        for key, tail, tensor in zip(self.keys, self.tails, inputs.values(), strict=True):
            if tuple(tensor.shape[1:]) != tail:
                raise ShapeError(f"value {key!r} has per-sample shape {tuple(tensor.shape[1:])}, "
                                 f"expected {tail}")
            if not tensor.is_floating_point() and tensor.numel() and \
                    float(tensor.abs().max()) > exact:
                raise ParameterError(f"value {key!r} holds integers above {exact:.0f}, not "
                                     f"exact in {dtype}: diagnose with dtype=torch.float64")
            columns.append(tensor.reshape(tensor.shape[0], -1).to(dtype))
        return torch.cat(columns, dim=1)

    def unpack(self, packed: torch.Tensor) -> dict[str, torch.Tensor]:
        """The dict of the packed rows: each key's shape and (integer / boolean) dtype back."""
        batch = {}
        for key, tail, dtype, (start, stop) in zip(self.keys, self.tails, self.dtypes,
                                                   self.bounds, strict=True):
            value = packed[:, start:stop].reshape(packed.shape[0], *tail)
            if dtype == torch.bool:
                value = value != 0
            elif not dtype.is_floating_point:
                value = value.round().to(dtype)
            batch[key] = value
        return batch


class HookedModel(torch.nn.Module):
    """A network that takes packed rows, unpacks them and runs the ``forward`` hook.

    The wrapped network is the submodule ``model`` (parameters ``model.<name>``).
    """

    def __init__(self, model: torch.nn.Module, layout: DictLayout | None,
                 forward: Forward | None) -> None:
        super().__init__()
        self.model = model
        self.layout = layout
        self.hook = forward

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        """Outputs of the rows: ``hook(model, inputs)`` or ``model(**inputs)`` / ``model(x)``."""
        inputs: Any = rows if self.layout is None else self.layout.unpack(rows)
        if self.hook is not None:
            outputs = _call_hook(self.hook, "forward", self.model, inputs)
        elif isinstance(inputs, dict):
            outputs = _call_hook(lambda: self.model(**inputs), "forward")
        else:
            outputs = self.model(inputs)
        if not isinstance(outputs, torch.Tensor):
            raise ShapeError(f"the forward hook must return the outputs as a tensor, got "
                             f"{type(outputs).__name__} (pass forward=... / --forward to pick "
                             f"e.g. the logits)")
        return outputs


def _prefixed(parameters: ParameterSelection) -> ParameterSelection:
    if parameters is None:
        return None
    if isinstance(parameters, str):
        return f"model.{parameters}"
    return [f"model.{item}" if isinstance(item, str) else item for item in parameters]


@dataclass(frozen=True)
class InputHooks:
    """The network and selection the curvature code sees, and how it packs further inputs."""

    model: torch.nn.Module
    parameters: ParameterSelection
    layout: DictLayout | None
    dtype: torch.dtype

    def pack(self, inputs: Inputs) -> Any:
        """Inputs in the form the wrapped network takes (unchanged for plain tensors)."""
        if self.layout is None:
            if isinstance(inputs, dict):
                raise ShapeError("these inputs are a dict, the training inputs were a tensor")
            return inputs
        return self.layout.pack(inputs, self.dtype)


def hook_model(model: torch.nn.Module, inputs: Inputs, *, forward: Forward | None,
               parameters: ParameterSelection,
               dtype: torch.dtype | None) -> InputHooks:
    """Wrap ``model`` when the inputs are a dict or a ``forward`` hook is given."""
    if forward is not None and not callable(forward):
        raise ParameterError(f"forward must be callable, got {type(forward).__name__}")
    floating = next((p.dtype for p in model.parameters() if p.is_floating_point()),
                    torch.get_default_dtype())
    chosen = dtype if dtype is not None else floating
    if forward is None and not isinstance(inputs, dict):
        return InputHooks(model=model, parameters=parameters, layout=None, dtype=chosen)
    layout = DictLayout.of(inputs) if isinstance(inputs, dict) else None
    return InputHooks(model=HookedModel(model, layout, forward),
                      parameters=_prefixed(parameters), layout=layout, dtype=chosen)
