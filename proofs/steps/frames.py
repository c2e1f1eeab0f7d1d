r"""Exact orthogonal frames: the Cayley transform of a symbolic skew-symmetric matrix."""

from __future__ import annotations

import sympy

from theorylab.errors import ParameterError

__all__ = ["cayley_orthogonal"]


def cayley_orthogonal(size: int, prefix: str) -> sympy.Matrix:
    r"""Orthogonal matrix with rational entries from the Cayley transform of a skew matrix.

    With :math:`A` skew-symmetric, :math:`A_{ij} = a_{ij}` for :math:`i < j` free real symbols
    named ``f"{prefix}_{i}{j}"``,

    .. math:: Q = (I - A)(I + A)^{-1}

    satisfies :math:`Q^\top Q = I` identically (:math:`I + A` is invertible because the
    eigenvalues of a real skew matrix are imaginary). Entries are rational functions of the
    :math:`a_{ij}`, so products of such frames cancel exactly; used for the singular-vector
    frames :math:`[U_r\ U_\perp]`, :math:`[V_r\ V_\perp]` of paper 000, App. C.1, Eq. 29.

    Parameters
    ----------
    size : int
        Order of :math:`Q`, at least 1 (``size == 1`` gives ``[[1]]``).
    prefix : str
        Name prefix of the parameter symbols.

    Returns
    -------
    sympy.Matrix
        ``size x size`` orthogonal matrix, entries in canonical rational form.

    Raises
    ------
    ParameterError
        If ``size < 1``.

    Examples
    --------
    >>> Q = cayley_orthogonal(2, "a")
    >>> Q
    Matrix([
    [(1 - a_01**2)/(a_01**2 + 1),       -2*a_01/(a_01**2 + 1)],
    [       2*a_01/(a_01**2 + 1), (1 - a_01**2)/(a_01**2 + 1)]])
    >>> (Q.T * Q).applyfunc(sympy.cancel) == sympy.eye(2)
    True
    """
    if size < 1:
        raise ParameterError(f"size must be at least 1, got {size}")
    skew = sympy.zeros(size, size)
    for row in range(size):
        for column in range(row + 1, size):
            parameter = sympy.Symbol(f"{prefix}_{row}{column}", real=True)
            skew[row, column] = parameter
            skew[column, row] = -parameter
    identity = sympy.eye(size)
    # (I + A)^{-1} = adj(I + A) / det(I + A); division-free Berkowitz keeps this fast.
    determinant = sympy.expand((identity + skew).det(method="berkowitz"))
    adjugate = (identity + skew).adjugate(method="berkowitz")
    numerator = ((identity - skew) * adjugate).applyfunc(sympy.expand)
    return numerator.applyfunc(lambda entry: sympy.cancel(entry / determinant))
