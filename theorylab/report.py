"""Results files and human-readable reports of one verification run.

A :class:`~theorylab.spec.Report` is written three ways:

* ``results.json`` — the pydantic model as JSON, the machine-readable record, written
  atomically (:func:`write_json`) and read back with every failure turned into a one-line
  :class:`~theorylab.errors.ResultsFileError` (:func:`load_report`);
* ``report.md`` — a summary table and one section per claim (:func:`render_markdown`);
* ``report.html`` — the same content as a self-contained page: inline CSS, no scripts, no
  external resources, figures drawn with matplotlib's Agg renderer and embedded as base64 PNG
  data URIs (:func:`render_html`).

matplotlib is imported only when a figure is drawn, so ``import theorylab.report`` is cheap.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from theorylab.errors import ResultsFileError
from theorylab.spec import (
    CheckKind,
    ClaimResult,
    Environment,
    Evidence,
    Figure,
    Report,
    Verdict,
)

__all__ = [
    "HTML_CSP",
    "HTML_CSS",
    "MAX_RESULTS_BYTES",
    "html_escape",
    "html_table",
    "load_report",
    "render_html",
    "render_markdown",
    "verdict_badge",
    "write_json",
    "write_report_dir",
]

MAX_RESULTS_BYTES: int = 200_000_000
"""Results files larger than this (200 MB) are refused by :func:`load_report`."""

_FORMAT_PREFIX = "theorylab.report/"
_MISSING = "—"
_BADGE_CLASS = {
    Verdict.PROVED: "good",
    Verdict.HOLDS: "good",
    Verdict.HOLDS_APPROX: "approx",
    Verdict.REFUTED: "bad",
    Verdict.INCONCLUSIVE: "unsure",
    Verdict.NOT_APPLICABLE: "none",
    Verdict.SKIPPED: "none",
}
HTML_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:72rem;margin:2rem auto;
padding:0 1rem;color:#1f2328;line-height:1.45}
h1,h2,h3,h4{line-height:1.2}
h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.3rem;font-weight:600;
font-size:.8rem;color:#fff}
.good{background:#1a7f37}.approx{background:#0f766e}.bad{background:#c62828}
.unsure{background:#f59e0b;color:#1f2328}.none{background:#6b7280}
.holds{color:#1a7f37;font-weight:700}.fails{color:#c62828;font-weight:700}
.meta{color:#57606a;font-size:.9rem}.note{color:#9a6700}
figure{margin:1rem 0}figure img{max-width:100%;border:1px solid #d0d7de}
figcaption{color:#57606a;font-size:.85rem}
"""
"""The stylesheet of theorylab's self-contained HTML pages (reports, errata sheets)."""
HTML_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""Their Content-Security-Policy: no scripts, no fetches; images only as data: URIs."""
_CSS, _CSP = HTML_CSS, HTML_CSP  # the names this module's renderers use


# --------------------------------------------------------------------------- JSON files


def write_json(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write ``report`` as indented JSON to ``path``, atomically.

    The JSON is ``report.model_dump_json(indent=2)``. It is written to a temporary file in
    the same folder and moved into place with :func:`os.replace`, so a reader never sees a
    half-written file and an interrupted write leaves any previous file intact.

    Parameters
    ----------
    report : Report
        The run to record.
    path : str or os.PathLike
        Destination file; its folder is created if missing.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    OSError
        If the folder cannot be created or written.
    """
    return _write_text_atomically(Path(path), report.model_dump_json(indent=2) + "\n")


