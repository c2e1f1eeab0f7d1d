"""An errata sheet (:class:`theorylab.errata.model.Sheet`) as Markdown."""

from __future__ import annotations

from theorylab.errata import wording as say
from theorylab.errata.model import MISSING, Entry, Sheet
from theorylab.latex_text import latex_to_text
from theorylab.readme import _cell

__all__ = ["render_markdown"]


def render_markdown(sheet: Sheet) -> str:
    """The sheet as Markdown (GitHub renders the ``math`` blocks)."""
    paper = sheet.paper
    lines = [f"# Errata: {paper.title}", "",
             f"Paper {paper.number} (`{paper.key}`). {_cell(say.provenance(sheet))}", "",
             f"{len(sheet.entries)} statement(s) refuted; {len(sheet.others)} other claim(s) "
             "not refuted at either level.", "",
             "| claim | where | quick | full | corrected companion (quick / full) |",
             "|---|---|---|---|---|"]
    for entry in sheet.entries:
        companion = (f"`{entry.companion.id}` ({entry.companion_quick} / {entry.companion_full})"
                     if entry.companion else MISSING)
        lines.append(f"| `{entry.claim.id}` | {_cell(say.location(entry.claim))} | {entry.quick} "
                     f"| {_cell(entry.full)} | {companion} |")
    for entry in sheet.entries:
        lines += ["", *_markdown_entry(entry)]
    if sheet.others:
        lines += ["", "## Claims not refuted", "", "| claim | where | quick | full |",
                  "|---|---|---|---|"]
        lines += [f"| `{cid}` | {_cell(where)} | {q} | {_cell(f)} |"
                  for cid, where, q, f in sheet.others]
    if sheet.audited:
        lines += ["", "## Premise audit", "", say.PREMISE_INTRO, "",
                  "| claim | premise | outcome | checks | finding |", "|---|---|---|---|---|"]
        lines += [f"| `{cid}` | {_cell(premise)} | {outcome} | {_cell(checks)} | {_cell(finding)} |"
                  for cid, premise, outcome, checks, finding in say.premise_rows(sheet)]
    return "\n".join(lines) + "\n"


def _markdown_entry(entry: Entry) -> list[str]:
    claim = entry.claim
    lines = [f"## `{claim.id}`: {_cell(claim.title)}", "",
             f"- **Where:** {_cell(say.location(claim))}",
             f"- **Verdict:** quick {entry.quick}; full {_cell(entry.full)}", "",
             "**Statement as printed:**", "", "```math", claim.statement, "```", "",
             f"> {_cell(latex_to_text(claim.statement))}", "", "**Why it fails:**", ""]
    for reason in entry.reasons:
        lines.append(f"- `{reason.check}` ({reason.kind}, {', '.join(reason.levels)}): "
                     f"{_cell(reason.summary)}")
        lines += [f"  - failing step `{_cell(step.name)}` ({_cell(step.equation)}): "
                  f"{_cell(latex_to_text(step.claim))}; residual `{_cell(step.residual)}`"
                  for step in reason.steps]
        example = say.shown_counterexample(entry, reason)
        if example is not None:
            lines.append(f"  - counterexample: claimed {_cell(say.value_text(example.claimed))}; "
                         f"actual {_cell(say.value_text(example.actual))}. "
                         f"{_cell(say.example_message(reason, example))}")
    lines += ["", "**Hand-checkable counterexample:**", ""]
    hand = entry.hand
    if hand is None:
        lines.append(say.no_hand_example(entry))
    else:
        lines += [f"From `{hand.check}`: "
                  + "; ".join(f"{_cell(k)} = {_cell(v)}" for k, v in hand.numbers.items()) + ".",
                  "", f"- claimed: {_cell(hand.claimed)}", f"- actual: {_cell(hand.actual)}",
                  f"- {_cell(hand.message)}", f"- {_cell(say.exact_line(hand))}"]
    lines += ["", "**Corrected statement:**", ""]
    if entry.companion is None:
        lines.append("No corrected companion in the catalogue.")
    else:
        companion = entry.companion
        lines += [f"`{companion.id}`: quick {entry.companion_quick}, full "
                  f"{_cell(entry.companion_full)}.", "", "```math", companion.statement, "```"]
    lines += ["", "**Reproduce:**", "", "```sh", *entry.commands, "```"]
    return lines
