"""Where a computation ran: library versions and platform, recorded in every Evidence."""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import sys

from theorylab import __version__
from theorylab.spec import Environment

__all__ = ["current_environment", "torch_available"]


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=1)
def current_environment() -> Environment:
    """Versions of Python, the platform and every library a check may use (cached)."""
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
