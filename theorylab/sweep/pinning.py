"""One BLAS / OpenMP / torch thread per running cell.

Every executor runs a cell inside :func:`single_threaded`, so ``N`` workers use ``N`` cores
rather than ``N × cores`` threads, and a cell's floating-point reductions are the same
whether it runs serially, in a loky worker or on a Dask worker (multi-threaded GEMMs and
reductions may sum in a thread-count-dependent order).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["single_threaded"]


@contextmanager
def single_threaded() -> Iterator[None]:
    """Limit BLAS/OpenMP pools (threadpoolctl) and torch's intra-op pool to one thread.

    Torch is pinned only when it is already imported (a cell's module imports it before
    the cell runs); the previous thread counts are restored on exit.
    """
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None and previous is not None:
                torch.set_num_threads(previous)
