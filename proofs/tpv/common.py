"""Small sympy helpers shared by the App. D-E derivations of paper 000 (``tpv``)."""

from __future__ import annotations

from collections.abc import Sequence

import sympy

__all__ = ["column", "matrix", "second_moment_substitution", "symmetric", "trace"]


def matrix(name: str, rows: int, columns: int) -> sympy.Matrix:
    """A ``rows`` x ``columns`` matrix of real symbols ``name_ij`` (1-based)."""
    return sympy.Matrix(
        rows, columns, lambda i, j: sympy.Symbol(f"{name}_{i + 1}{j + 1}", real=True)
    )



def symmetric(name: str, size: int) -> sympy.Matrix:
    """A symmetric ``size`` x ``size`` matrix of real symbols ``name_ij`` (i <= j)."""
    return sympy.Matrix(
        size,
        size,
        lambda i, j: sympy.Symbol(f"{name}_{min(i, j) + 1}{max(i, j) + 1}", real=True),
    )


def column(name: str, size: int) -> sympy.Matrix:
    """A column of real symbols ``name_i`` (1-based)."""
    return sympy.Matrix([sympy.Symbol(f"{name}_{i + 1}", real=True) for i in range(size)])


def trace(matrix: sympy.Matrix) -> sympy.Expr:
    """The expanded trace of a square matrix."""
    return sympy.expand(matrix.trace())


def second_moment_substitution(
    expression: sympy.Matrix | sympy.Expr,
    variables: Sequence[tuple[Sequence[sympy.Symbol], sympy.Matrix]],
    cross_zero: bool = True,
) -> sympy.Matrix | sympy.Expr:
    r"""Expectation of a polynomial of degree ≤ 2 in zero-mean random vectors.

    ``variables`` lists ``(symbols, second_moment)`` pairs: :math:`\mathbb E[x_i x_j] =
    M_{ij}`, :math:`\mathbb E[x_i] = 0`; with ``cross_zero`` different vectors are
    uncorrelated (:math:`\mathbb E[x_i y_j] = 0`), the only assumption Eq. 65 needs.

    Examples
    --------
    >>> x, y = sympy.symbols("x y")
    >>> second_moment_substitution(3 * x**2 + x * y + 1, [([x], sympy.Matrix([[2]])),
    ...                                                ([y], sympy.Matrix([[5]]))])
    7
    """
    if isinstance(expression, sympy.MatrixBase):
        return expression.applyfunc(
            lambda entry: second_moment_substitution(entry, variables, cross_zero)
        )
    owner: dict[sympy.Symbol, tuple[int, int]] = {}
    for group, (symbols, _) in enumerate(variables):
        for index, symbol in enumerate(symbols):
            owner[symbol] = (group, index)
    generators = list(owner)
    polynomial = sympy.Poly(sympy.expand(expression), *generators)
    total = sympy.Integer(0)
    for exponents, coefficient in polynomial.terms():
        present = [
            generators[k] for k, power in enumerate(exponents) for _ in range(power)
        ]
        if not present:
            total += coefficient
        elif len(present) == 1:
            continue
        elif len(present) == 2:
            (group_a, index_a), (group_b, index_b) = owner[present[0]], owner[present[1]]
            if group_a == group_b:
                total += coefficient * variables[group_a][1][index_a, index_b]
            elif not cross_zero:
                raise ValueError("cross moments are not specified")
        else:
            raise ValueError("degree above 2: moments not specified")
    return sympy.expand(total)
