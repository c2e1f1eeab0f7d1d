"""Symbol helpers shared by the symbolic derivations of paper 001 (``awd.*``)."""

from __future__ import annotations

import sympy

__all__ = ["grid", "real_symbols", "sym_matrix"]


def real_symbols(prefix: str, count: int, **assumptions: bool) -> list[sympy.Symbol]:
    """Real symbols ``prefix1 .. prefix<count>`` with the extra ``assumptions``."""
    return list(sympy.symbols(f"{prefix}1:{count + 1}", real=True, **assumptions))


def grid(prefix: str, rows: int, columns: int) -> sympy.Matrix:
    """A ``rows x columns`` matrix of real symbols ``prefix<i><j>``."""
    entries = sympy.symbols(f"{prefix}(1:{rows + 1})(1:{columns + 1})", real=True)
    return sympy.Matrix(rows, columns, entries)


def sym_matrix(prefix: str, size: int) -> sympy.Matrix:
    """A symmetric ``size x size`` matrix of real symbols (upper triangle mirrored)."""
    upper = grid(prefix, size, size)
    return sympy.Matrix(size, size, lambda i, j: upper[min(i, j), max(i, j)])
