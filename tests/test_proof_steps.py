"""Shared symbolic proof helpers (:mod:`theorylab.proofs.steps`), first used by paper 000.

Oracles: exact polynomial arithmetic (``RationalMatrix``) and sympy's rational normal form
(``cancel``); deliberately wrong inputs show that the helpers can fail.
"""

from __future__ import annotations

import pytest
import sympy

from theorylab.errors import ParameterError
from theorylab.proofs.steps import (
    RationalMatrix,
    cayley_orthogonal,
    equality_step,
    expectation_isotropic,
    rational_residual,
)


def test_expectation_isotropic_closed_form():
    a, b, e1, e2, variance = sympy.symbols("a b epsilon_1 epsilon_2 sigma2")
    expectation = expectation_isotropic((a * e1 + b * e2) ** 2, [e1, e2], variance)
    assert sympy.expand(expectation - variance * (a**2 + b**2)) == 0
    assert expectation_isotropic(3 + a * e1 + e1 * e2, [e1, e2], variance) == 3
    matrix = expectation_isotropic(sympy.Matrix([[e1**2, e1 * e2]]), [e1, e2], variance)
    assert matrix == sympy.Matrix([[variance, 0]])


def test_expectation_isotropic_exact_path_matches_expression_path():
    a, b, e1, e2, variance = sympy.symbols("a b epsilon_1 epsilon_2 sigma2")
    ring = sympy.QQ[a, b, e1, e2, variance]
    form = RationalMatrix.from_sympy(sympy.Matrix([[a * e1 / (1 + b**2) + b * e2]]), ring)
    exact = expectation_isotropic(form @ form, [e1, e2], variance)
    assert equality_step(
        "exact_vs_expr", "test", "", exact, variance * (a**2 / (1 + b**2) ** 2 + b**2)
    ).holds


@pytest.mark.parametrize("power", [3, 4])
def test_expectation_isotropic_rejects_higher_moments(power):
    a, e1, e2, variance = sympy.symbols("a epsilon_1 epsilon_2 sigma2")
    with pytest.raises(ParameterError, match="degree"):
        expectation_isotropic((a * e1 + e2) ** power, [e1, e2], variance)
    ring = sympy.QQ[a, e1, e2, variance]
    with pytest.raises(ParameterError, match="degree"):
        expectation_isotropic(RationalMatrix.from_sympy(e1**2 * e2, ring), [e1, e2], variance)


def test_expectation_isotropic_rejects_non_polynomial():
    e1, variance = sympy.symbols("epsilon_1 sigma2")
    with pytest.raises(ParameterError):
        expectation_isotropic(1 / (1 + e1), [e1], variance)
    with pytest.raises(ParameterError):
        expectation_isotropic(e1, [], variance)


def test_equality_step_on_expressions():
    x, y = sympy.symbols("x y")
    assert equality_step("ok", "t", "", (x**2 - y**2) / (x - y), x + y, method="cancel").holds
    failing = equality_step("bad", "t", "", sympy.Matrix([x, y]), sympy.Matrix([x, x]))
    assert not failing.holds
    assert "y" in failing.residual
    with pytest.raises(ParameterError):
        rational_residual(sympy.Matrix([x]), x)


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_cayley_frame_is_orthogonal(size):
    frame = cayley_orthogonal(size, "a")
    ring = sympy.QQ[tuple(sorted(frame.free_symbols, key=str)) or (sympy.Symbol("unused"),)]
    exact = RationalMatrix.from_sympy(frame, ring)
    assert (exact.T @ exact - RationalMatrix.identity(size, ring)).is_zero()


def test_cayley_frame_small_case_by_cancel():
    frame = cayley_orthogonal(3, "a")
    assert rational_residual(frame.T * frame, sympy.eye(3), method="cancel") == sympy.zeros(3, 3)


def test_reduced_keeps_value_and_drops_factors():
    frame_sympy = cayley_orthogonal(2, "a")
    ring = sympy.QQ[tuple(frame_sympy.free_symbols)]
    frame = RationalMatrix.from_sympy(frame_sympy, ring)
    product = frame.T @ frame
    reduced = product.reduced()
    assert reduced.denominator == {}
    assert (reduced - RationalMatrix.identity(2, ring)).is_zero()
