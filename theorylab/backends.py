"""Which backend and device a run uses: ``auto`` resolved against what is installed.

Kept apart from :mod:`theorylab.engine` so the engine never imports torch: only
:func:`resolve_device` asks torch for a CUDA device, and only when the backend is torch.
"""

from __future__ import annotations

from theorylab.errors import BackendUnavailableError
from theorylab.provenance import torch_available

__all__ = ["BACKENDS", "DEVICES", "resolve_backend", "resolve_device"]

BACKENDS = ("auto", "numpy", "torch")
DEVICES = ("auto", "cpu", "cuda")


def resolve_backend(backend: str) -> str:
    """``auto`` → ``torch`` when torch is installed, else ``numpy``.

    Raises
    ------
    BackendUnavailableError
        For an unknown backend, or ``torch`` when torch is not installed.
    """
    if backend not in BACKENDS:
        raise BackendUnavailableError(
            f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}"
        )
    if backend == "auto":
        return "torch" if torch_available() else "numpy"
    if backend == "torch" and not torch_available():
        raise BackendUnavailableError(
            "backend 'torch' needs PyTorch: pip install 'theorylab[torch]' (torch==2.13.0 on CPU)"
        )
    return backend


def resolve_device(device: str, backend: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``.

    Raises
    ------
    BackendUnavailableError
        For an unknown device, or ``cuda`` without torch or without a CUDA device.
    """
    if device not in DEVICES:
        raise BackendUnavailableError(
            f"unknown device {device!r}; choose one of {', '.join(DEVICES)}"
        )
    if device == "cpu":
        return "cpu"
    has_cuda = False
    if backend == "torch":
        import torch

        has_cuda = bool(torch.cuda.is_available())
    if device == "cuda" and not has_cuda:
        raise BackendUnavailableError(
            "device 'cuda' requested but no CUDA device is available to torch"
        )
    return "cuda" if has_cuda else "cpu"
