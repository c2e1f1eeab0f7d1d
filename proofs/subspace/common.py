r"""Shared pieces of paper 003's derivations: exact Gaussian moments and symbolic arrays.

Gaussian expectations use exact moments of :math:`z\sim\mathcal N(0,\sigma^2 I_D)`
(Isserlis / Wick): :math:`\mathbb E z_i^{2m} = (2m-1)!!\,\sigma^{2m}`, odd moments zero,
independent coordinates (:func:`gaussian_expectation`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from theorylab.errors import ParameterError

__all__ = ["gaussian_expectation", "surrogate_moments", "symmetric", "vector"]


def gaussian_expectation(
    expression: sympy.Expr, noise: Sequence[sympy.Symbol], variance: sympy.Expr
) -> sympy.Expr:
    r"""Exact :math:`\mathbb E` of a polynomial in i.i.d. :math:`z_i\sim\mathcal N(0,\sigma^2)`.

    Each monomial :math:`\prod z_i^{k_i}` maps to :math:`\prod_i (k_i-1)!!\,\sigma^{k_i}`
    when every :math:`k_i` is even, else 0 (Isserlis' theorem for independent coordinates).

    Examples
    --------
    >>> z, s2 = sympy.symbols("z s2")
    >>> gaussian_expectation(z**4 + z**3, [z], s2)
    3*s2**2
    """
    try:
        polynomial = sympy.Poly(sympy.expand(expression), *noise)
    except sympy.PolynomialError as error:
        raise ParameterError(f"expression is not polynomial in the noise: {error}") from error
    total = sympy.Integer(0)
    for exponents, coefficient in polynomial.terms():
        if any(power % 2 for power in exponents):
            continue
        moment = sympy.Integer(1)
        for power in exponents:
            moment *= sympy.factorial2(power - 1) * variance ** (power // 2)
        total += coefficient * moment
    return sympy.expand(total)


def symmetric(prefix: str, size: int) -> sympy.Matrix:
    """A symbolic symmetric ``size × size`` matrix with entries ``prefix_ij`` (i ≤ j)."""
    return sympy.Matrix(
        size, size, lambda i, j: sympy.Symbol(f"{prefix}_{min(i, j)}{max(i, j)}", real=True)
    )


def vector(prefix: str, size: int) -> sympy.Matrix:
    """A symbolic real column vector ``prefix_0 .. prefix_{size-1}``."""
    return sympy.Matrix(sympy.symbols(f"{prefix}_0:{size}", real=True))


def surrogate_moments(size: int) -> tuple[sympy.Expr, ...]:
    r"""``a, σ, c, B, z`` and the quadratic / linear forms :math:`z^\top Bz`, :math:`c^\top z`."""
    a, sigma = sympy.symbols("a sigma", positive=True)
    c, B = vector("c", size), symmetric("B", size)
    z = vector("z", size)
    quadratic = (z.T * B * z)[0, 0]
    linear = (c.T * z)[0, 0]
    return a, sigma, c, B, z, quadratic, linear
