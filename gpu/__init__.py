"""Matrix-free torch backend for full-size networks, installed as ``theorylab.gpu``."""

from __future__ import annotations

__all__: list[str] = []
