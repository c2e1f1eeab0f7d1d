"""Typed errors raised by theorylab.

Every error a user can trigger with bad input derives from :class:`TheorylabError`, carries
a one-line message naming the problem and what is allowed, and maps to exit code 2 in the
CLI. Nothing here is raised for internal bugs.
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailableError",
    "DtypeError",
    "MemoryBudgetError",
    "NonFiniteError",
    "NotPSDError",
    "NotSymmetricError",
    "ParameterError",
    "ResultsFileError",
    "ShapeError",
    "StabilityError",
    "TheorylabError",
    "UnknownClaimError",
]


class TheorylabError(ValueError):
    """Base class: bad input that theorylab detected and explains in one line."""

    exit_code: int = 2


class ShapeError(TheorylabError):
    """An array has the wrong number of dimensions or mismatched sizes."""


class DtypeError(TheorylabError):
    """An array has a dtype that cannot be converted to a real floating type."""


class NonFiniteError(TheorylabError):
    """An array contains NaN or infinite entries."""


class NotSymmetricError(TheorylabError):
    """A matrix that must be symmetric is not (beyond its stated tolerance)."""


class NotPSDError(TheorylabError):
    """A matrix that must be positive semi-definite has a negative eigenvalue."""


class ParameterError(TheorylabError):
    """A scalar parameter (noise level, learning rate, batch size, ...) is out of range."""


class StabilityError(ParameterError):
    """A learning rate lies at or past the stability limit that the formula requires."""


class UnknownClaimError(TheorylabError, LookupError):
    """No claim in the catalogue matches the requested id or pattern."""


class ResultsFileError(TheorylabError):
    """A results file is missing, unreadable, unsafe or not a theorylab report."""


class BackendUnavailableError(TheorylabError):
    """The requested backend (torch, CUDA) is not installed or not present."""


class MemoryBudgetError(TheorylabError, MemoryError):
    """A dense request would exceed the user-set memory budget."""
