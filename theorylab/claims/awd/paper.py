"""Paper 001's identity, shared by every ``awd.*`` claim's :class:`~theorylab.spec.Source`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from theorylab.papers import citation
from theorylab.registry import CATALOG, CheckFunction
from theorylab.spec import Claim

__all__ = ["PAPER_001", "PAPER_001_TITLE", "awd_check", "cite", "single_threaded"]

T = TypeVar("T")
_DEPTH = [0]

PAPER_001 = "001_6b3d80172d60d67e.txt"
PAPER_001_TITLE = "SGD noise vs curvature: activity-weight duality and the C-H power law"

cite = citation(PAPER_001, PAPER_001_TITLE)
"""``cite(location, *equations)``: the :class:`~theorylab.spec.Source` of a paper-001 claim."""


def single_threaded(function: Callable[..., T]) -> Callable[..., T]:
    """Run ``function`` with BLAS limited to one thread (threadpoolctl, when installed).

    The awd checks work on many small matrices; on a shared CPU, BLAS thread start-up costs
    ~40x the arithmetic. Thread settings are restored on exit; results are unchanged.
    """

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> T:
        if _DEPTH[0]:  # already inside a limited call: entering again costs ~ms each time
            return function(*args, **kwargs)
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # optional: only a speed-up
            return function(*args, **kwargs)
        _DEPTH[0] += 1
        try:
            with threadpool_limits(limits=1):
                return function(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1

    return run


def awd_check(claim: Claim, **options: Any) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function, run :func:`single_threaded`, as a check of ``claim``.

    ``options`` are those of :meth:`theorylab.registry.Registry.check` (``kind``,
    ``description``, ``levels``, ``name``); every awd check runs single-threaded.
    """
    register = CATALOG.check(claim, **options)
    return lambda function: register(single_threaded(function))
