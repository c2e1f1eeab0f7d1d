"""Exact small-scale NumPy/SciPy solvers, importable from research code."""

from __future__ import annotations

__all__: list[str] = []
