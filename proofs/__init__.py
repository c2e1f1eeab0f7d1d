"""Symbolic (sympy) derivation checks, one module per paper, installed as ``theorylab.proofs``."""

from __future__ import annotations

__all__: list[str] = []
