"""Where a computation ran: library versions and platform, recorded in every Evidence."""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import sys

from theorylab import __version__
from theorylab.spec import Environment
from theorylab.threads import torch_threads

__all__ = ["current_environment", "torch_available"]


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def current_environment() -> Environment:
    """Library versions and platform (cached), with torch's CPU threads at this moment.

    The thread count comes from :func:`theorylab.threads.torch_threads`.
    """
    return _versions().model_copy(update={"threads": torch_threads()})


@functools.lru_cache(maxsize=1)
def _versions() -> Environment:
    return Environment(
        python=sys.version.split()[0],
        platform=platform.platform(),
        numpy=_version("numpy") or "missing",
        scipy=_version("scipy") or "missing",
        sympy=_version("sympy") or "missing",
        pydantic=_version("pydantic") or "missing",
        hypothesis=_version("hypothesis"),
        torch=_version("torch"),
        theorylab=__version__,
    )


def torch_available() -> bool:
    """Whether torch is installed, without importing it."""
    return _version("torch") is not None
