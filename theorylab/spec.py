"""The data model of a verification: claims, their checks, evidence, verdicts, reports.

A :class:`Claim` is data: which paper and equation it comes from, its statement, its
assumptions and conventions, and how close is close enough (:class:`Tolerance`). A check
returns a :class:`Finding`; the engine adds provenance (seed, timing, library versions) to
make :class:`Evidence`, and aggregates the evidence of a claim into a :class:`ClaimResult`.
A :class:`Report` is the JSON-serialisable record of one run.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from enum import Enum
from numbers import Real
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Assumption",
    "CheckKind",
    "CheckSpec",
    "Claim",
    "ClaimKind",
    "ClaimResult",
    "Convention",
    "Counterexample",
    "DerivationStep",
    "Environment",
    "Evidence",
    "Figure",
    "FigureSeries",
    "Finding",
    "Level",
    "Premise",
    "PremiseStatus",
    "Report",
    "Source",
    "Tolerance",
    "Verdict",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Verdict(str, Enum):
    """Outcome of a check or a claim, ordered from strongest support to no information."""

    PROVED = "PROVED"
    """Every symbolic derivation step checks."""
    HOLDS = "HOLDS"
    """Within tolerance on every instance tried."""
    HOLDS_APPROX = "HOLDS_APPROX"
    """Not exact, but inside the stated error law."""
    REFUTED = "REFUTED"
    """A counterexample is attached."""
    INCONCLUSIVE = "INCONCLUSIVE"
    """The computation could not decide (e.g. error law not met, solver failure)."""
    NOT_APPLICABLE = "NOT_APPLICABLE"
    """An assumption of the claim fails on the instance given."""
    SKIPPED = "SKIPPED"
    """The check could not run here (backend missing, level excluded)."""


class CheckKind(str, Enum):
    """The four kinds of evidence theorylab gathers."""

    SYMBOLIC = "symbolic"
    EXACT = "exact"
    PROPERTY = "property"
    TORCH = "torch"


class Level(str, Enum):
    """How much work a verification does: ``quick`` (CPU, minutes) or ``full`` (paper scale)."""

    QUICK = "quick"
    FULL = "full"


class ClaimKind(str, Enum):
    """What sort of mathematical statement a claim is."""

    IDENTITY = "identity"
    INEQUALITY = "inequality"
    EQUIVALENCE = "equivalence"
    APPROXIMATION = "approximation"
    ASYMPTOTIC = "asymptotic"
    EMPIRICAL = "empirical"


class Source(BaseModel):
    """Where a claim is stated: paper file, theorem and equation numbers."""

    model_config = _FROZEN
    paper: str = Field(description="File name under shared/papers, e.g. 000_f0c853046a0e9bbe.txt")
    title: str
    location: str = Field(description="Theorem / section, e.g. 'Theorem 3.2, App. C.1'")
    equations: list[str] = Field(default_factory=list, description="Equation numbers, e.g. ['39']")


class Assumption(BaseModel):
    """One hypothesis of a claim, in words and (optionally) LaTeX."""

    model_config = _FROZEN
    name: str
    statement: str


class Convention(BaseModel):
    """A pinned normalisation or sign convention, e.g. H_eff = JᵀJ/n."""

    model_config = _FROZEN
    name: str
    statement: str


class PremiseStatus(str, Enum):
    """What the premise audit (issue 18) did with a premise a claim's checks could assume."""

    CHECKED_WITHOUT = "checked_without"
    """The statement is checked without the premise: ``checks`` draw instances where it fails."""
    STATED = "stated"
    """The paper needs the premise: it is one of the claim's ``assumptions`` (same ``name``)."""
    NOT_ASSUMED = "not_assumed"
    """The audit found the checks do not rest on it: ``checks`` already cover the whole domain."""


class Premise(BaseModel):
    """A premise a claim's checks could silently assume, and what the audit did about it.

    Independence of coupled quantities, zero means, a particular optimum, symmetric laws,
    equal spectra, a normalisation: each audited premise names the checks that exercise the
    statement without it (``checked_without`` / ``not_assumed``), or is added to the claim's
    assumptions because the paper needs it (``stated``). ``finding`` says what the audit
    found: a verdict that moved, a new counterexample, or why nothing changed.
    """

    model_config = _FROZEN
    name: str
    premise: str = Field(description="The premise in words, e.g. 'label noise has zero mean'")
    status: PremiseStatus
    checks: list[str] = Field(default_factory=list,
                              description="Checks that exercise the statement without it")
    finding: str = Field(description="What the audit found (verdict moved, counterexample, ...)")

    @model_validator(mode="after")
    def _evidence_named(self) -> Premise:
        if self.status is not PremiseStatus.STATED and not self.checks:
            raise ValueError(f"premise {self.name!r} ({self.status.value}) must name the "
                             "checks that exercise the statement without it")
        return self


class Tolerance(BaseModel):
    """How agreement is judged, and why those numbers.

    ``rtol``/``atol`` apply to exact comparisons. ``error_law`` states the model of an
    approximation's error (e.g. ``O(R^{-1/2})`` for Monte Carlo with R runs) that the
    check measures; ``rationale`` says where the numbers come from (dtype, problem size).
    """

    model_config = _FROZEN
    rtol: float = Field(ge=0.0)
    atol: float = Field(default=0.0, ge=0.0)
    error_law: str | None = None
    rationale: str = ""


class CheckSpec(BaseModel):
    """A check registered for a claim: its name, kind, and the levels it runs at."""

    model_config = _FROZEN
    name: str
    kind: CheckKind
    description: str
    levels: list[Level] = Field(default_factory=lambda: [Level.QUICK, Level.FULL])


