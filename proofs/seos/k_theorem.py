r"""Theorem 2.1 of paper 002 (``seos.k_theorem``): the algebra of App. A.3, step by step."""

from __future__ import annotations

import sympy

from theorylab.proofs.seos.common import symmetric
from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["theorem_steps"]


def theorem_steps() -> list[DerivationStep]:
    r"""The algebra of Lemmas A.2-A.4 and of the proof of Theorem 2.1 (Eq. 35, 41-44, 47-50)."""
    a, b = sympy.symbols("a b", real=True)
    steps = [
        equality_step(
            "Lemma A.2: a^2+b^2-|ab| is a sum of squares",
            "Lemma A.2",
            r"a^2+b^2-|ab| = (|a|-|b|)^2 + |a||b|",
            a**2 + b**2 - sympy.Abs(a * b),
            (sympy.Abs(a) - sympy.Abs(b)) ** 2 + sympy.Abs(a) * sympy.Abs(b),
        ),
    ]
    first = symmetric("A", 2)
    second = symmetric("B", 2)
    vector = sympy.Matrix(sympy.symbols("w_0:2", real=True))
    omega, nu = sympy.symbols("omega nu", real=True)
    # Eq. 35: with A v = l v and |v| = 1, v^T (A+B) v - l - v^T B v = v^T (A v - l v) = 0.
    top = sympy.Symbol("l", real=True)
    lhs35 = (vector.T * (first + second) * vector)[0] - top * (vector.T * vector)[0]
    rhs35 = (vector.T * second * vector)[0] + (vector.T * (first * vector - top * vector))[0]
    steps.append(
        equality_step(
            "Lemma A.3: Rayleigh quotient at the top eigenvector",
            "Eq. 35",
            r"v^\top(A+B)v - \lambda_{\max}(A) = "
            r"v^\top Bv + v^\top(Av-\lambda v)",
            sympy.expand(lhs35),
            sympy.expand(rhs35),
        )
    )
    root = symmetric("R", 2)
    t = sympy.Symbol("t")
    steps.append(
        equality_step(
            "Lemma A.4: AB ~ B^{1/2} A B^{1/2} (same characteristic polynomial)",
            "Eq. 39-44",
            r"\det(tI - A R^2) = \det(tI - RAR)",
            sympy.expand((t * sympy.eye(2) - first * root * root).det()),
            sympy.expand((t * sympy.eye(2) - root * first * root).det()),
        )
    )
    # Eq. 47-48: B w = omega (I - A) w  =>  w^T (A+B) w = omega w^T w + (1-omega) w^T A w.
    bw = omega * (sympy.eye(2) - first) * vector
    lhs48 = (vector.T * first * vector)[0] + (vector.T * bw)[0]
    rhs48 = omega * (vector.T * vector)[0] + (1 - omega) * (vector.T * first * vector)[0]
    steps.append(
        equality_step(
            "Thm 2.1: Eq. 47 => Eq. 48",
            "Eq. 47-48",
            r"w^\top(A+B)w = \omega w^\top w + (1-\omega)w^\top Aw",
            sympy.expand(lhs48),
            sympy.expand(rhs48),
        )
    )
    # Eq. 50: (A+B)u = nu u  =>  u^T B u / u^T (I-A) u = 1 + (nu-1) u^T u / u^T (I-A) u.
    bu = (nu * sympy.eye(2) - first) * vector
    quadratic = (vector.T * (sympy.eye(2) - first) * vector)[0]
    lhs50 = (vector.T * bu)[0] / quadratic
    rhs50 = 1 + (nu - 1) * (vector.T * vector)[0] / quadratic
    steps.append(
        equality_step(
            "Thm 2.1: Rayleigh quotient of (I-A)^{-1/2}B(I-A)^{-1/2}",
            "Eq. 50",
            r"\frac{u^\top Bu}{u^\top(I-A)u} = 1 + "
            r"\frac{(\nu-1)u^\top u}{u^\top(I-A)u}",
            lhs50,
            rhs50,
            method="cancel",
        )
    )
    return steps
