r"""Symbolic check of ``subspace.rate``: each step of the Theorem 2 proof (App. A.4).

Inequalities are checked as sum-of-squares identities (``rhs - lhs`` equals an explicit SOS),
which proves them.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.proofs.subspace.common import symmetric
from theorylab.spec import DerivationStep

__all__ = ["rate_derivation"]


def rate_derivation(dimension: int) -> list[DerivationStep]:
    r"""Each step of the Theorem 2 proof (App. A.4), inequalities as SOS identities."""
    x, y, u = sympy.symbols("x y u", real=True)
    k, M_l, M_g, M_H, sigma, D = sympy.symbols("k M_l M_g M_H sigma D", positive=True)
    eigenvalues = sympy.symbols(f"lambda_0:{dimension}", real=True)
    top = sympy.Symbol("lambda_max", real=True)
    total = sum(eigenvalues)
    squares = sum(v**2 for v in eigenvalues)
    steps = [
        equality_step(
            "three_term_inequality", "App. A.4 (split)",
            r"3(x^2+y^2+u^2) - (x+y+u)^2 = (x-y)^2+(y-u)^2+(x-u)^2 \ge 0",
            3 * (x**2 + y**2 + u**2) - (x + y + u) ** 2, (x - y) ** 2 + (y - u) ** 2 + (x - u) ** 2,
        ),
        equality_step(
            f"eq22_trace_square_D{dimension}", "Eq. 22",
            r"D\,\mathrm{Tr}B^2 - (\mathrm{Tr}B)^2 = \tfrac12\sum_{ij}(\lambda_i-\lambda_j)^2\ge0",
            dimension * squares - total**2,
            sum((p - q) ** 2 for p in eigenvalues for q in eigenvalues) / 2,
        ),
        equality_step(
            f"eq22_frobenius_D{dimension}", "Eq. 22",
            r"D\|B\|_2^2 - \mathrm{Tr}B^2 = \sum_i(\lambda_{\max}^2-\lambda_i^2)\ge0",
            dimension * top**2 - squares, sum(top**2 - v**2 for v in eigenvalues),
        ),
    ]
    zero = 12 * M_l**2 / (k + 1) ** 2
    linear = 3 * sigma**2 * M_g**2 / (k + 1) ** 2
    quadratic = 3 * sigma**4 * (D**2 + 2 * D) * M_H**2 / (k + 1) ** 2
    steps += [
        equality_step(
            "zero_order_term", "App. A.4", r"3 a_k^2 \le 3(2M_\ell/(k+1))^2 = 12M_\ell^2/(k+1)^2",
            3 * (2 * M_l / (k + 1)) ** 2, zero,
        ),
        equality_step(
            "linear_term", "Eq. 20 / App. A.4",
            r"3\sigma^2\|c_k\|^2 \le 3\sigma^2 (M_g/(k+1))^2",
            3 * sigma**2 * (M_g / (k + 1)) ** 2, linear,
        ),
        equality_step(
            "quadratic_term", "Eq. 23", r"\tfrac34\sigma^4(D^2+2D)(2M_H/(k+1))^2",
            sympy.Rational(3, 4) * sigma**4 * (D**2 + 2 * D) * (2 * M_H / (k + 1)) ** 2, quadratic,
        ),
        equality_step(
            "eq10_assembly", "Eq. 10",
            r"\text{sum} = [12M_\ell^2 + 3\sigma^2M_g^2 + 3\sigma^4(D^2+2D)M_H^2]/(k+1)^2",
            zero + linear + quadratic,
            (12 * M_l**2 + 3 * sigma**2 * M_g**2 + 3 * sigma**4 * (D**2 + 2 * D) * M_H**2)
            / (k + 1) ** 2,
        ),
    ]
    hessians = [symmetric(f"H{i}", 2) for i in range(3)]
    mean = (hessians[0] + hessians[1]) / 2
    steps.append(equality_step(
        "hessian_increment", "App. A.4", r"A_k = H^{(k+1)}-H^{(k)} = (H_{k+1}-H^{(k)})/(k+1)",
        (hessians[0] + hessians[1] + hessians[2]) / 3 - mean, (hessians[2] - mean) / 3,
    ))
    return steps
