r"""Expectations of polynomials in zero-mean isotropic noise (label-noise model of paper 000).

:math:`\mathbb{E}[\varepsilon] = 0`, :math:`\mathbb{E}[\varepsilon\varepsilon^\top] = \sigma^2 I`
(paper 000, Theorem 3.2, App. C.1), for sympy expressions, matrices and
:class:`~theorylab.proofs.steps.RationalMatrix`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy.polys.rings import PolyElement

from theorylab.errors import ParameterError
from theorylab.proofs.steps.rational_matrix import RationalMatrix, _Expr

__all__ = ["expectation_isotropic"]


def expectation_isotropic(
    expression: _Expr | RationalMatrix,
    noise_symbols: Sequence[sympy.Symbol],
    variance: sympy.Expr,
) -> _Expr | RationalMatrix:
    r"""Expectation of a polynomial of degree at most 2 in zero-mean isotropic noise.

    The noise model is that of paper 000, Theorem 3.2 / App. C.1 (before Eq. 36):
    :math:`\mathbb{E}[\varepsilon_i] = 0` and
    :math:`\mathbb{E}[\varepsilon_i\varepsilon_j] = \sigma^2\delta_{ij}`. The expression is
    expanded as a polynomial in the noise symbols (other symbols are coefficients) and each
    monomial is replaced by its moment:

    .. math:: 1 \mapsto 1,\quad \varepsilon_i \mapsto 0,\quad
              \varepsilon_i\varepsilon_j \mapsto \sigma^2 \delta_{ij}.

    Monomials of degree 3 or more are rejected: the assumption does not fix third or fourth
    moments, so no value could be justified.

    Parameters
    ----------
    expression : sympy.Expr, sympy.MatrixBase or RationalMatrix
        Polynomial in ``noise_symbols`` whose coefficients may be any expressions free of
        them; matrices are handled entrywise. For a :class:`RationalMatrix` the noise
        symbols must be generators of its ring, absent from its denominator.
    noise_symbols : sequence of sympy.Symbol
        :math:`\varepsilon_1, \dots, \varepsilon_n`, distinct.
    variance : sympy.Expr
        :math:`\sigma^2` (the variance, not the standard deviation); for a
        :class:`RationalMatrix`, a polynomial in its ring's generators.

    Returns
    -------
    sympy.Expr, sympy.MatrixBase or RationalMatrix
        :math:`\mathbb{E}[\text{expression}]`, free of the noise symbols.

    Raises
    ------
    ParameterError
        If ``noise_symbols`` is empty or repeats a symbol, the expression is not polynomial
        in them (for a :class:`RationalMatrix`: a noise symbol is not a generator or occurs
        in the denominator), or a monomial of degree above 2 has a nonzero coefficient.

    Examples
    --------
    >>> a, b, e1, e2, s2 = sympy.symbols("a b epsilon_1 epsilon_2 sigma2")
    >>> expectation_isotropic((a*e1 + b*e2)**2, [e1, e2], s2)
    a**2*sigma2 + b**2*sigma2
    """
    noise = tuple(noise_symbols)
    if not noise or len(set(noise)) != len(noise):
        raise ParameterError("noise_symbols must be a non-empty sequence of distinct symbols")
    if isinstance(expression, RationalMatrix):
        return _expectation_exact(expression, noise, variance)
    if isinstance(expression, sympy.MatrixBase):
        return expression.applyfunc(lambda entry: expectation_isotropic(entry, noise, variance))
    try:
        polynomial = sympy.Poly(expression, *noise)
    except sympy.PolynomialError as error:
        raise ParameterError(f"expression is not polynomial in the noise: {error}") from error
    expectation = sympy.Integer(0)
    for exponents, coefficient in polynomial.terms():
        expectation += coefficient * _isotropic_moment(exponents, variance)
    return expectation


def _isotropic_moment(exponents: Sequence[int], variance: object) -> object:
    """E[prod eps_i^k_i] under E[eps] = 0, E[eps eps^T] = variance * I; 0 or 1 or variance."""
    degree = sum(exponents)
    if degree > 2:
        raise ParameterError(
            f"monomial of degree {degree} in the noise; only moments up to order 2 "
            "are fixed by E[eps] = 0, E[eps eps^T] = sigma^2 I"
        )
    if degree == 0:
        return 1
    if degree == 2 and max(exponents) == 2:
        return variance
    return 0  # a single eps_i has mean zero; distinct eps_i eps_j are uncorrelated.


def _expectation_exact(
    matrix: RationalMatrix, noise: tuple[sympy.Symbol, ...], variance: sympy.Expr
) -> RationalMatrix:
    ring = matrix.ring
    polynomial_ring = ring.ring
    try:
        indices = [polynomial_ring.gens.index(ring.from_sympy(symbol)) for symbol in noise]
        variance_polynomial = ring.from_sympy(variance)
    except (ValueError, sympy.CoercionFailed) as error:
        raise ParameterError(f"noise or variance not expressible in {ring}") from error
    if any(factor.degree(index) > 0 for factor in matrix.denominator for index in indices):
        raise ParameterError("the denominator depends on the noise")

    def moment(entry: PolyElement) -> PolyElement:
        constant_part: dict[tuple[int, ...], object] = {}
        variance_part: dict[tuple[int, ...], object] = {}
        for monomial, coefficient in entry.terms():
            noise_exponents = [monomial[index] for index in indices]
            moment_value = _isotropic_moment(noise_exponents, "variance")
            if moment_value == 0:
                continue
            target = constant_part if moment_value == 1 else variance_part
            stripped = list(monomial)
            for index in indices:
                stripped[index] = 0
            key = tuple(stripped)
            target[key] = target.get(key, 0) + coefficient
        return (
            polynomial_ring.from_dict(constant_part)
            + polynomial_ring.from_dict(variance_part) * variance_polynomial
        )

    return matrix.map_numerator(moment)
