"""Plain-text pieces shared by the Markdown and HTML renderers of :mod:`theorylab.report`.

Numbers, JSON snippets, sources, tolerances, environments, verdict counts and evidence rows
come out the same in both formats; each renderer escapes them for its own syntax.
"""

from __future__ import annotations

import json
from typing import Any

from theorylab.spec import CheckKind, ClaimResult, Environment, Evidence, Report, Verdict

_MISSING = "—"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _shorten(text: str, width: int) -> str:
    text = _one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _number(value: float | None, spec: str = ".6g") -> str:
    return _MISSING if value is None else format(value, spec)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _equations(equations: list[str]) -> str:
    if not equations:
        return ""
    label = "Eq." if len(equations) == 1 else "Eqs."
    return f"{label} " + ", ".join(f"({equation})" for equation in equations)


def _source_text(result: ClaimResult) -> str:
    source = result.claim.source
    parts = [f"{source.title} ({source.paper})", source.location, _equations(source.equations)]
    return ", ".join(part for part in parts if part)


def _tolerance_text(result: ClaimResult) -> str:
    tolerance = result.claim.tolerance
    text = f"rtol {tolerance.rtol:g}, atol {tolerance.atol:g}"
    if tolerance.error_law:
        text += f"; error law {tolerance.error_law}"
    if tolerance.rationale:
        text += f" — {tolerance.rationale}"
    return text


def _environment_text(environment: Environment) -> str:
    parts = [f"Python {environment.python}", environment.platform]
    for library in ("numpy", "scipy", "sympy", "pydantic", "hypothesis", "torch", "theorylab"):
        version = getattr(environment, library)
        if version is not None:
            parts.append(f"{library} {version}")
    if environment.threads is not None:
        parts.append(f"{environment.threads} torch CPU thread(s)")
    return " · ".join(parts)


def _environments(result: ClaimResult, fallback: Environment) -> list[Environment]:
    distinct: list[Environment] = []
    for evidence in result.evidence:
        if evidence.environment not in distinct:
            distinct.append(evidence.environment)
    return distinct or [fallback]


def _counts_text(report: Report) -> str:
    counts = report.counts()
    present = [f"{v.value} {counts[v.value]}" for v in Verdict if v.value in counts]
    return " · ".join(present) or "no claims"


def _evidence_row(evidence: Evidence) -> list[str]:
    return [
        evidence.check,
        evidence.kind.value,
        evidence.verdict.value,
        _number(evidence.lhs),
        _number(evidence.rhs),
        _number(evidence.residual, ".3g"),
        _number(evidence.bound, ".3g"),
        str(evidence.instances),
        _number(evidence.seconds, ".3f"),
        str(evidence.seed),
    ]


_EVIDENCE_HEADER = [
    "Check",
    "Kind",
    "Verdict",
    "lhs",
    "rhs",
    "Residual",
    "Bound",
    "Instances",
    "Seconds",
    "Seed",
]
_STEP_HEADER = ["Step", "Equation", "Claim", "Holds", "Method", "Residual"]


def _has_steps(evidence: Evidence) -> bool:
    return evidence.kind is CheckKind.SYMBOLIC or bool(evidence.steps)
