"""The log-log rate figure shared by Lemma A.3's check and the NTK scaling check."""

from __future__ import annotations

from collections.abc import Sequence

from theorylab.figures import Curve, figure
from theorylab.spec import Figure

__all__ = ["rate_figure"]


def rate_figure(
    title: str,
    x_label: str,
    y_label: str,
    grid: Sequence[int],
    measured: Sequence[tuple[str, list[float]]],
    reference: tuple[str, list[float]],
) -> Figure:
    """Measured curves (scatter) over ``grid`` and a ``grid^-1/2`` line through a curve's start.

    ``reference`` is ``(label, values)``: the line is ``values[0] (n / grid[0])^-1/2``.
    """
    label, anchor = reference
    curves: list[Curve] = [(name, values, "scatter") for name, values in measured]
    curves.append((label, [anchor[0] * (n / grid[0]) ** -0.5 for n in grid]))
    return figure(
        title,
        x_label,
        y_label,
        list(map(float, grid)),
        curves,
        log_x=True,
        log_y=True,
    )
