"""Build a check's :class:`~theorylab.spec.Figure` from a shared x axis and labelled curves.

Most figures in the catalogue plot several quantities against one x axis (an error against
a step size, a ratio against a width). :func:`figure` takes the axis once and the curves as
``(label, y)`` or ``(label, y, style)`` rows, instead of one ``FigureSeries`` block each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from theorylab.spec import Figure, FigureSeries

__all__ = ["Curve", "Points", "figure", "xy_figure"]

Curve = tuple[str, Any] | tuple[str, Any, str]
"""``(label, y)`` drawn as a line, or ``(label, y, style)`` with style line/scatter/band."""


Points = tuple[str, Any, Any] | tuple[str, Any, Any, str]
"""``(label, x, y)`` drawn as a line, or ``(label, x, y, style)``: a curve with its own x."""


def _values(values: Sequence[float] | np.ndarray) -> list:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def figure(
    title: str,
    x_label: str,
    y_label: str,
    x: Sequence[float] | np.ndarray,
    curves: Iterable[Curve],
    *,
    log_x: bool = False,
    log_y: bool = False,
) -> Figure:
    """A figure whose curves share the axis ``x`` (NumPy arrays become lists).

    >>> fig = figure("error", "h", "|e|", [1, 2], [("measured", [0.1, 0.4], "scatter")])
    >>> fig.series[0].style, fig.series[0].y
    ('scatter', [0.1, 0.4])
    """
    axis = _values(x)
    series = []
    for curve in curves:
        style = str(curve[2]) if len(curve) > 2 else "line"
        series.append(FigureSeries(label=curve[0], x=axis, y=_values(curve[1]), style=style))
    return Figure(
        title=title, x_label=x_label, y_label=y_label, series=series, log_x=log_x, log_y=log_y
    )


def xy_figure(
    title: str,
    x_label: str,
    y_label: str,
    curves: Iterable[Points],
    *,
    log_x: bool = False,
    log_y: bool = False,
) -> Figure:
    """A figure whose curves each carry their own x (a scatter of pairs and a y = x line).

    The values go to :class:`~theorylab.spec.FigureSeries` as given.

    >>> fig = xy_figure("fit", "a", "b", [("pairs", [1, 2], [1.1, 1.9], "scatter")])
    >>> fig.series[0].style, fig.series[0].x
    ('scatter', [1.0, 2.0])
    """
    series = [
        FigureSeries(label=curve[0], x=curve[1], y=curve[2], style=str(curve[3]))
        if len(curve) > 3
        else FigureSeries(label=curve[0], x=curve[1], y=curve[2])
        for curve in curves
    ]
    return Figure(
        title=title, x_label=x_label, y_label=y_label, series=series, log_x=log_x, log_y=log_y
    )
