r"""Symbolic building blocks shared by paper 002's derivations (App. A.1-A.2, App. B).

Enumerated minibatch masks, symbolic symmetric matrices and the batch fractions
:math:`\beta = B/D`, :math:`\tilde\beta = (B-1)/(D-1)`.
"""

from __future__ import annotations

from itertools import combinations

import sympy

__all__ = ["ETA", "batch_masks", "diagonal", "fractions", "symmetric"]

ETA = sympy.Symbol("eta", positive=True)


def symmetric(name: str, size: int) -> sympy.Matrix:
    """A symmetric matrix of real symbols ``name_ij`` (``i <= j``)."""
    return sympy.Matrix(
        size, size, lambda i, j: sympy.Symbol(f"{name}_{min(i, j)}{max(i, j)}", real=True)
    )


def fractions(batch: int, size: int) -> tuple[sympy.Rational, sympy.Rational]:
    """Exact ``(beta, beta~)`` for ``B`` of ``D``."""
    tilde = sympy.Integer(1) if size == 1 else sympy.Rational(batch - 1, size - 1)
    return sympy.Rational(batch, size), tilde


def batch_masks(size: int, batch: int) -> list[sympy.Matrix]:
    """Every diagonal selection matrix ``P`` with exactly ``batch`` ones (Sec. 2.2)."""
    return [
        sympy.diag(*[1 if index in chosen else 0 for index in range(size)])
        for chosen in combinations(range(size), batch)
    ]


def diagonal(matrix: sympy.Matrix) -> sympy.Matrix:
    """The diagonal part of ``matrix``."""
    return sympy.diag(*[matrix[index, index] for index in range(matrix.shape[0])])
