"""Errata sheets: one per paper, of the published statements the computations refute.

``theorylab errata [PAPER ...]`` writes ``errata-<key>.md``, ``.html`` (self-contained) and
``.tex`` (a standalone ``article``) for each paper, generated from the verdicts at both
levels and never written by hand: the quick level from a results file (``--results``, or a
``verify`` run of the paper's claims), the full level from the stored runs under
``reports/*/results.json``, merged by :class:`theorylab.readme.FullRun` as the README's
catalogue tables are. A claim is on the sheet when either level refutes it; for each the
sheet gives where it is (section, theorem, equations), the statement as printed, why it
fails (the failing derivation steps, the counterexample and its two sides), a hand-checkable
counterexample where one exists (:mod:`theorylab.errata_exact`; otherwise it says so), the
corrected companion (``<id>.corrected``) with its verdicts, and the reproducing commands.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

from theorylab.errata_exact import (
    NUMERIC_ONLY,
    ExactCheck,
    exact_check,
    instance_numbers,
    small_rational,
)
from theorylab.errors import OutputPathError, UnknownPaperError
from theorylab.latex_text import latex_to_text
from theorylab.papers import PAPERS, Paper, paper_for
from theorylab.readme import FullRun, _cell
from theorylab.report import load_report
from theorylab.spec import Claim, ClaimResult, Counterexample, DerivationStep, Evidence, Report

__all__ = [
    "Entry",
    "HandExample",
    "Reason",
    "Sheet",
    "UnknownPaperError",
    "build_sheet",
    "output_files",
    "render_markdown",
    "resolve_papers",
    "value_text",
    "write_sheets",
]

SUFFIXES = (".md", ".html", ".tex")
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


def output_files(papers: Sequence[Paper], out: Path) -> list[Path]:
    """The files :func:`write_sheets` writes for ``papers`` into ``out``."""
    return [out / f"errata-{paper.key}{suffix}" for paper in papers for suffix in SUFFIXES]


def value_text(value: Any) -> str:
    """A claimed/actual value for a reader: small rationals exact, other floats to 6 digits.

    Examples
    --------
    >>> value_text(0.9375), value_text(2.4306765580733933), value_text([0.5, "x"])
    ('15/16', '2.43068', '[1/2, x]')
    """
    if isinstance(value, list | tuple):
        return "[" + ", ".join(value_text(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {value_text(item)}" for key, item in value.items()) + "}"
    if isinstance(value, Real) and not isinstance(value, bool):
        exact = small_rational(value)
        return str(exact) if exact is not None else f"{float(value):.6g}"
    return str(value)


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
                 tuple(folder.as_posix() for folder in folders))


def location(claim: Claim) -> str:
    """``Sec. 2.2; App. C, Eq. 6, 7`` — section/theorem and equations, from the spec."""
    equations = claim.source.equations
    return claim.source.location + (f", Eq. {', '.join(equations)}" if equations else "")


def provenance(sheet: Sheet) -> str:
    """The sentence naming the data a sheet is generated from."""
    full = ", ".join(sheet.full_sources) or "none stored"
    return (f"Generated by theorylab errata from the quick-level verdicts in "
            f"{sheet.quick_source} and the full-level runs {full}; do not edit by hand.")


def no_hand_example(entry: Entry) -> str:
    """What a sheet says where no hand-checkable counterexample exists (none is invented)."""
    steps = " (see the failing derivation steps above)" * any(r.steps for r in entry.reasons)
    why = NUMERIC_ONLY.get(entry.claim.id)
    numeric = f" Inherently floating point: {why}." if why else ""
    return f"No exact counterexample: refuted by {entry.refuted_by} evidence{steps}.{numeric}"


def shown_counterexample(entry: Entry, reason: Reason) -> Counterexample | None:
    """The reason's counterexample, unless a failing step or the hand example repeats it."""
    example = reason.counterexample
    if example is None or (reason.steps and "step" in example.instance):
        return None
    return None if entry.hand is not None and entry.hand.check == reason.check else example


def example_message(reason: Reason, example: Counterexample) -> str:
    """The counterexample's message, or nothing where it repeats the evidence summary."""
    return "" if example.message.strip() in reason.summary else example.message


