"""Errata sheets: one per paper, of the published statements the computations refute.

``theorylab errata [PAPER ...]`` writes ``errata-<key>.md``, ``.html`` (self-contained) and
``.tex`` (a standalone ``article``) for each paper, generated from the verdicts at both
levels and never written by hand: the quick level from a results file (``--results``, or a
``verify`` run of the paper's claims), the full level from the stored runs under
``reports/*/results.json``, merged by :class:`theorylab.readme.FullRun` as the README's
catalogue tables are. A claim is on the sheet when either level refutes it; for each the
sheet gives where it is (section, theorem, equations), the statement as printed, why it
fails (the failing derivation steps, the counterexample and its two sides), a hand-checkable
counterexample where one exists (:mod:`theorylab.errata.exact`; otherwise it says so), the
corrected companion (``<id>.corrected``) with its verdicts, and the reproducing commands.

The package: :mod:`~theorylab.errata.model` (the sheet's data types),
:mod:`~theorylab.errata.sheet` (building a sheet from the verdicts),
:mod:`~theorylab.errata.wording` (sentences the renderers share), the renderers
:mod:`~theorylab.errata.markdown`, :mod:`~theorylab.errata.html` and
:mod:`~theorylab.errata.tex`, :mod:`~theorylab.errata.write` (the files), and
:mod:`theorylab.errata.exact` (the exact re-checks).
"""

from theorylab.errata.markdown import render_markdown
from theorylab.errata.model import Entry, HandExample, Reason, Sheet
from theorylab.errata.sheet import build_sheet, resolve_papers
from theorylab.errata.wording import value_text
from theorylab.errata.write import output_files, write_sheets
from theorylab.errors import UnknownPaperError

__all__ = [
    "Entry",
    "HandExample",
    "Reason",
    "Sheet",
    "UnknownPaperError",
    "build_sheet",
    "output_files",
    "render_markdown",
    "resolve_papers",
    "value_text",
    "write_sheets",
]
