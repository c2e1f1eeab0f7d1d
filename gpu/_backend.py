"""Torch import guard, device/dtype resolution and the eval-mode context for ``theorylab.gpu``.

Everything here is private plumbing shared by the public modules; nothing is exported.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from theorylab.errors import BackendUnavailableError, DtypeError, ParameterError

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise BackendUnavailableError(
        "theorylab.gpu needs PyTorch; install it with `pip install theorylab[torch]`"
    ) from exc

__all__: list[str] = []


def resolve_device(device: torch.device | str | None, module: torch.nn.Module) -> torch.device:
    """Return the device to compute on.

    ``None`` means the device of ``module``'s first parameter or buffer (CPU if it has none),
    ``"auto"`` picks CUDA when present and the CPU otherwise; anything else goes to
    :class:`torch.device`.

    Raises
    ------
    BackendUnavailableError
        If CUDA is requested but not present.
    ParameterError
        If ``device`` is not a valid device string.
    """
    if device is None:
        for tensor in _tensors(module):
            return tensor.device
        return torch.device("cpu")
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ParameterError(
            f"device must be None, 'auto', 'cpu', 'cuda' or a torch.device, got {device!r}"
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailableError("device 'cuda' was requested but CUDA is not available")
    return resolved


def resolve_dtype(dtype: torch.dtype | None, module: torch.nn.Module) -> torch.dtype:
    """Return the floating dtype to compute in: ``dtype``, else the module's parameter dtype.

    Raises
    ------
    DtypeError
        If ``dtype`` is not a real floating torch dtype.
    """
    if dtype is None:
        for tensor in _tensors(module):
            if tensor.is_floating_point():
                return tensor.dtype
        return torch.get_default_dtype()
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point or dtype.is_complex:
        raise DtypeError(f"dtype must be a real floating torch dtype, got {dtype!r}")
    return dtype


def _tensors(module: torch.nn.Module) -> Iterator[torch.Tensor]:
    yield from module.parameters()
    yield from module.buffers()


@contextlib.contextmanager
def evaluating(module: torch.nn.Module) -> Iterator[None]:
    """Put every submodule in eval mode for the block and restore each training flag after."""
    flags = [(submodule, submodule.training) for submodule in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for submodule, training in flags:
            submodule.training = training


def require_module(model: Any) -> torch.nn.Module:
    """Return ``model`` if it is an :class:`torch.nn.Module`, else raise ParameterError."""
    if not isinstance(model, torch.nn.Module):
        raise ParameterError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model
