"""Figure data of a diagnosis (:class:`theorylab.spec.Figure`: reports draw it, JSON keeps it)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from theorylab.spec import Figure, FigureSeries

__all__ = ["alpha_figure", "density_figure", "kernel_curve_figure", "spectrum_figure"]


def spectrum_figure(title: str, spectra: dict[str, Sequence[float]], y_label: str) -> Figure:
    """Descending eigenvalues against their index, one series per operator, log y."""
    series = []
    for label, values in spectra.items():
        positive = [float(v) if v > 0 else float("nan") for v in values]
        series.append(FigureSeries(label=label, x=list(range(1, len(positive) + 1)),
                                   y=positive, style="scatter"))
    return Figure(title=title, x_label="index i", y_label=y_label, series=series, log_y=True)


def density_figure(title: str, grid: Sequence[float], density: Sequence[float]) -> Figure:
    r"""A smoothed spectral density :math:`\phi_\sigma(\lambda)` against :math:`\lambda`."""
    return Figure(title=title, x_label="eigenvalue λ", y_label="density φ_σ(λ)",
                  series=[FigureSeries(label="SLQ density", x=list(grid), y=list(density))])


def alpha_figure(h_diag: np.ndarray, c_diag: np.ndarray, alpha: float, intercept: float,
                 window: tuple[float, float]) -> Figure:
    r""":math:`C_{ii}` against :math:`H_{ii}` (log-log), with the fit :math:`C\propto H^\alpha`."""
    keep = (h_diag > 0) & (c_diag > 0)
    line_x = np.geomspace(window[0], window[1], 20)
    return Figure(
        title=f"paper 001: noise vs curvature in H's eigenbasis (α = {alpha:.3g})",
        x_label="H_ii", y_label="C_ii", log_x=True, log_y=True,
        series=[FigureSeries(label="directions", x=h_diag[keep].tolist(),
                             y=c_diag[keep].tolist(), style="scatter"),
                FigureSeries(label=f"fit C ∝ H^{alpha:.3g} (window)", x=line_x.tolist(),
                             y=(np.exp(intercept) * line_x**alpha).tolist())])


def kernel_curve_figure(grid: Sequence[float], curve: Sequence[float],
                        learning_rate: float, symbol: str = "K_full") -> Figure:
    r"""The noise kernel norm against :math:`\eta`, the line 1 and the user's η."""
    finite = [v for v in curve if np.isfinite(v) and v > 0]
    top, bottom = max([1.0, *finite]), min([1.0, *finite])
    return Figure(
        title=f"paper 002: {symbol} against the learning rate (stochastic EOS where it is 1)",
        x_label="learning rate η", y_label=symbol, log_x=True, log_y=True,
        series=[FigureSeries(label=f"{symbol}(η)", x=list(grid), y=list(curve)),
                FigureSeries(label=f"{symbol} = 1", x=[grid[0], grid[-1]], y=[1.0, 1.0],
                             style="band"),
                FigureSeries(label=f"your η = {learning_rate:g}",
                             x=[learning_rate, learning_rate], y=[bottom, top],
                             style="band")])
