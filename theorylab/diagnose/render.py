"""A diagnosis as a summary table, Markdown, JSON and PNG figures (the ``verify`` report style)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from theorylab.report import _figure_png, _markdown_table, _write_text_atomically
from theorylab.spec import Figure

from .model import Diagnosis, Quantity

__all__ = ["figure_names", "render_markdown", "summary_rows", "write_diagnosis"]


def _value(quantity: Quantity) -> str:
    if quantity.value is not None:
        text = f"{quantity.value:.5g}"
        if quantity.stderr:
            text += f" ± {quantity.stderr:.2g}"
        return text
    if quantity.values is not None:
        shown = ", ".join(f"{v:.4g}" for v in quantity.values[:5])
        return f"[{shown}{', …' if len(quantity.values) > 5 else ''}]"
    return "not computed"


def _uncertainty(quantity: Quantity) -> str:
    if quantity.residuals:
        return f"residual ≤ {max(quantity.residuals):.2g}"
    if quantity.stderr is not None:
        return "exact" if quantity.stderr == 0 else f"stderr {quantity.stderr:.2g}"
    return ""


def summary_rows(diagnosis: Diagnosis) -> list[list[str]]:
    """Rows ``[paper, quantity or assumption, value, uncertainty / status, cost]``."""
    rows = []
    for quantity in diagnosis.curvature:
        value = (f"figure ({len(quantity.grid)} points)" if quantity.grid is not None
                 else _value(quantity))  # the density is drawn, not tabulated
        rows.append(["curvature", quantity.symbol or quantity.name, value,
                     _uncertainty(quantity), f"{quantity.seconds:.2f} s, {quantity.matvecs} mv"])
    for paper in diagnosis.papers:
        for quantity in paper.quantities:
            if quantity.grid is not None:
                continue  # curves belong to the Markdown report, not the summary table
            rows.append([paper.paper, quantity.symbol or quantity.name, _value(quantity),
                         _uncertainty(quantity),
                         f"{quantity.seconds:.2f} s, {quantity.matvecs} mv"])
        for verdict in paper.assumptions:
            rows.append([paper.paper, f"assumption: {verdict.name}", verdict.status.value.upper(),
                         verdict.theorem, ""])
        if not paper.quantities and paper.not_computed:
            rows.append([paper.paper, paper.title, "not computed in this version", "", ""])
    return rows


def figure_names(diagnosis: Diagnosis) -> list[tuple[str, Figure]]:
    """``(file name, figure)`` for every figure: curvature first, then paper by paper."""
    named = [(f"figure-curvature-{i + 1}.png", f) for i, f in enumerate(diagnosis.figures)]
    for paper in diagnosis.papers:
        named += [(f"figure-{paper.paper}-{i + 1}.png", f) for i, f in enumerate(paper.figures)]
    return named


def render_markdown(diagnosis: Diagnosis) -> str:
    """The diagnosis as Markdown: setting, summary table, then each paper's evidence."""
    setting = ", ".join(f"{key} = {value}" for key, value in diagnosis.setting.items())
    lines = ["# theorylab diagnosis", "", f"Setting: {setting}; {diagnosis.seconds:.1f} s.", "",
             *_markdown_table(["paper", "quantity", "value", "uncertainty", "cost"],
                              summary_rows(diagnosis)), ""]
    files = {id(figure): name for name, figure in figure_names(diagnosis)}
    lines += [f"![{figure.title}]({files[id(figure)]})" for figure in diagnosis.figures]
    for paper in diagnosis.papers:
        lines += [f"## Paper {paper.paper}: {paper.title}", ""]
        for quantity in paper.quantities:
            lines.append(f"- **{quantity.symbol or quantity.name}** = {_value(quantity)} "
                         f"({quantity.method or 'n/a'}; {quantity.reference}). {quantity.note}")
            if quantity.grid is not None and quantity.values is not None:
                pairs = zip(quantity.grid, quantity.values, strict=True)
                lines.append("  - curve (η, value): " + ", ".join(
                    f"({g:.3g}, {v:.3g})" for g, v in pairs))
        for verdict in paper.assumptions:
            lines.append(f"- assumption **{verdict.name}** ({verdict.theorem}): "
                         f"**{verdict.status.value}** — {verdict.evidence}")
        for reason in paper.not_computed:
            lines.append(f"- {reason}")
        lines += ["", *(f"![{figure.title}]({files[id(figure)]})" for figure in paper.figures)]
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


def write_diagnosis(diagnosis: Diagnosis, directory: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``diagnosis.json``, ``diagnosis.md`` and the figures' PNGs into ``directory``.

    Every figure is drawn before any file is written, and each file is written atomically.
    """
    folder = Path(directory)
    pictures = [(name, _figure_png(figure)) for name, figure in figure_names(diagnosis)]
    text = json.dumps(_finite(diagnosis.model_dump(mode="json")), indent=2, allow_nan=False)
    paths = {
        "json": _write_text_atomically(folder / "diagnosis.json", text + "\n"),
        "markdown": _write_text_atomically(folder / "diagnosis.md", render_markdown(diagnosis)),
    }
    for name, picture in pictures:
        temporary = folder / f".{name}.tmp"
        temporary.write_bytes(picture)
        os.replace(temporary, folder / name)
        paths[name] = folder / name
    return paths
