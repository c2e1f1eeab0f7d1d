r"""Symbolic pieces shared by paper 004's derivations: generic matrices and App. C's identity.

:func:`symmetric_symbols`, :func:`vector_symbols` and :func:`lower_symbols` build the generic
symbolic matrices the proofs run on; :func:`trace_function_derivation` (App. C, Eq. 13 and the
pinching commutation of Thm C.2) serves both ``softrank.properties`` and
``softrank.block_diagonal``.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = [
    "lower_symbols",
    "symmetric_symbols",
    "trace_function_derivation",
    "vector_symbols",
]


def symmetric_symbols(prefix: str, size: int = 2) -> sympy.Matrix:
    """A generic symmetric matrix of real symbols ``prefix_ij`` (i <= j)."""
    return sympy.Matrix(
        size, size, lambda i, j: sympy.Symbol(f"{prefix}_{min(i, j)}{max(i, j)}", real=True)
    )


def vector_symbols(prefix: str, size: int = 2) -> sympy.Matrix:
    """A column of real symbols ``prefix_i``."""
    return sympy.Matrix([sympy.Symbol(f"{prefix}_{i}", real=True) for i in range(size)])


def lower_symbols(prefix: str) -> sympy.Matrix:
    """A generic 2×2 lower-triangular factor with a positive diagonal (``Λ = LLᵀ ≻ 0``)."""
    return sympy.Matrix(
        [
            [sympy.Symbol(f"{prefix}_00", positive=True), 0],
            [sympy.Symbol(f"{prefix}_10", real=True), sympy.Symbol(f"{prefix}_11", positive=True)],
        ]
    )


def _soft_rank_forms() -> list[DerivationStep]:
    r""":math:`\mathrm{Tr}\,S(S+\Lambda)^{-1}` in complement and relative (Eq. 13) form."""
    s_matrix = symmetric_symbols("s")
    lower = lower_symbols("l")
    lam = lower * lower.T
    eye = sympy.eye(2)
    soft = (s_matrix * (s_matrix + lam).inv()).trace()
    relative = lower.inv() * s_matrix * lower.inv().T
    return [
        equality_step(
            "complement_form",
            "App. C",
            r"\mathrm{Tr}\,S(S+\Lambda)^{-1} = "
            r"\mathrm{Tr}(I - \Lambda(S+\Lambda)^{-1})",
            soft,
            (eye - lam * (s_matrix + lam).inv()).trace(),
            method="cancel",
        ),
        equality_step(
            "relative_form",
            "App. C, Eq. 13",
            r"= \mathrm{Tr}(I - "
            r"(L^{-1}SL^{-\top} + I)^{-1})",
            soft,
            (eye - (relative + eye).inv()).trace(),
            method="cancel",
        ),
    ]


def _pinching_commutes() -> list[DerivationStep]:
    r"""Thm C.2: :math:`\mathcal P(AXA) = A\mathcal P(X)A` for block-diagonal A, blocks (1, 2)."""
    x_matrix = symmetric_symbols("x", 3)
    a_matrix = sympy.diag(sympy.Symbol("a_00", real=True), symmetric_symbols("a", 2))
    mask = sympy.Matrix(3, 3, lambda i, j: 1 if (i == 0) == (j == 0) else 0)

    def pinch(m: sympy.Matrix) -> sympy.Matrix:
        return m.multiply_elementwise(mask)

    return [
        equality_step(
            "pinching_commutes",
            "Thm C.2",
            r"\mathcal P(AXA) = "
            r"A\mathcal P(X)A,\ A = \mathcal P(A)",
            pinch(a_matrix * x_matrix * a_matrix),
            a_matrix * pinch(x_matrix) * a_matrix,
            method="cancel",
        )
    ]


def trace_function_derivation() -> list[DerivationStep]:
    r"""App. C / Eq. 13: trace-function form of the soft rank, and pinching commutation.

    :math:`\mathrm{rank}_\Lambda(S) = \mathrm{Tr}(I-(L^{-1}SL^{-\top}+I)^{-1})`.

    With any factor :math:`\Lambda = LL^\top` (the symmetric root is one choice), plus
    pinching commutation :math:`\mathcal P(AXA) = A\mathcal P(X)A` for block-diagonal A
    (Thm C.2), on a 3×3 instance with blocks (1, 2).
    """
    return _soft_rank_forms() + _pinching_commutes()
