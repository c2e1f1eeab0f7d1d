"""Memory budget for dense requests (dense Jacobians, NTK Gram matrices, ``to_dense``).

A dense request first computes the bytes it would hold and raises
:class:`theorylab.errors.MemoryBudgetError` when they exceed the budget, instead of letting
the allocator fail with an out-of-memory error halfway through. The budget is an explicit
per-call argument (``memory_budget=``, in bytes); ``None`` means
:data:`DEFAULT_MEMORY_BUDGET`. There is no global setting.
"""

from __future__ import annotations

from theorylab.errors import MemoryBudgetError, ParameterError

__all__ = ["DEFAULT_MEMORY_BUDGET", "check_memory", "chunk_size_for"]

DEFAULT_MEMORY_BUDGET: int = 2 * 1024**3
"""Default budget for one dense request: 2 GiB."""

_MAX_AUTO_CHUNK = 256


def _budget(memory_budget: int | None) -> int:
    if memory_budget is None:
        return DEFAULT_MEMORY_BUDGET
    if isinstance(memory_budget, bool) or not isinstance(memory_budget, int) or memory_budget <= 0:
        raise ParameterError(
            f"memory_budget must be a positive int of bytes, got {memory_budget!r}"
        )
    return memory_budget


def check_memory(nbytes: int, what: str, memory_budget: int | None = None) -> None:
    """Raise :class:`MemoryBudgetError` if holding ``nbytes`` for ``what`` exceeds the budget.

    Parameters
    ----------
    nbytes
        Bytes the dense result would occupy.
    what
        Human-readable description used in the message, e.g. ``"dense Jacobian (500, 10^6)"``.
    memory_budget
        Budget in bytes; ``None`` uses :data:`DEFAULT_MEMORY_BUDGET`.

    Raises
    ------
    MemoryBudgetError
        If ``nbytes > memory_budget``.

    Examples
    --------
    >>> check_memory(8 * 100, "a vector of 100 float64", memory_budget=1024)
    """
    budget = _budget(memory_budget)
    if nbytes > budget:
        raise MemoryBudgetError(
            f"{what} needs {nbytes / 1024**2:.1f} MiB, over the memory budget of "
            f"{budget / 1024**2:.1f} MiB; raise memory_budget= or use the matrix-free operator"
        )


def chunk_size_for(
    total: int, bytes_per_item: int, chunk_size: int | None, memory_budget: int | None = None
) -> int:
    """Return how many samples to process at once.

    An explicit ``chunk_size`` wins (clipped to ``total``); otherwise the largest chunk whose
    working set ``chunk * bytes_per_item`` stays within a quarter of the budget, at most 256.

    Raises
    ------
    ParameterError
        If ``chunk_size`` is given and not a positive int.
    """
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
            raise ParameterError(f"chunk_size must be a positive int, got {chunk_size!r}")
        return max(1, min(chunk_size, total))
    automatic = _budget(memory_budget) // (4 * max(1, bytes_per_item))
    return max(1, min(total, _MAX_AUTO_CHUNK, automatic))
