"""The claims, one module per paper: each module's spec first, then its checks."""

from __future__ import annotations

__all__: list[str] = []
