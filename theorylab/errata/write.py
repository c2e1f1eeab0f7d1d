"""Writing the sheets: Markdown, HTML and LaTeX files, one of each per paper."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from theorylab.errata.html import render_html
from theorylab.errata.markdown import render_markdown
from theorylab.errata.model import Sheet
from theorylab.errata.tex import render_latex
from theorylab.errors import OutputPathError
from theorylab.papers import Paper

__all__ = ["SUFFIXES", "output_files", "write_sheets"]

SUFFIXES = (".md", ".html", ".tex")


def output_files(papers: Sequence[Paper], out: Path) -> list[Path]:
    """The files :func:`write_sheets` writes for ``papers`` into ``out``."""
    return [out / f"errata-{paper.key}{suffix}" for paper in papers for suffix in SUFFIXES]


def write_sheets(sheets: Sequence[Sheet], out: Path) -> list[Path]:
    """Write each sheet as Markdown, HTML and LaTeX into ``out``; the paths written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPathError(f"--out {out}: {exc.strerror or exc}") from None
    written = []
    for sheet in sheets:
        md, html, tex = output_files([sheet.paper], out)
        for path, text in ((md, render_markdown(sheet)), (html, render_html(sheet)),
                           (tex, render_latex(sheet))):
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
