"""The Markdown rendering of a :class:`~theorylab.spec.Report` (``report.md``)."""

from __future__ import annotations

from theorylab.report import text as shared
from theorylab.spec import ClaimResult, Environment, Report


def render_markdown(report: Report) -> str:
    """Render ``report`` as Markdown: a summary table, then one section per claim.

    Each claim section gives the title, source (paper, location, equations), the statement
    in ``$$…$$``, assumptions, conventions, tolerance, verdict and reason, a table of the
    evidence (check, kind, verdict, lhs, rhs, residual, bound, instances, seconds, seed),
    any counterexample, the derivation steps of symbolic evidence, and the environment.

    Parameters
    ----------
    report : Report
        The run to render.

    Returns
    -------
    str
        The Markdown document, ending in a newline.
    """
    lines = [
        "# theorylab report",
        "",
        f"- **Command:** `{report.command}`",
        f"- **Created:** {report.created.isoformat()}",
        f"- **Level:** {report.level.value} · **Seed:** {report.seed} · "
        f"**Backend:** {report.backend} · **Device:** {report.device}",
        f"- **Environment:** {shared._environment_text(report.environment)}",
        f"- **Verdicts:** {shared._counts_text(report)}",
        "",
        "## Summary",
        "",
        *_markdown_table(
            ["Claim", "Verdict", "Reason"],
            [[f"`{r.claim.id}`", f"**{r.verdict.value}**", r.reason] for r in report.results],
        ),
    ]
    for result in report.results:
        lines += ["", *_markdown_claim(result, report.environment)]
    return "\n".join(lines) + "\n"


def _markdown_claim(result: ClaimResult, fallback: Environment) -> list[str]:
    claim = result.claim
    lines = [
        f"## `{claim.id}` — {shared._one_line(claim.title)}",
        "",
        f"**Source:** {shared._source_text(result)}",
        "",
        "**Statement**",
        "",
        "$$",
        claim.statement.strip(),
        "$$",
        "",
    ]
    for heading, items in (("Assumptions", claim.assumptions), ("Conventions", claim.conventions)):
        if items:
            lines += [f"**{heading}**", ""]
            lines += [f"- **{item.name}:** {shared._one_line(item.statement)}" for item in items]
            lines.append("")
    lines += [
        f"**Tolerance:** {shared._tolerance_text(result)}",
        "",
        f"**Verdict:** **{result.verdict.value}** — {shared._one_line(result.reason)}",
        "",
        "### Evidence",
        "",
    ]
    if result.evidence:
        rows = [shared._evidence_row(e) for e in result.evidence]
        lines += _markdown_table(shared._EVIDENCE_HEADER, rows)
        lines += [""] + [f"- `{e.check}`: {shared._one_line(e.summary)}" for e in result.evidence]
    else:
        lines.append("No evidence was gathered.")
    for evidence in result.evidence:
        example = evidence.counterexample
        if example is not None:
            lines += [
                "",
                f"#### Counterexample — `{evidence.check}`",
                "",
                f"- **Message:** {shared._one_line(example.message)}",
                f"- **Instance:** `{shared._json_text(example.instance)}`",
                f"- **Claimed:** `{shared._json_text(example.claimed)}`",
                f"- **Actual:** `{shared._json_text(example.actual)}`",
            ]
        if shared._has_steps(evidence) and evidence.steps:
            rows = [
                [
                    s.name,
                    s.equation,
                    f"${s.claim}$",
                    "✓" if s.holds else "✗",
                    s.method,
                    f"`{s.residual}`",
                ]
                for s in evidence.steps
            ]
            lines += ["", f"#### Derivation — `{evidence.check}`", ""]
            lines += _markdown_table(shared._STEP_HEADER, rows)
    environments = shared._environments(result, fallback)
    lines += [""] + [f"**Environment:** {shared._environment_text(env)}" for env in environments]
    return lines


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return shared._one_line(text).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines
