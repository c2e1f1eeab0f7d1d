"""Trace inequality (paper 000, App. A.3, proof of Theorem A.4).

Oracles, named per test: exact rational arithmetic with sympy real-root counting
(``exact``), hand-derived closed forms (``closed form``), and sympy derivations (``symbolic``).
"""

import numpy as np
import pytest
import sympy

from theorylab.claims.tpv.trace_inequality import exact_inequality_holds, trace_inequality_boundary
from theorylab.proofs.tpv.trace_inequality import trace_inequality_derivation
from theorylab.registry import CheckContext
from theorylab.solvers.trace_stability import trace_inequality_sides
from theorylab.spec import Verdict


def test_trace_inequality_sides_closed_form_and_equality_case():
    """Closed form; equality at B = u uᵀ, u the top-|eigenvalue| eigenvector."""
    sides = trace_inequality_sides(np.diag([1.0, -2.0]), np.diag([3.0, 1.0]))
    assert (sides.lhs, sides.rhs) == (1.0, 8.0)
    tight = trace_inequality_sides(np.diag([1.0, -2.0]), np.diag([0.0, 1.0]))
    assert tight.lhs == tight.rhs == 2.0


def test_exact_decision_agrees_with_float_on_integers():
    """Oracle: exact — sympy root counting agrees with the float64 solver."""
    rng = np.random.default_rng(7)
    for size in (1, 2, 3, 4):
        raw = rng.integers(-3, 4, (size, size))
        factor = rng.integers(-2, 3, (size, 2))
        a_matrix, b_matrix = (raw + raw.T).astype(float), (factor @ factor.T).astype(float)
        holds, ratio = exact_inequality_holds(sympy.Matrix(a_matrix), sympy.Matrix(b_matrix))
        sides = trace_inequality_sides(a_matrix, b_matrix)
        assert holds
        assert float(ratio) * sides.trace_b == pytest.approx(sides.lhs, rel=1e-12, abs=1e-12)


def test_off_domain_minimal_counterexample():
    """Exact: A = [1], B = [-1] violates the inequality (B not PSD, outside the claim)."""
    holds, _ = exact_inequality_holds(sympy.Matrix([[1]]), sympy.Matrix([[-1]]))
    assert not holds
    finding = trace_inequality_boundary(CheckContext())
    assert finding.verdict is Verdict.NOT_APPLICABLE


def test_symbolic_trace_inequality_proof_holds():
    """Symbolic: every App. A.3 step, SOS certificate included."""
    assert all(step.holds for step in trace_inequality_derivation(2))
