"""Drawing a :class:`~theorylab.spec.Figure` as a PNG with matplotlib's Agg renderer.

matplotlib is imported only when a figure is drawn, so importing this module is cheap.
"""

from __future__ import annotations

import io
import math

from theorylab.spec import Figure


def _figure_png(figure: Figure) -> bytes:
    # The object-oriented API with an explicit Agg canvas renders headless without calling
    # matplotlib.use(), which would switch (and close the figures of) a caller's pyplot.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MatplotlibFigure

    drawing = MatplotlibFigure(figsize=(6.4, 3.8), dpi=100)
    FigureCanvasAgg(drawing)
    axes = drawing.add_subplot()
    for series in figure.series:
        length = min(len(series.x), len(series.y))
        x_values, y_values = (
            [math.nan if value is None else value for value in values[:length]]
            for values in (series.x, series.y)
        )
        if series.style == "scatter":
            axes.scatter(x_values, y_values, s=16, label=series.label)
        elif series.style == "band":
            axes.plot(x_values, y_values, linestyle="--", label=series.label)
        else:
            axes.plot(x_values, y_values, label=series.label)
    if figure.log_x:
        axes.set_xscale("log")
    if figure.log_y:
        axes.set_yscale("log")
    axes.set_title(figure.title)
    axes.set_xlabel(figure.x_label)
    axes.set_ylabel(figure.y_label)
    axes.grid(alpha=0.3)
    if figure.series:
        axes.legend(fontsize="small")
    buffer = io.BytesIO()
    drawing.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()
