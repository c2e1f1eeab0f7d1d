"""How ``verify`` / ``prove`` results look: plain lines when piped, a rich table on a terminal.

:func:`plain_lines` is the single formatter of the piped output; the README's sample output is
generated with it (:mod:`theorylab.readme`), so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from theorylab.spec import Report, Verdict

__all__ = [
    "DEFAULT_REPORT_DIR",
    "Output",
    "counts_line",
    "plain_lines",
    "report_files",
    "short",
    "written_line",
]

DEFAULT_REPORT_DIR = Path("theorylab-report")
"""Where ``theorylab verify`` writes its results and report unless told otherwise."""
_REPORT_FILES = ("results.json", "report.md", "report.html")  # what write_report_dir writes


class Output:
    """Rich tables and progress on a terminal, plain lines when piped."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        self.console = Console(file=stream, highlight=False, soft_wrap=True)
        self.rich = self.console.is_terminal
        self.stream = stream

    def line(self, text: str) -> None:
        """Print one line (never interpreted as rich markup)."""
        if self.rich:
            self.console.print(text, markup=False)
        else:
            print(text, file=self.stream, flush=True)

    def results(self, report: Report) -> None:
        """Print a run: :func:`plain_lines` when piped, a table on a terminal."""
        if not self.rich:
            for text in plain_lines(report):
                self.line(text)
            return
        from rich.table import Table

        table = Table(title=f"theorylab {report.command} — level {report.level.value}")
        for column in ("claim", "verdict", "checks", "reason"):
            table.add_column(column, overflow="fold")
        for result in report.results:
            checks = ", ".join(f"{e.kind.value}:{e.verdict.value}" for e in result.evidence)
            verdict = styled(result.verdict)
            if report.command == "prove":
                verdict = f"steps {verdict}"
            table.add_row(result.claim.id, verdict, checks, result.reason)
        self.console.print(table)
        self.console.print(counts_line(report), markup=False)


def plain_lines(report: Report) -> list[str]:
    """The lines ``verify`` / ``prove`` print when piped: one per claim, then the counts.

    Each claim line is ``id<TAB>verdict<TAB>reason`` with the reason cut to one screen line
    (the full text is in the JSON); for ``prove`` the verdict reads ``steps VERDICT``, since
    only the symbolic steps were judged.
    """
    prefix = "steps " if report.command == "prove" else ""
    lines = [
        f"{result.claim.id}\t{prefix}{result.verdict.value}\t{short(result.reason)}"
        for result in report.results
    ]
    return [*lines, counts_line(report)]


def report_files(directory: Path) -> list[Path]:
    """The files :func:`theorylab.report.write_report_dir` writes into ``directory``."""
    return [directory / name for name in _REPORT_FILES]


def written_line(paths: Sequence[Path]) -> str:
    """The closing line of ``verify`` / ``report``: which files were written."""
    return f"report written: {', '.join(str(path) for path in paths)}"


def short(text: str, limit: int = 200) -> str:
    """One screen line of ``text`` (cut at ``limit`` with an ellipsis); the JSON has it all."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def styled(verdict: Verdict) -> str:
    """The verdict in rich markup, coloured by what it means."""
    colour = {
        Verdict.PROVED: "green",
        Verdict.HOLDS: "green",
        Verdict.HOLDS_APPROX: "cyan",
        Verdict.REFUTED: "bold red",
        Verdict.INCONCLUSIVE: "yellow",
    }.get(verdict, "dim")
    return f"[{colour}]{verdict.value}[/{colour}]"


def counts_line(report: Report) -> str:
    """``N claim(s): k VERDICT, ...``; for ``prove`` it adds that only steps were judged."""
    counts = report.counts()
    parts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(counts.items()))
    line = f"{len(report.results)} claim(s): {parts or 'none'}"
    if report.command == "prove":
        line += " — symbolic steps only; the claims' verdicts need `theorylab verify`"
    return line