def load_report(path: str | os.PathLike[str]) -> Report:
    """Read and validate a results file written by :func:`write_json`.

    The file is parsed as JSON (never evaluated), must be an object whose ``format`` field
    reads ``theorylab.report/N``, and must validate as a :class:`~theorylab.spec.Report`.

    Parameters
    ----------
    path : str or os.PathLike
        The results file.

    Returns
    -------
    Report
        The validated report.

    Raises
    ------
    ResultsFileError
        With a one-line message, if the file is missing, not a regular file, larger than
        :data:`MAX_RESULTS_BYTES`, unreadable, not UTF-8, not JSON, not a JSON object, has a
        missing or wrong ``format`` field, or fails validation.

    Examples
    --------
    >>> load_report("no/such/results.json")
    Traceback (most recent call last):
    ...
    theorylab.errors.ResultsFileError: no/such/results.json does not exist
    """
    name = os.fspath(path)
    text = _read_bounded_text(Path(path), name)
    if not text.strip():
        raise ResultsFileError(f"{name} is empty, not a theorylab report")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsFileError(
            f"{name} is not valid JSON: line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    except RecursionError:
        raise ResultsFileError(f"{name} is nested too deeply to be a theorylab report") from None
    if not isinstance(data, dict):
        raise ResultsFileError(
            f"{name} is not a theorylab report: expected a JSON object, got {_json_type(data)}"
        )
    if "format" not in data:
        raise ResultsFileError(f"{name} is not a theorylab report: it has no 'format' field")
    declared = data["format"]
    if not _is_report_format(declared):
        shown = _shorten(json.dumps(declared), 60)
        raise ResultsFileError(
            f"{name} is not a theorylab report: format is {shown}, expected '{_FORMAT_PREFIX}N'"
        )
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        raise ResultsFileError(
            f"{name} is not a theorylab report: {_describe_validation_error(exc)}"
        ) from None
    except RecursionError:
        raise ResultsFileError(f"{name} is nested too deeply to be a theorylab report") from None


def write_report_dir(report: Report, directory: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``results.json``, ``report.md`` and ``report.html`` into ``directory``.

    Parameters
    ----------
    report : Report
        The run to record.
    directory : str or os.PathLike
        Output folder, created (with parents) if missing. Existing files of these three
        names are replaced atomically.

    Returns
    -------
    dict of str to Path
        The paths written, under the keys ``"json"``, ``"markdown"`` and ``"html"``.

    Raises
    ------
    OSError
        If the folder cannot be created or written.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "json": write_json(report, folder / "results.json"),
        "markdown": _write_text_atomically(folder / "report.md", render_markdown(report)),
        "html": _write_text_atomically(folder / "report.html", render_html(report)),
    }


def _write_text_atomically(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open with mode 0o666 lets the umask decide permissions, as for an ordinary file.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _read_bounded_text(path: Path, name: str) -> str:
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ResultsFileError(f"{name} does not exist") from None
    except OSError as exc:
        raise ResultsFileError(f"{name} could not be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(status.st_mode):
        raise ResultsFileError(f"{name} is a directory, not a results file")
    if not stat.S_ISREG(status.st_mode):
        raise ResultsFileError(f"{name} is not a regular file")
    limit_mb = MAX_RESULTS_BYTES / 1e6
    too_large = f"{name} is larger than {limit_mb:g} MB; results files that large are refused"
    if status.st_size > MAX_RESULTS_BYTES:
        raise ResultsFileError(too_large)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_RESULTS_BYTES + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise ResultsFileError(f"{name} could not be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_RESULTS_BYTES:
        raise ResultsFileError(too_large)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResultsFileError(
            f"{name} is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        ) from None


def _is_report_format(declared: Any) -> bool:
    if not isinstance(declared, str) or not declared.startswith(_FORMAT_PREFIX):
        return False
    version = declared[len(_FORMAT_PREFIX) :]
    return version.isascii() and version.isdigit()


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


def _describe_validation_error(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = f"{location}: {_one_line(first['msg'])}"
    others = error.error_count() - 1
    if others:
        message += f" (and {others} more problem{'s' if others > 1 else ''})"
    return message


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _shorten(text: str, width: int) -> str:
    text = _one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------------- shared text


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


# --------------------------------------------------------------------------- Markdown


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
        f"- **Environment:** {_environment_text(report.environment)}",
        f"- **Verdicts:** {_counts_text(report)}",
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
        f"## `{claim.id}` — {_one_line(claim.title)}",
        "",
        f"**Source:** {_source_text(result)}",
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
            lines += [f"- **{item.name}:** {_one_line(item.statement)}" for item in items]
            lines.append("")
    lines += [
        f"**Tolerance:** {_tolerance_text(result)}",
        "",
        f"**Verdict:** **{result.verdict.value}** — {_one_line(result.reason)}",
        "",
        "### Evidence",
        "",
    ]
    if result.evidence:
        lines += _markdown_table(_EVIDENCE_HEADER, [_evidence_row(e) for e in result.evidence])
        lines += [""] + [f"- `{e.check}`: {_one_line(e.summary)}" for e in result.evidence]
    else:
        lines.append("No evidence was gathered.")
    for evidence in result.evidence:
        example = evidence.counterexample
        if example is not None:
            lines += [
                "",
                f"#### Counterexample — `{evidence.check}`",
                "",
                f"- **Message:** {_one_line(example.message)}",
                f"- **Instance:** `{_json_text(example.instance)}`",
                f"- **Claimed:** `{_json_text(example.claimed)}`",
                f"- **Actual:** `{_json_text(example.actual)}`",
            ]
        if _has_steps(evidence) and evidence.steps:
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
            lines += _markdown_table(_STEP_HEADER, rows)
    environments = _environments(result, fallback)
    lines += [""] + [f"**Environment:** {_environment_text(env)}" for env in environments]
    return lines


def _markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def cell(text: str) -> str:
        return _one_line(text).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


# --------------------------------------------------------------------------- HTML


def render_html(report: Report) -> str:
    """Render ``report`` as one self-contained HTML page.

    The page has the content of :func:`render_markdown`, inline CSS, coloured verdict
    badges, and no scripts or external resources (a Content-Security-Policy forbids them).
    Every text is escaped with :func:`html.escape`. Each piece of evidence with a
    :class:`~theorylab.spec.Figure` gets a PNG drawn by matplotlib's Agg renderer, embedded as
    ``<img src="data:image/png;base64,...">``; a figure matplotlib cannot draw (e.g. bad
    mathtext in a label) is replaced by a note rather than failing the page.

    Parameters
    ----------
    report : Report
        The run to render.

    Returns
    -------
    str
        The HTML document.
    """
    summary_rows = [
        [
            f'<a href="#{_escape(r.claim.id)}"><code>{_escape(r.claim.id)}</code></a>',
            _badge(r.verdict),
            _escape(r.reason),
        ]
        for r in report.results
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>theorylab report — {_escape(report.command)}</title>",
        f"<style>{_CSS}</style></head><body>",
        '<h1 id="top">theorylab report</h1>',
        '<ul class="meta">',
        f"<li><b>Command:</b> <code>{_escape(report.command)}</code></li>",
        f"<li><b>Created:</b> {_escape(report.created.isoformat())}</li>",
        f"<li><b>Level:</b> {_escape(report.level.value)} · <b>Seed:</b> {report.seed} · "
        f"<b>Backend:</b> {_escape(report.backend)} · <b>Device:</b> {_escape(report.device)}"
        "</li>",
        f"<li><b>Environment:</b> {_escape(_environment_text(report.environment))}</li>",
        f"<li><b>Verdicts:</b> {_escape(_counts_text(report))}</li>",
        "</ul>",
        *_html_toc(report),
        "<h2>Summary</h2>",
        _html_table(["Claim", "Verdict", "Reason"], summary_rows),
    ]
    for result in report.results:
        parts += _html_claim(result, report.environment)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_claim(result: ClaimResult, fallback: Environment) -> list[str]:
    claim = result.claim
    parts = [
        f'<section id="{_escape(claim.id)}">',
        f"<h2><code>{_escape(claim.id)}</code> — {_escape(claim.title)}</h2>",
        f"<p><b>Source:</b> {_escape(_source_text(result))}</p>",
        "<p><b>Statement</b></p>",
        f'<pre class="latex">$$ {_escape(claim.statement.strip())} $$</pre>',
    ]
    for heading, items in (("Assumptions", claim.assumptions), ("Conventions", claim.conventions)):
        if items:
            parts.append(f"<p><b>{heading}</b></p><ul>")
            parts += [
                f"<li><b>{_escape(item.name)}:</b> {_escape(item.statement)}</li>" for item in items
            ]
            parts.append("</ul>")
    parts += [
        f"<p><b>Tolerance:</b> {_escape(_tolerance_text(result))}</p>",
        f"<p><b>Verdict:</b> {_badge(result.verdict)} {_escape(result.reason)}</p>",
        "<h3>Evidence</h3>",
    ]
    if result.evidence:
        rows = []
        for evidence in result.evidence:
            cells = [_escape(value) for value in _evidence_row(evidence)]
            cells[0] = f"<code>{cells[0]}</code>"
            cells[2] = _badge(evidence.verdict)
            rows.append(cells)
        parts.append(_html_table(_EVIDENCE_HEADER, rows, numeric_from=3))
        parts.append("<ul>")
        parts += [
            f"<li><code>{_escape(e.check)}</code>: {_escape(e.summary)}</li>"
            for e in result.evidence
        ]
        parts.append("</ul>")
    else:
        parts.append("<p>No evidence was gathered.</p>")
    for evidence in result.evidence:
        parts += _html_evidence_details(evidence)
    parts += [
        f'<p class="meta"><b>Environment:</b> {_escape(_environment_text(env))}</p>'
        for env in _environments(result, fallback)
    ]
    parts.append('<p class="meta"><a href="#top">↑ back to top</a></p>')
    parts.append("</section>")
    return parts


def _html_toc(report: Report) -> list[str]:
    """Contents: one link per claim (to its ``<section id>``), grouped by paper."""
    from theorylab.papers import paper_label

    groups: dict[str, list[ClaimResult]] = {}
    for result in report.results:
        groups.setdefault(result.claim.source.paper, []).append(result)
    parts = ['<nav aria-label="Contents"><h2>Contents</h2>']
    for paper, results in groups.items():
        parts.append(f"<p><b>{_escape(paper_label(paper))}</b></p><ul>")
        parts += [
            f'<li><a href="#{_escape(r.claim.id)}"><code>{_escape(r.claim.id)}</code></a> '
            f"{_badge(r.verdict)} {_escape(r.claim.title)}</li>"
            for r in results
        ]
        parts.append("</ul>")
    parts.append("</nav>")
    return parts


def _html_evidence_details(evidence: Evidence) -> list[str]:
    parts: list[str] = []
    check = f"<code>{_escape(evidence.check)}</code>"
    example = evidence.counterexample
    if example is not None:
        parts += [
            f"<h4>Counterexample — {check}</h4><ul>",
            f"<li><b>Message:</b> {_escape(example.message)}</li>",
            f"<li><b>Instance:</b> <code>{_escape(_json_text(example.instance))}</code></li>",
            f"<li><b>Claimed:</b> <code>{_escape(_json_text(example.claimed))}</code></li>",
            f"<li><b>Actual:</b> <code>{_escape(_json_text(example.actual))}</code></li>",
            "</ul>",
        ]
    if _has_steps(evidence) and evidence.steps:
        rows = [
            [
                _escape(step.name),
                _escape(step.equation),
                f"<code>{_escape(step.claim)}</code>",
                '<span class="holds">✓</span>' if step.holds else '<span class="fails">✗</span>',
                _escape(step.method),
                f"<code>{_escape(step.residual)}</code>",
            ]
            for step in evidence.steps
        ]
        parts += [f"<h4>Derivation — {check}</h4>", _html_table(_STEP_HEADER, rows)]
    if evidence.figure is not None:
        parts.append(_html_figure(evidence.figure))
    return parts


def _html_figure(figure: Figure) -> str:
    caption = _escape(figure.title)
    try:
        png = _figure_png(figure)
    except (ValueError, RuntimeError, OverflowError) as exc:
        return (
            f'<p class="note">Figure “{caption}” could not be drawn: '
            f"{_escape(_one_line(str(exc)))}</p>"
        )
    encoded = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img alt="{caption}" src="data:image/png;base64,{encoded}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _figure_png(figure: Figure) -> bytes:
    # The object-oriented API with an explicit Agg canvas renders headless without calling
    # matplotlib.use(), which would switch (and close the figures of) a caller's pyplot.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MatplotlibFigure

    drawing = MatplotlibFigure(figsize=(6.4, 3.8), dpi=100)
    FigureCanvasAgg(drawing)
    axes = drawing.add_subplot()
    for series in figure.series:
        length = min(len(series.x), len(series.y))
        x_values, y_values = (
            [math.nan if value is None else value for value in values[:length]]
            for values in (series.x, series.y)
        )
        if series.style == "scatter":
            axes.scatter(x_values, y_values, s=16, label=series.label)
        elif series.style == "band":
            axes.plot(x_values, y_values, linestyle="--", label=series.label)
        else:
            axes.plot(x_values, y_values, label=series.label)
    if figure.log_x:
        axes.set_xscale("log")
    if figure.log_y:
        axes.set_yscale("log")
    axes.set_title(figure.title)
    axes.set_xlabel(figure.x_label)
    axes.set_ylabel(figure.y_label)
    axes.grid(alpha=0.3)
    if figure.series:
        axes.legend(fontsize="small")
    buffer = io.BytesIO()
    drawing.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def html_escape(text: Any) -> str:
    """``str(text)`` with ``& < > " '`` escaped for HTML text and attribute values."""
    return html.escape(str(text), quote=True)


def verdict_badge(verdict: Verdict) -> str:
    """A coloured ``<span class="badge ...">`` for ``verdict`` (classes in :data:`HTML_CSS`)."""
    return f'<span class="badge {_BADGE_CLASS[verdict]}">{html_escape(verdict.value)}</span>'


def html_table(header: list[str], rows: list[list[str]], numeric_from: int | None = None) -> str:
    """Build a table from already-escaped cells; columns from ``numeric_from`` align right."""
    head = "".join(f"<th>{html_escape(name)}</th>" for name in header)
    body = []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            numeric = numeric_from is not None and index >= numeric_from
            cells.append(f'<td class="num">{value}</td>' if numeric else f"<td>{value}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_escape, _badge, _html_table = html_escape, verdict_badge, html_table  # used throughout here
