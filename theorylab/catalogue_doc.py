"""``docs/CLAIMS.md``: the claim catalogue as a document, generated from the claim specs.

Every claim's source, statement (LaTeX, as the paper states it), assumptions, conventions,
tolerance, checks and notes, grouped by paper — what ``theorylab show ID`` prints, for all
claims at once. It holds no verdicts: those come from runs (the README's tables, reports).

``python -m theorylab.catalogue_doc`` writes ``docs/CLAIMS.md``; ``--check`` rewrites nothing
and exits 1 (printing a diff) if the file is not what the specs generate.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterable, Sequence
from itertools import groupby
from pathlib import Path

from theorylab.spec import Claim

__all__ = ["DEFAULT_PATH", "main", "render_catalogue"]

DEFAULT_PATH = Path("docs/CLAIMS.md")
_HEADER = """# theorylab — the claim catalogue

<!-- Generated from the claim specs by `python -m theorylab.catalogue_doc`; do not edit. -->

Generated from the claim specs (`theorylab/claims/`) by `python -m theorylab.catalogue_doc`;
`tests/test_readme.py` fails if it is out of date. Each claim is stated as the paper states
it; a `<id>.corrected` companion states what the checks show is true. `theorylab show ID`
prints one claim; the verdicts are in the README's tables and in the reports that
`theorylab verify` writes. {count} claims from {papers} papers.
"""


def _paper_number(claim: Claim) -> str:
    return claim.source.paper.split("_", 1)[0]


def _claim_section(claim: Claim) -> list[str]:
    source = claim.source
    equations = f"; Eq. {', '.join(source.equations)}" if source.equations else ""
    lines = [f"### `{claim.id}` — {claim.title}", ""]
    lines.append(f"- source: {source.location}{equations}")
    lines.append(f"- kind: {claim.kind.value}")
    if claim.companion_of:
        lines.append(f"- corrects: `{claim.companion_of}`")
    if claim.tags:
        lines.append(f"- tags: {', '.join(f'`{tag}`' for tag in claim.tags)}")
    lines += ["", "```math", claim.statement.strip(), "```", ""]
    for title, items in (("Assumptions", claim.assumptions), ("Conventions", claim.conventions)):
        if items:
            lines += [f"{title}:", ""]
            lines += [f"- {item.name}: {item.statement}" for item in items]
            lines.append("")
    tolerance = claim.tolerance
    lines.append(f"Tolerance: rtol = {tolerance.rtol:g}, atol = {tolerance.atol:g}.")
    if tolerance.error_law:
        lines.append(f"Error law: {tolerance.error_law}.")
    if tolerance.rationale:
        lines.append(f"Why: {tolerance.rationale}")
    lines.append("")
    if claim.checks:
        lines += ["Checks:", ""]
        for check in claim.checks:
            levels = ", ".join(level.value for level in check.levels)
            lines.append(f"- {check.kind.value} `{check.name}` ({levels}): {check.description}")
        lines.append("")
    if claim.notes:
        lines += [f"Notes: {claim.notes}", ""]
    return lines


def render_catalogue(claims: Iterable[Claim]) -> str:
    """The Markdown catalogue of ``claims``: one section per paper, one per claim.

    Parameters
    ----------
    claims : iterable of Claim
        The claims with their registered checks (:meth:`Registry.all`).

    Returns
    -------
    str
        The document, ending in one newline.
    """
    ordered = sorted(claims, key=lambda claim: (_paper_number(claim), claim.id))
    papers = {_paper_number(claim) for claim in ordered}
    lines = [_HEADER.format(count=len(ordered), papers=len(papers))]
    for number, group in groupby(ordered, key=_paper_number):
        members = list(group)
        families = sorted({claim.id.split(".", 1)[0] for claim in members})
        prefixes = ", ".join(f"`{family}.*`" for family in families)
        lines += [f"## Paper {number} — {members[0].source.title} ({prefixes})", ""]
        for claim in members:
            lines += _claim_section(claim)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m theorylab.catalogue_doc [--output docs/CLAIMS.md] [--check]``."""
    from theorylab.registry import load_catalog

    parser = argparse.ArgumentParser(prog="python -m theorylab.catalogue_doc", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="compare, do not rewrite")
    args = parser.parse_args(argv)
    expected = render_catalogue(load_catalog().all())
    path: Path = args.output
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if args.check:
        if current == expected:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(), expected.splitlines(), str(path), "generated", lineterm=""
        )
        print("\n".join(diff), file=sys.stderr)
        print(f"{path} is out of date: python -m theorylab.catalogue_doc", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(expected, encoding="utf-8")
    print(f"{path} written ({expected.count('### ')} claims)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
