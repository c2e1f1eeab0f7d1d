"""Seeded random probe vectors (no global random state).

Probes are drawn on the CPU from a :class:`torch.Generator` seeded with ``seed`` and then
moved to the operator's device, so a seed gives the same probes on every device.
"""

from __future__ import annotations

import torch

__all__ = ["gaussian_probes", "rademacher_probes"]


def rademacher_probes(
    size: int, count: int, seed: int, *, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Return ``count`` Rademacher (±1) columns of length ``size``, shape ``(size, count)``.

    Examples
    --------
    >>> rademacher_probes(3, 2, seed=0, dtype=torch.float64, device=torch.device("cpu")).abs()
    tensor([[1., 1.],
            [1., 1.],
            [1., 1.]], dtype=torch.float64)
    """
    generator = torch.Generator().manual_seed(seed)
    signs = torch.randint(0, 2, (size, count), generator=generator).to(dtype) * 2 - 1
    return signs.to(device)


def gaussian_probes(
    size: int, count: int, seed: int, *, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Return ``count`` standard normal columns of length ``size``, shape ``(size, count)``."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(size, count, generator=generator, dtype=torch.float64).to(dtype).to(device)
