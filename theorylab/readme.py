"""Regenerate the README's sample output and claim tables from a results file.

The README keeps the parts that a run decides between marker comments::

    <!-- generated:verify-output -->  ...  <!-- /generated -->
    <!-- generated:catalogue:tpv -->    ...  <!-- /generated -->

``verify-output`` is the piped output of ``theorylab verify --all``, produced by the CLI's
own formatter (:func:`theorylab.console.plain_lines`) and closing line. Each
``catalogue:FAMILY`` region is the table of that family's claims: id, source location (from
the spec), the quick verdict and a one-line evidence summary (from ``--results``), the full
verdict (from the stored full-level runs under ``reports/``) and the hand-written "what the
computation says" column, which is kept from the README as it stands (row order too; claims
new to the results are appended, claims gone from them dropped).

``python -m theorylab.readme --results FILE`` rewrites README.md; with ``--check`` it
rewrites nothing and exits 1 if any verdict in the README disagrees with the results, and
only prints a diff (a warning, exit 0) where the evidence text differs, since evidence
numbers can vary in their last digits across CPUs.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from theorylab.console import DEFAULT_REPORT_DIR, plain_lines, report_files, short, written_line
from theorylab.engine import aggregate
from theorylab.errors import TheorylabError
from theorylab.report import load_report, write_json
from theorylab.spec import CheckKind, ClaimResult, Evidence, Report, Verdict

__all__ = [
    "CATALOGUE_HEADER",
    "FullRun",
    "evidence_summary",
    "main",
    "render",
    "strip_report",
    "verdicts",
]

_REGION = re.compile(r"(<!-- generated:([\w:.-]+) -->\n)(.*?)(<!-- /generated -->)", re.DOTALL)
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
# What markdown would read as syntax inside a table cell: pipes, code, emphasis, tags.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*|]|(?<!\w)_|_(?!\w)|<(?=[A-Za-z/!?]))")
_KIND_ORDER = (CheckKind.EXACT, CheckKind.TORCH, CheckKind.PROPERTY, CheckKind.SYMBOLIC)
EVIDENCE_WIDTH = 160
CATALOGUE_HEADER = (
    "| id | source (spec) | verdict (quick) | verdict (full) "
    "| evidence (quick run, computed) | what the computation says |"
)
_RULE = "|---|---|---|---|---|---|"
_MISSING = "—"


class FullRun:
    """The claims' verdicts over the stored full-level runs (``reports/*/results.json``).

    A claim may have run in several of them (its CPU checks in one, ``--kind torch`` on a
    GPU in another): its evidence is merged per check and the verdict aggregated from the
    merged evidence, as the engine does for one run. Where two runs disagree on the same
    check, no run is preferred: the cell gives the verdict with each run's version of the
    checks, naming the run's folder.
    """

    def __init__(self, files: Sequence[Path]) -> None:
        runs: dict[str, list[tuple[Path, dict[str, Evidence]]]] = {}
        for path in sorted(files):
            for result in load_report(path).results:
                checks = {item.check: item for item in result.evidence}
                runs.setdefault(result.claim.id, []).append((path, checks))
        self.files = {claim: [path for path, _ in found] for claim, found in runs.items()}
        self.verdicts = {claim: _merged_verdict(found) for claim, found in runs.items()}

    def verdict(self, claim_id: str) -> str:
        """The full-level verdict of ``claim_id``, or a dash if no stored run has it."""
        return self.verdicts.get(claim_id, _MISSING)

    def folders(self, claim_ids: Sequence[str]) -> list[Path]:
        """The report folders holding these claims' full runs, in order of appearance."""
        found = [path.parent for item in claim_ids for path in self.files.get(item, [])]
        return sorted(dict.fromkeys(found))


