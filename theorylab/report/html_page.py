"""The HTML rendering of a :class:`~theorylab.spec.Report` (``report.html``).

One self-contained page: inline CSS, no scripts or external resources, figures embedded as
base64 PNG data URIs.
"""

from __future__ import annotations

import base64

from theorylab.report import text as shared
from theorylab.report.figure_png import _figure_png
from theorylab.report.html_parts import HTML_CSP, HTML_CSS, html_escape, html_table, verdict_badge
from theorylab.spec import ClaimResult, Environment, Evidence, Figure, Report

_CSS, _CSP = HTML_CSS, HTML_CSP  # the names this module's renderers use
_escape, _badge, _html_table = html_escape, verdict_badge, html_table  # used throughout here


def render_html(report: Report) -> str:
    """Render ``report`` as one self-contained HTML page.

    The page has the content of :func:`~theorylab.report.render_markdown`, inline CSS,
    coloured verdict badges, and no scripts or external resources (a Content-Security-Policy
    forbids them).
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
        f"<li><b>Environment:</b> {_escape(shared._environment_text(report.environment))}</li>",
        f"<li><b>Verdicts:</b> {_escape(shared._counts_text(report))}</li>",
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
        f"<p><b>Source:</b> {_escape(shared._source_text(result))}</p>",
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
        f"<p><b>Tolerance:</b> {_escape(shared._tolerance_text(result))}</p>",
        f"<p><b>Verdict:</b> {_badge(result.verdict)} {_escape(result.reason)}</p>",
        "<h3>Evidence</h3>",
    ]
    if result.evidence:
        rows = []
        for evidence in result.evidence:
            cells = [_escape(value) for value in shared._evidence_row(evidence)]
            cells[0] = f"<code>{cells[0]}</code>"
            cells[2] = _badge(evidence.verdict)
            rows.append(cells)
        parts.append(_html_table(shared._EVIDENCE_HEADER, rows, numeric_from=3))
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
        f'<p class="meta"><b>Environment:</b> {_escape(shared._environment_text(env))}</p>'
        for env in shared._environments(result, fallback)
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
            "<li><b>Instance:</b> "
            f"<code>{_escape(shared._json_text(example.instance))}</code></li>",
            f"<li><b>Claimed:</b> <code>{_escape(shared._json_text(example.claimed))}</code></li>",
            f"<li><b>Actual:</b> <code>{_escape(shared._json_text(example.actual))}</code></li>",
            "</ul>",
        ]
    if shared._has_steps(evidence) and evidence.steps:
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
        parts += [f"<h4>Derivation — {check}</h4>", _html_table(shared._STEP_HEADER, rows)]
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
            f"{_escape(shared._one_line(str(exc)))}</p>"
        )
    encoded = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img alt="{caption}" src="data:image/png;base64,{encoded}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )
