"""The HTML building blocks of theorylab's self-contained pages (reports, errata sheets).

A stylesheet (:data:`HTML_CSS`), a Content-Security-Policy that forbids scripts and fetches
(:data:`HTML_CSP`), escaping (:func:`html_escape`), coloured verdict badges
(:func:`verdict_badge`) and tables of already-escaped cells (:func:`html_table`).
"""

from __future__ import annotations

import html
from typing import Any

from theorylab.spec import Verdict

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
