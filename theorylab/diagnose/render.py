"""A diagnosis as a summary table, Markdown, HTML, JSON and PNG figures (the ``verify`` style).

:func:`write_diagnosis` writes ``diagnosis.json``, ``diagnosis.md`` (figures linked as PNG
files), ``diagnosis.html`` (self-contained: :mod:`theorylab.diagnose.html_report`) and one PNG
per figure, grouped per part: ``figure-curvature-1.png``, ``figure-000-1.png``, ... Everything
is rendered first, then written to temporary files, then moved into place, so an error leaves
no file half-written.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from pathlib import Path
from typing import Any

from theorylab.report import _markdown_table

from .html_report import render_html
from .model import Diagnosis, Quantity
from .summary import (
    DIAGNOSIS_FILES,
    cost,
    draw_figures,
    figure_names,
    format_uncertainty,
    format_value,
    sections,
    summary_rows,
)

__all__ = ["DIAGNOSIS_FILES", "figure_names", "render_markdown", "summary_rows",
           "write_diagnosis"]


def _quantity_line(quantity: Quantity) -> list[str]:
    lines = [f"- **{quantity.symbol or quantity.name}** = {format_value(quantity)} "
             f"({format_uncertainty(quantity) or 'n/a'}; {quantity.method or 'n/a'}; "
             f"{quantity.reference}; {cost(quantity)}). {quantity.note}"]
    if quantity.grid is not None and quantity.values is not None:
        pairs = zip(quantity.grid, quantity.values, strict=True)
        lines.append("  - curve (x, value): " + ", ".join(f"({g:.3g}, {v:.3g})"
                                                          for g, v in pairs))
    return lines


def render_markdown(diagnosis: Diagnosis, drawn: dict[str, bytes | str] | None = None) -> str:
    """The diagnosis as Markdown: setting, summary, then each part with its PNG figures."""
    setting = ", ".join(f"{key} = {value}" for key, value in diagnosis.setting.items())
    lines = ["# theorylab diagnosis", "", f"Setting: {setting}; {diagnosis.seconds:.1f} s.", "",
             *_markdown_table(["paper", "quantity", "value", "uncertainty", "cost"],
                              summary_rows(diagnosis)), ""]
    for part in sections(diagnosis):
        heading = "Curvature" if part.paper == "curvature" else f"Paper {part.paper}"
        lines += [f"## {heading}: {part.title}", ""]
        for quantity in part.quantities:
            lines += _quantity_line(quantity)
        for verdict in part.assumptions:
            lines.append(f"- assumption **{verdict.name}** ({verdict.theorem}): "
                         f"**{verdict.status.value}** — {verdict.evidence}")
        lines += [f"- {reason}" for reason in part.not_computed]
        lines.append("")
        for index, figure in enumerate(part.figures):
            name = f"figure-{part.paper}-{index + 1}.png"
            problem = None if drawn is None else drawn.get(name)
            lines.append(f"Figure “{figure.title}” could not be drawn: {problem}"
                         if isinstance(problem, str) else f"![{figure.title}]({name})")
        lines.append("")
    return "\n".join(lines)


def _finite(value: Any) -> Any:
    """The JSON tree with NaN and infinities as ``null`` (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def _commit(folder: Path, contents: dict[str, bytes]) -> dict[str, Path]:
    """Write every file to a temporary name, then move them all into place (none on error)."""
    for name in contents:
        if (folder / name).is_dir():
            raise IsADirectoryError(f"cannot write {folder / name}: it is a folder")
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in contents.items():
            temporary = folder / f".{name}.{secrets.token_hex(6)}.tmp"
            staged.append((temporary, folder / name))
            with temporary.open("xb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    return {path.name: path for _, path in staged}


def write_diagnosis(diagnosis: Diagnosis, directory: str | os.PathLike[str]) -> dict[str, Path]:
    """Write the JSON, Markdown and HTML reports and the figures' PNGs into ``directory``.

    Returns the paths under ``"json"``, ``"markdown"``, ``"html"`` and each PNG's file name.
    Every file is rendered before any is written, and all are moved into place together.
    """
    drawn = draw_figures(diagnosis)
    text = json.dumps(_finite(diagnosis.model_dump(mode="json")), indent=2, allow_nan=False)
    contents = {"diagnosis.json": (text + "\n").encode(),
                "diagnosis.md": render_markdown(diagnosis, drawn).encode(),
                "diagnosis.html": render_html(diagnosis, drawn).encode()}
    contents.update({name: png for name, png in drawn.items() if isinstance(png, bytes)})
    written = _commit(Path(directory), contents)
    keys = dict(zip(DIAGNOSIS_FILES, ("json", "markdown", "html"), strict=True))
    return {keys.get(name, name): path for name, path in written.items()}