def _merged_verdict(runs: list[tuple[Path, dict[str, Evidence]]]) -> str:
    """One claim's verdict over its runs; per run (``V (folder)``) where runs disagree."""
    seen: dict[str, set[Verdict]] = {}
    for _, checks in runs:
        for name, item in checks.items():
            seen.setdefault(name, set()).add(item.verdict)
    if all(len(verdicts) == 1 for verdicts in seen.values()):
        merged = {name: item for _, checks in runs for name, item in checks.items()}
        return aggregate(list(merged.values()))[0].value
    cells = []
    for path, own in runs:
        merged = {name: item for _, checks in runs for name, item in checks.items()}
        merged.update(own)
        cells.append(f"{aggregate(list(merged.values()))[0].value} ({path.parent.name})")
    return "; ".join(cells)


def evidence_summary(result: ClaimResult) -> str:
    """One line of the evidence behind a verdict, from the check that decided it.

    The check is the first whose verdict equals the claim's (numeric kinds before symbolic
    ones, as they carry the numbers); its summary, prefixed by the check name, is cut to
    :data:`EVIDENCE_WIDTH` characters. Without such a check, the engine's reason.
    """
    deciding = [item for item in result.evidence if item.verdict is result.verdict]
    if not deciding:
        return short(result.reason, EVIDENCE_WIDTH)
    item = min(deciding, key=lambda entry: _KIND_ORDER.index(entry.kind))
    text = item.summary.removeprefix(f"{item.check}:").strip()
    return short(f"{item.check}: {text}", EVIDENCE_WIDTH)


