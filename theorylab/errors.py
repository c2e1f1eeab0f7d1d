"""Typed errors raised by theorylab.

Every error a user can trigger with bad input derives from :class:`TheorylabError`, carries
a one-line message naming the problem and what is allowed, and maps to exit code 2 in the
CLI. Nothing here is raised for internal bugs.
"""

from __future__ import annotations

__all__ = [
    "BackendUnavailableError",
    "ClaimCollisionError",
    "ClaimDefinitionError",
    "ClaimSourceError",
    "DtypeError",
    "MemoryBudgetError",
    "NonFiniteError",
    "NotPSDError",
    "NotSymmetricError",
    "OutputPathError",
    "ParameterError",
    "ProblemTooLargeError",
    "RankDeficientError",
    "ResultsFileError",
    "ShapeError",
    "SingularKernelError",
    "StabilityError",
    "TheorylabError",
    "UnknownClaimError",
    "UnknownPaperError",
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


class RankDeficientError(ParameterError):
    """A matrix that must have full rank is numerically rank-deficient (rank ``r < n``)."""


class SingularKernelError(RankDeficientError, StabilityError):
    """A rank-deficient kernel leaves a marginal (frozen) mode, so a stability measure is undefined.

    Both a :class:`RankDeficientError` (what is wrong with the input) and a
    :class:`StabilityError` (what it means for the dynamics), so either ``except`` catches it.
    """


class ProblemTooLargeError(ParameterError):
    """A computation's estimated cost exceeds its documented size limit (opt-in override)."""


class UnknownClaimError(TheorylabError, LookupError):
    """No claim in the catalogue matches the requested id or pattern."""


class ClaimDefinitionError(TheorylabError):
    """A claim or check is defined wrongly: a check registered twice, or for an unadded claim."""


class ClaimSourceError(TheorylabError):
    """A claim module or ``theorylab.claims`` entry point failed to load (message names it)."""


class ClaimCollisionError(ClaimSourceError, ClaimDefinitionError):
    """Two claim sources define the same claim id (message names both sources)."""


class ResultsFileError(TheorylabError):
    """A results file is missing, unreadable, unsafe or not a theorylab report."""


class OutputPathError(TheorylabError):
    """An output path (``--report DIR``, ``--json FILE``) cannot be created or written."""


class BackendUnavailableError(TheorylabError):
    """The requested backend (torch, CUDA) is not installed or not present."""


class MemoryBudgetError(TheorylabError, MemoryError):
    """A dense request would exceed the user-set memory budget."""


class UnknownPaperError(TheorylabError, LookupError):
    """A paper key or number that names none of the papers (message suggests the closest)."""