def render_markdown(sheet: Sheet) -> str:
    """The sheet as Markdown (GitHub renders the ``math`` blocks)."""
    paper = sheet.paper
    lines = [f"# Errata: {paper.title}", "",
             f"Paper {paper.number} (`{paper.key}`). {_cell(provenance(sheet))}", "",
             f"{len(sheet.entries)} statement(s) refuted; {len(sheet.others)} other claim(s) "
             "not refuted at either level.", "",
             "| claim | where | quick | full | corrected companion (quick / full) |",
             "|---|---|---|---|---|"]
    for entry in sheet.entries:
        companion = (f"`{entry.companion.id}` ({entry.companion_quick} / {entry.companion_full})"
                     if entry.companion else MISSING)
        lines.append(f"| `{entry.claim.id}` | {_cell(location(entry.claim))} | {entry.quick} "
                     f"| {_cell(entry.full)} | {companion} |")
    for entry in sheet.entries:
        lines += ["", *_markdown_entry(entry)]
    if sheet.others:
        lines += ["", "## Claims not refuted", "", "| claim | where | quick | full |",
                  "|---|---|---|---|"]
        lines += [f"| `{cid}` | {_cell(where)} | {q} | {_cell(f)} |"
                  for cid, where, q, f in sheet.others]
    return "\n".join(lines) + "\n"


def _markdown_entry(entry: Entry) -> list[str]:
    claim = entry.claim
    lines = [f"## `{claim.id}`: {_cell(claim.title)}", "",
             f"- **Where:** {_cell(location(claim))}",
             f"- **Verdict:** quick {entry.quick}; full {_cell(entry.full)}", "",
             "**Statement as printed:**", "", "```math", claim.statement, "```", "",
             f"> {_cell(latex_to_text(claim.statement))}", "", "**Why it fails:**", ""]
    for reason in entry.reasons:
        lines.append(f"- `{reason.check}` ({reason.kind}, {', '.join(reason.levels)}): "
                     f"{_cell(reason.summary)}")
        lines += [f"  - failing step `{_cell(step.name)}` ({_cell(step.equation)}): "
                  f"{_cell(latex_to_text(step.claim))}; residual `{_cell(step.residual)}`"
                  for step in reason.steps]
        example = shown_counterexample(entry, reason)
        if example is not None:
            lines.append(f"  - counterexample: claimed {_cell(value_text(example.claimed))}; "
                         f"actual {_cell(value_text(example.actual))}. "
                         f"{_cell(example_message(reason, example))}")
    lines += ["", "**Hand-checkable counterexample:**", ""]
    hand = entry.hand
    if hand is None:
        lines.append(no_hand_example(entry))
    else:
        lines += [f"From `{hand.check}`: "
                  + "; ".join(f"{_cell(k)} = {_cell(v)}" for k, v in hand.numbers.items()) + ".",
                  "", f"- claimed: {_cell(hand.claimed)}", f"- actual: {_cell(hand.actual)}",
                  f"- {_cell(hand.message)}", f"- {_cell(exact_line(hand))}"]
    lines += ["", "**Corrected statement:**", ""]
    if entry.companion is None:
        lines.append("No corrected companion in the catalogue.")
    else:
        companion = entry.companion
        lines += [f"`{companion.id}`: quick {entry.companion_quick}, full "
                  f"{_cell(entry.companion_full)}.", "", "```math", companion.statement, "```"]
    lines += ["", "**Reproduce:**", "", "```sh", *entry.commands, "```"]
    return lines


def exact_line(hand: HandExample) -> str:
    """Whether the hand example was re-verified in exact arithmetic, and what it found."""
    if hand.exact is None and hand.numeric_only:
        return f"Not re-verified in exact arithmetic: {hand.numeric_only}."
    if hand.exact is None:
        return ("Not re-verified in exact arithmetic by the errata: the numbers above are the "
                "check's own computation on this instance.")
    return (f"Verified in exact arithmetic ({hand.exact.arithmetic}): claimed "
            f"{hand.exact.claimed}; actual {hand.exact.actual}.")


def write_sheets(sheets: Sequence[Sheet], out: Path) -> list[Path]:
    """Write each sheet as Markdown, HTML and LaTeX into ``out``; the paths written."""
    from theorylab.errata_html import render_html
    from theorylab.errata_tex import render_latex

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"--out {out}: {exc.strerror or exc}") from None
    written = []
    for sheet in sheets:
        md, html, tex = output_files([sheet.paper], out)
        for path, text in ((md, render_markdown(sheet)), (html, render_html(sheet)),
                           (tex, render_latex(sheet))):
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
