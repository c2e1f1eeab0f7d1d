"""The data of an errata sheet: a paper's refuted claims, why, and the other verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field

from theorylab.errata.exact.common import ExactCheck
from theorylab.papers import Paper
from theorylab.spec import Claim, Counterexample, DerivationStep

__all__ = ["MISSING", "Entry", "HandExample", "Reason", "Sheet"]

MISSING = "—"


@dataclass(frozen=True)
class Reason:
    """One check that refutes the claim, at the levels where it did."""

    check: str
    kind: str
    levels: tuple[str, ...]
    summary: str
    steps: tuple[DerivationStep, ...] = ()
    """The derivation steps that fail (symbolic evidence)."""
    counterexample: Counterexample | None = None


@dataclass(frozen=True)
class HandExample:
    """A counterexample of a few small rationals, re-verified exactly where possible."""

    check: str
    numbers: dict[str, str]
    claimed: str
    actual: str
    message: str
    exact: ExactCheck | None
    numeric_only: str | None = None
    """Why the claim's counterexamples cannot be re-checked exactly (``NUMERIC_ONLY``)."""


@dataclass(frozen=True)
class Entry:
    """One refuted claim of a sheet."""

    claim: Claim
    quick: str
    full: str
    reasons: tuple[Reason, ...]
    hand: HandExample | None
    companion: Claim | None
    companion_quick: str
    companion_full: str
    commands: tuple[str, ...]

    @property
    def refuted_by(self) -> str:
        """The kinds of the refuting evidence, e.g. ``symbolic, exact``."""
        return ", ".join(dict.fromkeys(reason.kind for reason in self.reasons)) or "no"


@dataclass(frozen=True)
class Sheet:
    """A paper's errata: its refuted claims and the verdicts of the others."""

    paper: Paper
    entries: tuple[Entry, ...]
    others: tuple[tuple[str, str, str, str], ...]
    """(id, location, quick, full) of every claim that no level refutes."""
    quick_source: str
    full_sources: tuple[str, ...] = field(default_factory=tuple)
    audited: tuple[Claim, ...] = field(default_factory=tuple)
    """Every claim of the paper (companions too) whose spec lists a premise audit."""
