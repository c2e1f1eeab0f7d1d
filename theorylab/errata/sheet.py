"""Building an errata sheet from the quick-level report and the stored full-level runs."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from theorylab.errata.exact.common import instance_numbers
from theorylab.errata.exact.registry import NUMERIC_ONLY, exact_check
from theorylab.errata.model import MISSING, Entry, HandExample, Reason, Sheet
from theorylab.errata.wording import value_text
from theorylab.errors import UnknownPaperError
from theorylab.papers import PAPERS, Paper, paper_for
from theorylab.readme import FullRun
from theorylab.report import load_report
from theorylab.spec import ClaimResult, Evidence, Report

__all__ = ["build_sheet", "resolve_papers"]


def resolve_papers(names: Sequence[str]) -> list[Paper]:
    """The papers named by key (``tpv``) or number (``000``); every paper for none.

    Raises
    ------
    UnknownPaperError
        For a name that is no paper's key or number, suggesting the closest.
    """
    found = []
    for name in names:
        paper = paper_for(name)
        if paper is None or name == paper.file:
            known = [item.key for item in PAPERS] + [item.number for item in PAPERS]
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UnknownPaperError(
                f"unknown paper {name!r}: choose from {', '.join(known)}{hint}"
            )
        found.append(paper)
    return list(dict.fromkeys(found)) or list(PAPERS)


def _full_evidence(files: Sequence[Path]) -> dict[str, list[tuple[str, Evidence]]]:
    """Claim id → (run folder, evidence) of every stored full-level run."""
    found: dict[str, list[tuple[str, Evidence]]] = {}
    for path in sorted(files):
        for result in load_report(path).results:
            for item in result.evidence:
                found.setdefault(result.claim.id, []).append((path.parent.name, item))
    return found


def _reasons(quick: ClaimResult | None, full: list[tuple[str, Evidence]]) -> list[Reason]:
    """The refuting checks, one per name; the evidence with the most detail describes it."""
    by_check: dict[str, list[tuple[str, Evidence]]] = {}
    for level, item in [("quick", e) for e in (quick.evidence if quick else [])] + [
        (f"full ({folder})", e) for folder, e in full
    ]:
        if item.verdict.value == "REFUTED":
            by_check.setdefault(item.check, []).append((level, item))
    reasons = []
    for check, found in by_check.items():
        level, item = max(found, key=lambda pair: (pair[1].counterexample is not None,
                                                   len(pair[1].steps), pair[0] == "quick"))
        reasons.append(Reason(
            check=check,
            kind=item.kind.value,
            levels=tuple(dict.fromkeys(lvl for lvl, _ in found)),
            summary=item.summary,
            steps=tuple(step for step in item.steps if not step.holds),
            counterexample=item.counterexample,
        ))
    return reasons


def _hand_example(claim_id: str, reasons: Sequence[Reason]) -> HandExample | None:
    """The first small counterexample that re-verifies exactly; else the first small one."""
    candidates = []
    for reason in reasons:
        example = reason.counterexample
        numbers = None if example is None else instance_numbers(example.instance)
        if example is None or numbers is None:
            continue
        exact = exact_check(claim_id, reason.check, example)
        candidates.append(HandExample(
            check=reason.check,
            numbers=numbers,
            claimed=value_text(example.claimed),
            actual=value_text(example.actual),
            message=example.message,
            exact=exact if exact is not None and exact.refutes else None,
            numeric_only=NUMERIC_ONLY.get(claim_id),
        ))
    verified = [item for item in candidates if item.exact is not None]
    return (verified or candidates or [None])[0]


def _commands(claim_id: str, reasons: Sequence[Reason]) -> tuple[str, ...]:
    commands = []
    for reason in reasons:
        for level in reason.levels:
            flag = "" if level == "quick" else " --level full"
            commands.append(f"theorylab verify {claim_id}{flag} --kind {reason.kind}")
        if reason.kind == "property":
            commands.append(f"theorylab falsify {claim_id}")
    return tuple(dict.fromkeys(commands))


def build_sheet(paper: Paper, quick: Report, full_files: Sequence[Path], quick_source: str
                ) -> Sheet:
    """The errata of ``paper`` from a quick-level report and the stored full-level runs."""
    full = FullRun(full_files)
    full_evidence = _full_evidence(full_files)
    results = {r.claim.id: r for r in quick.results if paper_for(r.claim.source.paper) == paper}
    claims = {claim_id: result.claim for claim_id, result in results.items()}
    for path in sorted(full_files):  # claims only a full-level run holds
        for result in load_report(path).results:
            if paper_for(result.claim.source.paper) == paper:
                claims.setdefault(result.claim.id, result.claim)
    entries, others = [], []
    for claim_id, claim in claims.items():
        quick_verdict = results[claim_id].verdict.value if claim_id in results else MISSING
        full_verdict = full.verdict(claim_id)
        if claim.companion_of is not None:
            continue
        if "REFUTED" not in (quick_verdict, *full_verdict.replace(";", " ").split()):
            others.append((claim_id, claim.source.location, quick_verdict, full_verdict))
            continue
        reasons = _reasons(results.get(claim_id), full_evidence.get(claim_id, []))
        companion = next((c for c in claims.values() if c.companion_of == claim_id), None)
        companion_id = companion.id if companion else ""
        entries.append(Entry(
            claim=claim,
            quick=quick_verdict,
            full=full_verdict,
            reasons=tuple(reasons),
            hand=_hand_example(claim_id, reasons),
            companion=companion,
            companion_quick=results[companion_id].verdict.value
            if companion_id in results else MISSING,
            companion_full=full.verdict(companion_id) if companion else MISSING,
            commands=_commands(claim_id, reasons),
        ))
    folders = full.folders(list(claims))
    return Sheet(paper, tuple(entries), tuple(others), quick_source,
                 tuple(folder.as_posix() for folder in folders),
                 tuple(claim for claim in claims.values() if claim.premises))
