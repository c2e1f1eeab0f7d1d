"""``diagnosis.html``: a diagnosis as one self-contained page, in the ``verify`` report's style.

Built from :mod:`theorylab.report.html_parts` (stylesheet, Content-Security-Policy that forbids
scripts and fetches, escaping, tables): inline CSS, no scripts, no external resources, every
figure embedded as a base64 PNG data URI under its part (curvature, then paper by paper).
"""

from __future__ import annotations

import base64

from theorylab.report.html_parts import HTML_CSP, HTML_CSS, html_escape, html_table

from .model import AssumptionStatus, Diagnosis, PaperDiagnosis
from .summary import draw_figures, format_uncertainty, format_value, sections, summary_rows

__all__ = ["render_html"]

_STATUS_CLASS = {AssumptionStatus.HOLDS: "good", AssumptionStatus.FAILS: "bad",
                 AssumptionStatus.UNDECIDED: "unsure"}


def _badge(status: AssumptionStatus) -> str:
    return f'<span class="badge {_STATUS_CLASS[status]}">{html_escape(status.value)}</span>'


def _figure(name: str, title: str, drawn: bytes | str | None) -> str:
    caption = html_escape(title)
    if not isinstance(drawn, bytes):
        return f'<p class="note">Figure “{caption}” could not be drawn: {html_escape(drawn)}</p>'
    encoded = base64.b64encode(drawn).decode("ascii")
    return (f'<figure id="{html_escape(name)}"><img alt="{caption}" '
            f'src="data:image/png;base64,{encoded}"><figcaption>{caption} '
            f"(<code>{html_escape(name)}</code>)</figcaption></figure>")


def _part(part: PaperDiagnosis, drawn: dict[str, bytes | str]) -> list[str]:
    heading = "Curvature" if part.paper == "curvature" else f"Paper {part.paper}"
    parts = [f'<section id="part-{html_escape(part.paper)}">',
             f"<h2>{html_escape(heading)}: {html_escape(part.title)}</h2>"]
    if part.quantities:
        rows = [[f"<b>{html_escape(q.symbol or q.name)}</b><br><code>{html_escape(q.name)}"
                 "</code>", html_escape(format_value(q)), html_escape(format_uncertainty(q)),
                 html_escape(q.method), html_escape(q.reference), f"{q.seconds:.2f}",
                 str(q.matvecs), html_escape(q.note)] for q in part.quantities]
        parts.append(html_table(["quantity", "value", "uncertainty", "method", "reference",
                                 "seconds", "matvecs", "note"], rows))
    if part.assumptions:
        rows = [[html_escape(v.name), html_escape(v.theorem), _badge(v.status),
                 html_escape(v.evidence)] for v in part.assumptions]
        parts.append(html_table(["assumption", "theorem", "status", "evidence"], rows))
    if part.not_computed:
        parts.append("<ul>" + "".join(f"<li>{html_escape(reason)}</li>"
                                      for reason in part.not_computed) + "</ul>")
    for index, figure in enumerate(part.figures):
        name = f"figure-{part.paper}-{index + 1}.png"
        parts.append(_figure(name, figure.title, drawn.get(name, "not drawn")))
    parts += ['<p class="meta"><a href="#top">↑ back to top</a></p>', "</section>"]
    return parts


def render_html(diagnosis: Diagnosis, drawn: dict[str, bytes | str] | None = None) -> str:
    """The diagnosis as one self-contained HTML page (figures drawn here unless ``drawn``)."""
    drawn = draw_figures(diagnosis) if drawn is None else drawn
    setting = " · ".join(f"<b>{html_escape(key)}:</b> {html_escape(value)}"
                         for key, value in diagnosis.setting.items())
    summary = [[html_escape(cell) for cell in row] for row in summary_rows(diagnosis)]
    contents = "".join(
        f'<li><a href="#part-{html_escape(part.paper)}">{html_escape(part.paper)}</a> '
        f"{html_escape(part.title)} ({len(part.figures)} figure"
        f"{'' if len(part.figures) == 1 else 's'})</li>" for part in sections(diagnosis))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{HTML_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>theorylab diagnosis</title>",
        f"<style>{HTML_CSS}</style></head><body>",
        '<h1 id="top">theorylab diagnosis</h1>',
        f'<p class="meta">{setting} · <b>total:</b> {diagnosis.seconds:.1f} s</p>',
        f'<nav aria-label="Contents"><h2>Contents</h2><ul>{contents}</ul></nav>',
        "<h2>Summary</h2>",
        html_table(["paper", "quantity", "value", "uncertainty / status", "cost"], summary),
    ]
    for part in sections(diagnosis):
        parts += _part(part, drawn)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
