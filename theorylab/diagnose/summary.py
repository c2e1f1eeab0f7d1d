"""The text of a diagnosis shared by its reports: values, uncertainties, parts, summary rows.

Also the figures, named per part (``figure-curvature-1.png``, ``figure-000-1.png``, ...) and
drawn once with :mod:`theorylab.report.figure_png`; :mod:`theorylab.diagnose.render` (JSON,
Markdown, files) and :mod:`theorylab.diagnose.html_report` (HTML) build on these.
"""

from __future__ import annotations

from theorylab.report import _figure_png
from theorylab.spec import Figure

from .model import Diagnosis, PaperDiagnosis, Quantity

__all__ = ["CURVATURE_TITLE", "DIAGNOSIS_FILES", "cost", "draw_figures", "figure_names",
           "format_uncertainty", "format_value", "sections", "summary_rows"]

DIAGNOSIS_FILES = ("diagnosis.json", "diagnosis.md", "diagnosis.html")
"""The files :func:`theorylab.diagnose.render.write_diagnosis` writes besides the figures."""

CURVATURE_TITLE = "Hessian and GGN spectra, traces, spectral density"


def format_value(quantity: Quantity) -> str:
    """The value as text: scalar ± stderr, the first entries of an array, or not computed."""
    if quantity.value is not None:
        text = f"{quantity.value:.5g}"
        if quantity.stderr:
            text += f" ± {quantity.stderr:.2g}"
        return text
    if quantity.values is not None:
        shown = ", ".join(f"{v:.4g}" for v in quantity.values[:5])
        return f"[{shown}{', …' if len(quantity.values) > 5 else ''}]"
    return "not computed"


def format_uncertainty(quantity: Quantity) -> str:
    """Eigen-residuals, ``exact``, or the standard error."""
    if quantity.residuals:
        return f"residual ≤ {max(quantity.residuals):.2g}"
    if quantity.stderr is not None:
        return "exact" if quantity.stderr == 0 else f"stderr {quantity.stderr:.2g}"
    return ""


def cost(quantity: Quantity) -> str:
    """Wall seconds and operator products, e.g. ``0.31 s, 40 mv``."""
    return f"{quantity.seconds:.2f} s, {quantity.matvecs} mv"


def sections(diagnosis: Diagnosis) -> list[PaperDiagnosis]:
    """The parts of a report in order: the curvature (as a part ``curvature``), then the papers."""
    curvature = PaperDiagnosis(paper="curvature", title=CURVATURE_TITLE,
                               quantities=diagnosis.curvature, figures=diagnosis.figures)
    return [curvature, *diagnosis.papers]


def summary_rows(diagnosis: Diagnosis) -> list[list[str]]:
    """Rows ``[paper, quantity or assumption, value, uncertainty / status, cost]``."""
    rows = []
    for part in sections(diagnosis):
        for quantity in part.quantities:
            if quantity.grid is not None and part.paper != "curvature":
                continue  # curves belong to the report's sections, not the summary table
            value = (f"figure ({len(quantity.grid)} points)" if quantity.grid is not None
                     else format_value(quantity))  # the density is drawn, not tabulated
            rows.append([part.paper, quantity.symbol or quantity.name, value,
                         format_uncertainty(quantity), cost(quantity)])
        for verdict in part.assumptions:
            rows.append([part.paper, f"assumption: {verdict.name}", verdict.status.value.upper(),
                         verdict.theorem, ""])
        if not part.quantities and part.not_computed:
            rows.append([part.paper, part.title, "not computed in this version", "", ""])
    return rows


def figure_names(diagnosis: Diagnosis) -> list[tuple[str, Figure]]:
    """``(file name, figure)`` for every figure: curvature first, then paper by paper."""
    return [(f"figure-{part.paper}-{i + 1}.png", figure)
            for part in sections(diagnosis) for i, figure in enumerate(part.figures)]


def draw_figures(diagnosis: Diagnosis) -> dict[str, bytes | str]:
    """File name -> PNG bytes, or the one-line reason a figure could not be drawn."""
    drawn: dict[str, bytes | str] = {}
    for name, figure in figure_names(diagnosis):
        try:
            drawn[name] = _figure_png(figure)
        except (ValueError, RuntimeError, OverflowError) as exc:  # e.g. bad mathtext
            drawn[name] = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return drawn
