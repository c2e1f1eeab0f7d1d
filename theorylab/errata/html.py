"""An errata sheet (:class:`theorylab.errata.model.Sheet`) as one self-contained HTML page.

The page uses the report's inline CSS and Content-Security-Policy (no scripts, no external
resources), so it can be mailed or archived as one file. Statements are shown rendered as
Unicode text (:func:`theorylab.latex_text.latex_to_text`) with the printed LaTeX beneath.
"""

from __future__ import annotations

from theorylab.errata import wording as say
from theorylab.errata.model import MISSING, Entry, Sheet
from theorylab.latex_text import latex_to_text
from theorylab.report import HTML_CSP, HTML_CSS, html_escape, html_table, verdict_badge
from theorylab.spec import Verdict

__all__ = ["render_html"]


def _verdict(text: str) -> str:
    """A verdict cell: a badge for a plain verdict, escaped text for a per-run one."""
    try:
        return verdict_badge(Verdict(text))
    except ValueError:
        return html_escape(text)


def _statement(latex: str) -> str:
    return (f"<blockquote>{html_escape(latex_to_text(latex))}</blockquote>"
            "<details><summary>LaTeX as printed</summary>"
            f"<pre>{html_escape(latex)}</pre></details>")


def render_html(sheet: Sheet) -> str:
    """The sheet as one HTML document (inline CSS, no scripts, everything escaped)."""
    paper = sheet.paper
    rows = [
        [f'<a href="#{html_escape(e.claim.id)}"><code>{html_escape(e.claim.id)}</code></a>',
         html_escape(say.location(e.claim)), _verdict(e.quick), _verdict(e.full),
         f"<code>{html_escape(e.companion.id)}</code> {_verdict(e.companion_quick)} / "
         f"{_verdict(e.companion_full)}" if e.companion else MISSING]
        for e in sheet.entries
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{HTML_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Errata: {html_escape(paper.title)}</title>",
        f"<style>{HTML_CSS}</style></head><body>",
        f"<h1>Errata: {html_escape(paper.title)}</h1>",
        f'<p class="meta">Paper {html_escape(paper.number)} '
        f"(<code>{html_escape(paper.key)}</code>). "
        f"{html_escape(say.provenance(sheet))}</p>",
        f"<p>{len(sheet.entries)} statement(s) refuted; {len(sheet.others)} other claim(s) not "
        "refuted at either level.</p>",
        html_table(["Claim", "Where", "Quick", "Full", "Corrected companion (quick / full)"],
                    rows),
    ]
    for entry in sheet.entries:
        parts += _entry(entry)
    if sheet.others:
        parts += ["<h2>Claims not refuted</h2>", html_table(
            ["Claim", "Where", "Quick", "Full"],
            [[f"<code>{html_escape(c)}</code>", html_escape(w), _verdict(q), _verdict(f)]
             for c, w, q, f in sheet.others])]
    if sheet.audited:
        parts += ["<h2>Premise audit</h2>", f"<p>{html_escape(say.PREMISE_INTRO)}</p>",
                  html_table(["Claim", "Premise", "Outcome", "Checks", "Finding"],
                             [[f"<code>{html_escape(row[0])}</code>",
                               *map(html_escape, row[1:])] for row in say.premise_rows(sheet)])]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _entry(entry: Entry) -> list[str]:
    claim = entry.claim
    parts = [
        f'<h2 id="{html_escape(claim.id)}"><code>{html_escape(claim.id)}</code>: '
        f"{html_escape(claim.title)}</h2>",
        f"<p><b>Where:</b> {html_escape(say.location(claim))}<br><b>Verdict:</b> quick "
        f"{_verdict(entry.quick)} · full {_verdict(entry.full)}</p>",
        "<h3>Statement as printed</h3>", _statement(claim.statement),
        "<h3>Why it fails</h3>", "<ul>",
    ]
    for reason in entry.reasons:
        inner = [f"<li>{html_escape(step.name)} ({html_escape(step.equation)}): "
                 f"{html_escape(latex_to_text(step.claim))}; residual "
                 f"<code>{html_escape(step.residual)}</code></li>" for step in reason.steps]
        example = say.shown_counterexample(entry, reason)
        if example is not None:
            claimed, actual, message = map(html_escape, say.counterexample_parts(reason, example))
            inner.append(f"<li>counterexample: claimed {claimed}; actual {actual}. {message}</li>")
        parts.append(
            f"<li><code>{html_escape(reason.check)}</code> ({html_escape(reason.kind)}, "
            f"{html_escape(', '.join(reason.levels))}): {html_escape(reason.summary)}"
            + (f"<ul>{''.join(inner)}</ul>" if inner else "") + "</li>"
        )
    parts += ["</ul>", "<h3>Hand-checkable counterexample</h3>"]
    hand = entry.hand
    if hand is None:
        parts.append(f"<p>{html_escape(say.no_hand_example(entry))}</p>")
    else:
        numbers = "; ".join(f"{html_escape(k)} = {html_escape(v)}" for k, v in hand.numbers.items())
        parts += [f"<p>From <code>{html_escape(hand.check)}</code>: {numbers}.</p>",
                  f"<ul><li>claimed: {html_escape(hand.claimed)}</li><li>actual: "
                  f"{html_escape(hand.actual)}</li><li>{html_escape(hand.message)}</li>"
                  f"<li>{html_escape(say.exact_line(hand))}</li></ul>"]
    parts.append("<h3>Corrected statement</h3>")
    if entry.companion is None:
        parts.append("<p>No corrected companion in the catalogue.</p>")
    else:
        parts += [f"<p><code>{html_escape(entry.companion.id)}</code>: quick "
                  f"{_verdict(entry.companion_quick)} · full {_verdict(entry.companion_full)}</p>",
                  _statement(entry.companion.statement)]
    parts += ["<h3>Reproduce</h3>", f"<pre>{html_escape(chr(10).join(entry.commands))}</pre>"]
    return parts