def _cell(text: str) -> str:
    """Markdown table cell text: one line, with pipes, code, emphasis and tags escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in _CELL_SPLIT.split(row.strip())[1:-1]]


def _existing_rows(body: str) -> dict[str, list[str]]:
    """Claim id → cells of the table rows already in a region (in order)."""
    rows: dict[str, list[str]] = {}
    for line in body.splitlines():
        if line.startswith("| `"):
            cells = _cells(line)
            rows[cells[0].strip("`")] = cells
    return rows


def _catalogue(family: str, body: str, report: Report, full: FullRun, readme_dir: Path) -> str:
    results = {r.claim.id: r for r in report.results if r.claim.id.startswith(f"{family}.")}
    if not results:
        raise TheorylabError(f"the results hold no claim of family {family!r}")
    existing = _existing_rows(body)
    order = [item for item in existing if item in results]
    order += [item for item in results if item not in existing]
    lines = []
    folders = full.folders(order)
    if folders:
        links = ", ".join(
            f"[`{_relative(folder, readme_dir)}/`]({_relative(folder, readme_dir)}/report.md)"
            for folder in folders
        )
        lines += [f"Full-level verdicts from the stored run{'s' * (len(folders) > 1)} {links}.", ""]
    lines += [CATALOGUE_HEADER, _RULE]
    for claim_id in order:
        result = results[claim_id]
        note = existing[claim_id][-1] if claim_id in existing else ""
        cells = [
            f"`{claim_id}`",
            _cell(result.claim.source.location),
            result.verdict.value,
            full.verdict(claim_id),
            _cell(evidence_summary(result)),
            note,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def strip_report(report: Report) -> Report:
    """``report`` with only what :func:`render` reads: a small fixture for the README test.

    Evidence keeps its verdict, kind, check name and summary (figures, steps, details and
    counterexamples go); claims keep id, title, source, statement, kind and tolerance.
    """
    results = []
    for result in report.results:
        claim = result.claim.model_copy(
            update={"assumptions": [], "conventions": [], "checks": [], "notes": "", "tags": []}
        )
        evidence = [
            item.model_copy(
                update={"details": {}, "figure": None, "steps": [], "counterexample": None}
            )
            for item in result.evidence
        ]
        results.append(result.model_copy(update={"claim": claim, "evidence": evidence}))
    return report.model_copy(update={"results": results})


def _verify_output(report: Report) -> str:
    lines = [*plain_lines(report), written_line(report_files(DEFAULT_REPORT_DIR))]
    return "```text\n" + "\n".join(lines) + "\n```\n"


def render(text: str, report: Report, full: FullRun, readme_dir: Path = Path()) -> str:
    """``text`` (a README) with every generated region rewritten from ``report``.

    Raises
    ------
    TheorylabError
        For an unknown region name or a family with no claim in ``report``.
    """

    def replace(match: re.Match[str]) -> str:
        name, body = match.group(2), match.group(3)
        if name == "verify-output":
            new = _verify_output(report)
        elif name.startswith("catalogue:"):
            new = _catalogue(name.removeprefix("catalogue:"), body, report, full, readme_dir)
        else:
            raise TheorylabError(f"unknown generated region {name!r} in the README")
        return match.group(1) + new + match.group(4)

    return _REGION.sub(replace, text)


def verdicts(text: str) -> dict[tuple[str, str, str], str]:
    """Every verdict the generated regions of ``text`` state: (region, claim, column) → it."""
    found: dict[tuple[str, str, str], str] = {}
    known = {verdict.value for verdict in Verdict} | {_MISSING}
    for match in _REGION.finditer(text):
        name, body = match.group(2), match.group(3)
        for line in body.splitlines():
            fields = line.split("\t")
            if name == "verify-output" and len(fields) >= 2:
                found[(name, fields[0], "quick")] = fields[1]
            elif line.startswith("| `"):
                cells = _cells(line)
                claim = cells[0].strip("`")
                for column, value in (("quick", cells[2]), ("full", cells[3])):
                    found[(name, claim, column)] = value if value in known else f"?{value}"
    return found


def _check(current: str, expected: str, readme: Path) -> int:
    """Exit code of ``--check``: 1 if verdicts disagree, else 0 (diff printed as warning)."""
    have, want = verdicts(current), verdicts(expected)
    wrong = sorted(key for key in have.keys() | want.keys() if have.get(key) != want.get(key))
    for region, claim, column in wrong:
        print(
            f"{readme}: {region}: {claim} ({column}) says {have.get((region, claim, column))}, "
            f"the results say {want.get((region, claim, column))}",
            file=sys.stderr,
        )
    if wrong:
        print(
            f"{readme}: {len(wrong)} verdict(s) disagree with the results; regenerate it with "
            "python -m theorylab.readme --results FILE",
            file=sys.stderr,
        )
        return 1
    if current != expected:
        diff = difflib.unified_diff(
            current.splitlines(), expected.splitlines(), str(readme), "regenerated", lineterm=""
        )
        print(f"warning: {readme}: verdicts agree; evidence text differs:", file=sys.stderr)
        print("\n".join(diff), file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m theorylab.readme --results FILE [--readme README.md] [--check]``."""
    parser = argparse.ArgumentParser(prog="python -m theorylab.readme", description=__doc__)
    parser.add_argument("--results", required=True, metavar="FILE", help="a verify results JSON")
    parser.add_argument("--readme", default="README.md", type=Path)
    parser.add_argument(
        "--full",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="stored full-level results (default: reports/*/results.json beside the README)",
    )
    parser.add_argument("--check", action="store_true", help="compare, do not rewrite")
    parser.add_argument(
        "--fixture",
        type=Path,
        metavar="FILE",
        help="also write the results, stripped to what the README uses (the README test's "
        "fixture, tests/data/readme-results.json)",
    )
    args = parser.parse_args(argv)
    try:
        readme: Path = args.readme
        if not readme.is_file():
            raise TheorylabError(f"{readme} does not exist")
        full_files = args.full
        if full_files is None:
            full_files = sorted(readme.parent.glob("reports/*/results.json"))
        current = readme.read_text(encoding="utf-8")
        if not _REGION.search(current):
            raise TheorylabError(f"{readme} has no <!-- generated:NAME --> region")
        report = load_report(args.results)
        expected = render(current, report, FullRun(full_files), readme.parent)
    except TheorylabError as exc:
        print(f"theorylab.readme: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.check:
        return _check(current, expected, readme)
    if args.fixture is not None:
        write_json(strip_report(report), args.fixture)
        print(f"{args.fixture} written")
    if expected != current:
        readme.write_text(expected, encoding="utf-8")
        print(f"{readme} regenerated from {args.results}")
    else:
        print(f"{readme} is up to date with {args.results}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
