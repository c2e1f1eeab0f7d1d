r"""Symbolic check of the trace inequality (paper 000, App. A.3, proof of Theorem A.4).

:func:`trace_inequality_derivation` — for symmetric :math:`A` and PSD :math:`B`,
:math:`|\mathrm{Tr}(AB)| \le \|A\|_{\mathrm{op}}\mathrm{Tr}(B)`. Generic instance:
:math:`B = U\mathrm{diag}(l_i^2)U^\top`, :math:`A = V\mathrm{diag}(\mu_k)V^\top` with Cayley
frames :math:`U, V`, and every eigenvalue written as
:math:`\mu_k = \rho\,(1 - t_k^2)/(1 + t_k^2)`, :math:`\rho = r^2`, which is exactly the set
:math:`|\mu_k| \le \rho` (so :math:`\rho` ranges over every bound, :math:`\|A\|` included).
The proof's steps (eigendecomposition, :math:`\mathrm{Tr}(AB) = \sum_i\lambda_i u_i^\top A
u_i`, :math:`|u_i^\top A u_i| \le \|A\|`) are checked as identities, and the final
inequality by a sum-of-squares certificate whose nonnegativity sympy decides from the
symbols' assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.spec import DerivationStep

__all__ = ["trace_inequality_derivation"]


def _symbols(prefix: str, count: int, **assumptions: bool) -> list[sympy.Symbol]:
    return [sympy.Symbol(f"{prefix}_{index}", **assumptions) for index in range(1, count + 1)]


def _nonnegativity_step(
    name: str, equation: str, claim: str, certificate: sympy.Expr
) -> DerivationStep:
    """A step that holds iff sympy's assumption system proves ``certificate >= 0``."""
    decided = sympy.sympify(certificate).is_nonnegative
    return DerivationStep(
        name=name,
        equation=equation,
        claim=claim,
        holds=bool(decided),
        method="sympy assumptions: a sum of products of squares of real symbols and "
        "positive reciprocals is nonnegative",
        residual="0" if decided else f"is_nonnegative = {decided}",
    )


@dataclass(frozen=True)
class _Instance:
    """The generic ``size x size`` instance: frames, eigenvalues and the two matrices."""

    size: int
    frame_b: sympy.Matrix
    frame_a: sympy.Matrix
    tangents: list[sympy.Symbol]
    bound: sympy.Expr
    b_eigen: list[sympy.Expr]
    a_matrix: sympy.Matrix
    b_matrix: sympy.Matrix


def _instance(size: int) -> _Instance:
    frame_b = cayley_orthogonal(size, "u")
    frame_a = cayley_orthogonal(size, "v")
    roots = _symbols("l", size, real=True)
    tangents = _symbols("t", size, real=True)
    radius = sympy.Symbol("r", real=True)
    bound = radius**2
    b_eigen = [root**2 for root in roots]
    a_eigen = [bound * (1 - t**2) / (1 + t**2) for t in tangents]
    b_matrix = frame_b * sympy.diag(*b_eigen) * frame_b.T
    a_matrix = frame_a * sympy.diag(*a_eigen) * frame_a.T
    return _Instance(size, frame_b, frame_a, tangents, bound, b_eigen, a_matrix, b_matrix)


def _decomposition_steps(case: _Instance) -> list[DerivationStep]:
    """Orthonormal frame, Tr B as the eigenvalue sum, Tr(AB) expanded on B's eigenvectors."""
    size, frame_b, b_eigen = case.size, case.frame_b, case.b_eigen
    steps = [
        equality_step(
            "frame_orthonormal",
            "App. A.3",
            r"U^\top U = I",
            frame_b.T * frame_b,
            sympy.eye(size),
            method="cancel",
        ),
        equality_step(
            "trace_b_is_eigenvalue_sum",
            "App. A.3",
            r"\mathrm{Tr}\,B = \sum_i \lambda_i",
            case.b_matrix.trace(),
            sum(b_eigen),
            method="cancel",
        ),
    ]
    quadratic = [(frame_b[:, i].T * case.a_matrix * frame_b[:, i])[0, 0] for i in range(size)]
    steps.append(
        equality_step(
            "trace_expansion",
            "App. A.3",
            r"\mathrm{Tr}(AB) = \sum_i \lambda_i\,u_i^\top A u_i",
            (case.a_matrix * case.b_matrix).trace(),
            sum(lam * q for lam, q in zip(b_eigen, quadratic, strict=True)),
            method="cancel",
        )
    )
    return steps


def _certificate_steps(case: _Instance) -> list[DerivationStep]:
    """Rayleigh weights sum to one; the SOS certificates of both signs and their sign."""
    size, frame_a, frame_b = case.size, case.frame_a, case.frame_b
    bound, b_eigen = case.bound, case.b_eigen
    overlap = [[(frame_a[:, k].T * frame_b[:, i])[0, 0] for k in range(size)] for i in range(size)]
    weights_i = [sum(c**2 for c in overlap[i]) for i in range(size)]
    steps = [
        equality_step(
            "rayleigh_weights_sum_to_one",
            "App. A.3",
            r"\sum_k (v_k^\top u_i)^2 = 1",
            sympy.Matrix(weights_i),
            sympy.ones(size, 1),
            method="cancel",
        )
    ]
    overlap_symbols = [
        [sympy.Symbol(f"c_{i + 1}{k + 1}", real=True) for k in range(size)] for i in range(size)
    ]
    substitution = {overlap_symbols[i][k]: overlap[i][k] for i in range(size) for k in range(size)}
    for sign, label in ((1, "upper"), (-1, "lower")):
        # rho -/+ u^T A u = sum_k (rho -/+ mu_k) c_ik^2, with rho -/+ mu_k a manifest square.
        margins = [2 * bound * (t**2 if sign == 1 else 1) / (1 + t**2) for t in case.tangents]
        certificate = sum(
            b_eigen[i] * sum(margins[k] * overlap_symbols[i][k] ** 2 for k in range(size))
            for i in range(size)
        )
        total = bound * sum(b_eigen) - sign * (case.a_matrix * case.b_matrix).trace()
        steps.append(
            equality_step(
                f"certificate_{label}",
                "App. A.3",
                r"\|A\|\,\mathrm{Tr}B \mp \mathrm{Tr}(AB) = \sum_i\lambda_i\sum_k(\rho \mp \mu_k)"
                r"(v_k^\top u_i)^2",
                total,
                certificate.subs(substitution),
                method="cancel",
            )
        )
        steps.append(
            _nonnegativity_step(
                f"certificate_{label}_nonnegative",
                "App. A.3",
                r"\lambda_i \ge 0,\ \rho \mp \mu_k \ge 0 \Rightarrow \text{certificate} \ge 0",
                certificate,
            )
        )
    return steps


def trace_inequality_derivation(size: int = 2) -> list[DerivationStep]:
    r"""App. A.3's trace inequality, step by step, for a generic ``size x size`` instance.

    Examples
    --------
    >>> all(step.holds for step in trace_inequality_derivation(2))
    True
    """
    case = _instance(size)
    return _decomposition_steps(case) + _certificate_steps(case)