class Claim(BaseModel):
    """A theorem, lemma or empirical statement from a paper, encoded as the paper states it."""

    model_config = _FROZEN
    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$", description="'<family>.<name>'")
    title: str
    source: Source
    statement: str = Field(description="The statement in LaTeX, as the paper gives it")
    kind: ClaimKind
    assumptions: list[Assumption] = Field(default_factory=list)
    conventions: list[Convention] = Field(default_factory=list)
    tolerance: Tolerance
    checks: list[CheckSpec] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    premises: list[Premise] = Field(
        default_factory=list, description="The premise audit: premises the checks could assume"
    )
    companion_of: str | None = Field(
        default=None, description="For a corrected companion: the id of the claim it corrects"
    )
    notes: str = ""

    @property
    def family(self) -> str:
        """The id's prefix, e.g. ``tpv``."""
        return self.id.split(".", 1)[0]


class DerivationStep(BaseModel):
    """One step of a symbolic derivation: the claimed equality and whether sympy confirms it."""

    model_config = _FROZEN
    name: str
    equation: str = Field(description="Paper equation or step reference, e.g. 'Eq. 31'")
    claim: str = Field(description="What the step asserts, in LaTeX")
    holds: bool
    method: str = Field(description="How sympy checked it (simplify, moment substitution, ...)")
    residual: str = Field(default="0", description="sympy's simplified lhs - rhs")


class Counterexample(BaseModel):
    """A (shrunk) instance on which the claim fails, with what it says and what is true."""

    model_config = _FROZEN
    instance: dict[str, Any]
    claimed: Any = None
    actual: Any = None
    message: str


class FigureSeries(BaseModel):
    """One plotted series: x and y values with a label and a style hint.

    A missing point (NaN or infinite, e.g. a quantity not computed at that size) is stored as
    ``None``: JSON has no NaN, so the report must round-trip it as null.
    """

    model_config = _FROZEN
    label: str
    x: list[float | None]
    y: list[float | None]
    style: str = Field(default="line", pattern="^(line|scatter|band)$")

    @field_validator("x", "y", mode="before")
    @classmethod
    def _missing_points(cls, values: Any) -> Any:
        if isinstance(values, str) or not hasattr(values, "__iter__"):
            return values
        return [
            None if isinstance(v, Real) and not math.isfinite(v) else v for v in values
        ]


class Figure(BaseModel):
    """Data for one figure; reports draw it (matplotlib) rather than store pixels in JSON."""

    model_config = _FROZEN
    title: str
    x_label: str
    y_label: str
    series: list[FigureSeries]
    log_x: bool = False
    log_y: bool = False


class Environment(BaseModel):
    """Library versions and platform a piece of evidence was computed on."""

    model_config = _FROZEN
    python: str
    platform: str
    numpy: str
    scipy: str
    sympy: str
    pydantic: str
    hypothesis: str | None = None
    torch: str | None = None
    theorylab: str
    threads: int | None = None
    """Torch intra-op CPU threads in effect (``None``: torch not imported)."""


class Finding(BaseModel):
    """What a check returns: its verdict and the numbers behind it.

    ``lhs``/``rhs`` are the two sides compared (the paper's formula and the oracle),
    ``residual`` their (relative) discrepancy, ``bound`` the tolerance or error-law bound it
    was compared to. ``sizes`` records the problem dimensions, ``details`` anything else
    (JSON-serialisable) a reader needs to reproduce the judgement.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    verdict: Verdict
    summary: str
    lhs: float | None = None
    rhs: float | None = None
    residual: float | None = None
    bound: float | None = None
    error_law: str | None = None
    sizes: dict[str, int] = Field(default_factory=dict)
    dtype: str = "float64"
    device: str = "cpu"
    backend: str = "numpy"
    instances: int = Field(default=1, ge=0, description="How many instances were examined")
    counterexample: Counterexample | None = None
    steps: list[DerivationStep] = Field(default_factory=list)
    figure: Figure | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @field_validator("lhs", "rhs", "residual", "bound", mode="before")
    @classmethod
    def _plain_float(cls, value: Any) -> Any:
        return None if value is None else float(value)

    @field_validator("details", mode="before")
    @classmethod
    def _plain_details(cls, value: Any) -> Any:
        """NumPy scalars and arrays become plain Python, so the JSON report always writes."""
        return _plain_python(value)


def _plain_python(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain_python(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_python(item) for item in value]
    if hasattr(value, "tolist") and type(value).__module__ == "numpy":  # ndarray or scalar
        return value.tolist()
    return value


class Evidence(Finding):
    """A :class:`Finding` with provenance: claim, check, seed, level, timing, environment."""

    claim_id: str
    check: str
    kind: CheckKind
    level: Level
    seed: int
    seconds: float = Field(ge=0.0)
    environment: Environment


class ClaimResult(BaseModel):
    """The verdict on one claim at one level, and all the evidence behind it."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    claim: Claim
    verdict: Verdict
    reason: str
    evidence: list[Evidence]


class Report(BaseModel):
    """The record of one ``theorylab verify`` / ``prove`` run."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    format: str = Field(default="theorylab.report/1", pattern=r"^theorylab\.report/\d+$")
    created: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    command: str
    level: Level
    seed: int
    backend: str
    device: str
    environment: Environment
    results: list[ClaimResult]

    def counts(self) -> dict[str, int]:
        """Number of claims per verdict."""
        tally: dict[str, int] = {}
        for result in self.results:
            tally[result.verdict.value] = tally.get(result.verdict.value, 0) + 1
        return tally
