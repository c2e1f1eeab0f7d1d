r"""Deciding ``lhs == rhs`` symbolically and recording it as a derivation step.

:func:`rational_residual` reduces ``lhs - rhs`` to a canonical form (entrywise for
matrices); :func:`equality_step` turns the decision into a
:class:`~theorylab.spec.DerivationStep`, exactly over factored denominators when a side is
a :class:`~theorylab.proofs.steps.RationalMatrix`.
"""

from __future__ import annotations

import sympy

from theorylab.errors import ParameterError
from theorylab.proofs.steps.rational_matrix import RationalMatrix, _Expr
from theorylab.spec import DerivationStep

__all__ = ["equality_step", "rational_residual"]


def _reduce(expression: sympy.Expr, method: str) -> sympy.Expr:
    """Reduce one scalar to canonical form: ``cancel`` always, ``simplify`` as a fallback."""
    reduced = sympy.cancel(sympy.together(expression))
    if reduced != 0 and method == "simplify":
        reduced = sympy.simplify(reduced)
    return reduced


def rational_residual(lhs: _Expr, rhs: _Expr, method: str = "simplify") -> _Expr:
    """Return ``lhs - rhs`` reduced to canonical form, entrywise for matrices.

    Parameters
    ----------
    lhs, rhs : sympy.Expr or sympy.MatrixBase
        The two sides; matrices must have equal shapes.
    method : {"simplify", "cancel"}
        ``"cancel"`` brings each entry to the normal form ``p/q`` of a rational function
        (coprime, expanded), which is zero exactly when the entry is identically zero; this
        decides equality for rational expressions. ``"simplify"`` does the same and, for an
        entry that does not cancel to zero, also tries :func:`sympy.simplify` (for roots,
        exponentials, ...).

    Returns
    -------
    sympy.Expr or sympy.MatrixBase
        The reduced difference; identically zero iff the two sides agree.

    Raises
    ------
    ParameterError
        If ``method`` is unknown or a matrix side is compared with a scalar or a matrix of
        another shape.

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> rational_residual((x**2 - 1) / (x - 1), x + 1)
    0
    """
    if method not in ("simplify", "cancel"):
        raise ParameterError(f"method must be 'simplify' or 'cancel', got {method!r}")
    lhs_is_matrix = isinstance(lhs, sympy.MatrixBase)
    if lhs_is_matrix != isinstance(rhs, sympy.MatrixBase):
        raise ParameterError("cannot compare a matrix with a scalar")
    if lhs_is_matrix:
        if lhs.shape != rhs.shape:
            raise ParameterError(f"shape mismatch: {lhs.shape} vs {rhs.shape}")
        return (lhs - rhs).applyfunc(lambda entry: _reduce(entry, method))
    return _reduce(sympy.sympify(lhs) - sympy.sympify(rhs), method)


def equality_step(
    name: str,
    equation: str,
    claim_latex: str,
    lhs: _Expr | RationalMatrix,
    rhs: _Expr | RationalMatrix,
    method: str = "simplify",
) -> DerivationStep:
    r"""Check the identity ``lhs == rhs`` symbolically and record it as a derivation step.

    For sympy operands the step holds iff :func:`rational_residual` reduces every entry of
    :math:`\mathrm{lhs} - \mathrm{rhs}` to exactly zero. If either side is a
    :class:`RationalMatrix` (the other is converted), the difference is formed over the lcm
    of the factored denominators and the step holds iff every numerator polynomial is zero
    (exact, no simplification heuristics; ``method`` is then not used). The residual,
    cancelled, is stored as a string so a failing step shows what is left over.

    Parameters
    ----------
    name : str
        Short identifier of the step, e.g. ``"normal_equations"``.
    equation : str
        Where the step sits in the paper, e.g. ``"Eq. 28"`` (paper 000, App. C.1).
    claim_latex : str
        The asserted identity in LaTeX.
    lhs, rhs : sympy.Expr, sympy.MatrixBase or RationalMatrix
        The two sides as computed from the construction (not copied from the paper).
    method : {"simplify", "cancel"}
        Reduction strategy for sympy operands, see :func:`rational_residual`.

    Returns
    -------
    DerivationStep
        With ``holds`` True iff the residual is identically zero.

    Raises
    ------
    ParameterError
        As :func:`rational_residual`, or if matrix shapes differ.

    Examples
    --------
    >>> a, b = sympy.symbols("a b")
    >>> equality_step("square", "Ex.", "(a+b)^2 = a^2+2ab+b^2", (a + b)**2,
    ...               a**2 + 2*a*b + b**2).holds
    True
    >>> equality_step("wrong", "Ex.", "(a+b)^2 = a^2+b^2", (a + b)**2, a**2 + b**2).residual
    '2*a*b'
    """
    if isinstance(lhs, RationalMatrix) or isinstance(rhs, RationalMatrix):
        return _exact_equality_step(name, equation, claim_latex, lhs, rhs)
    residual = rational_residual(lhs, rhs, method)
    if isinstance(residual, sympy.MatrixBase):
        holds = all(entry == 0 for entry in residual)
        residual_text = "0" if holds else str(residual.tolist())
    else:
        holds = residual == 0
        residual_text = str(residual)
    description = {
        "cancel": "cancel: rational normal form of lhs - rhs (entrywise)",
        "simplify": "cancel, then simplify if nonzero: lhs - rhs (entrywise)",
    }[method]
    return DerivationStep(
        name=name,
        equation=equation,
        claim=claim_latex,
        holds=bool(holds),
        method=description,
        residual=residual_text,
    )


def _exact_equality_step(
    name: str,
    equation: str,
    claim_latex: str,
    lhs: _Expr | RationalMatrix,
    rhs: _Expr | RationalMatrix,
) -> DerivationStep:
    ring = (lhs if isinstance(lhs, RationalMatrix) else rhs).ring
    left, right = (
        side if isinstance(side, RationalMatrix) else RationalMatrix.from_sympy(side, ring)
        for side in (lhs, rhs)
    )
    if left.shape != right.shape:
        raise ParameterError(f"shape mismatch: {left.shape} vs {right.shape}")
    difference = left - right
    holds = difference.is_zero()
    if holds:
        residual_text = "0"
    else:
        residual = difference.to_sympy(cancel=True)
        residual_text = str(residual[0, 0] if residual.shape == (1, 1) else residual.tolist())
    return DerivationStep(
        name=name,
        equation=equation,
        claim=claim_latex,
        holds=holds,
        method="exact: numerator of lhs - rhs over the lcm of factored denominators "
        "is the zero polynomial (entrywise)",
        residual=residual_text,
    )
