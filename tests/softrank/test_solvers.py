"""Example-based tests of paper 004's soft-rank solvers (:mod:`theorylab.solvers.soft_rank`).

Each test names its oracle: hand-computed closed forms, exact rationals or dense linear algebra.
"""

from fractions import Fraction

import numpy as np
import pytest

from theorylab.errors import NonFiniteError, NotPSDError, ParameterError, ShapeError
from theorylab.solvers.soft_rank import (
    block_diagonal_part,
    error_uncertainty_ratio,
    log_det_complexity,
    soft_rank,
    soft_rank_gap_estimate,
    soft_rank_squared,
    tic_gap,
)

RTOL = 1e-12


def _random_psd(rng, size, rank):
    factor = rng.standard_normal((size, rank))
    return factor @ factor.T


# --------------------------------------------------------------------------- solvers


def test_soft_rank_scalar_matches_exact_rationals():
    """Oracle: exact rationals Σ σ/(σ+λ) on a diagonal S."""
    sigma = [Fraction(0), Fraction(1, 3), Fraction(2), Fraction(7)]
    lam = Fraction(1, 2)
    exact = sum(s / (s + lam) for s in sigma)
    exact2 = sum((s / (s + lam)) ** 2 for s in sigma)
    matrix = np.diag([float(s) for s in sigma])
    assert soft_rank(matrix, float(lam)) == pytest.approx(float(exact), rel=RTOL)
    assert soft_rank_squared(matrix, float(lam)) == pytest.approx(float(exact2), rel=RTOL)


def test_soft_rank_spd_regularizer_matches_dense_trace():
    """Oracle: dense Tr(S(S+Λ)^-1) and Tr((S(S+Λ)^-1)^2) by np.linalg.solve."""
    rng = np.random.default_rng(1)
    matrix = _random_psd(rng, 5, 3)
    base = rng.standard_normal((5, 5))
    lam = base @ base.T + 0.1 * np.eye(5)
    projection = np.linalg.solve((matrix + lam).T, matrix.T).T
    assert soft_rank(matrix, lam) == pytest.approx(np.trace(projection), rel=1e-10)
    assert soft_rank_squared(matrix, lam) == pytest.approx(
        np.trace(projection @ projection), rel=1e-10
    )
    logdet = 0.5 * (np.linalg.slogdet(matrix + lam)[1] - np.linalg.slogdet(lam)[1])
    assert log_det_complexity(matrix, lam) == pytest.approx(logdet, rel=1e-10)


def test_scalar_and_matrix_regularizer_agree():
    """Oracle: λ and λI are the same regulariser."""
    matrix = _random_psd(np.random.default_rng(2), 4, 2)
    assert soft_rank(matrix, 0.3) == pytest.approx(soft_rank(matrix, 0.3 * np.eye(4)), rel=RTOL)


def test_tic_and_gap_estimate_hand_values():
    """Oracle: hand-computed 2×2 diagonal cases (Eq. 1, Eq. 8)."""
    assert tic_gap(np.diag([2.0, 1.0]), np.diag([4.0, 1.0])) == pytest.approx(1.5)
    estimate = soft_rank_gap_estimate(np.diag([2.0, 2.0]), np.diag([1.0, 3.0]), 1.0)
    assert estimate.trace_ratio == pytest.approx(1.0)
    assert estimate.soft_rank == pytest.approx(0.5 + 0.75)
    assert estimate.regularized_tic == pytest.approx(2 / 2 + 2 / 4)


def test_error_uncertainty_ratio_hand_value():
    """Oracle: hand computation, ŷ = (0.75, 0.25) and (0.5, 0.5)."""
    result = error_uncertainty_ratio([[0.75, 0.25], [0.5, 0.5]], [0, 1])
    assert result.mse == pytest.approx((0.125 + 0.5) / 2)
    assert result.uncertainty == pytest.approx((0.375 + 0.5) / 2)
    assert result.max_confidence_gap == pytest.approx(0.5)


def test_block_diagonal_part_keeps_blocks():
    """Oracle: the pinching by hand."""
    matrix = np.arange(16.0).reshape(4, 4)
    pinched = block_diagonal_part(matrix, [1, 3])
    assert pinched[0, 1] == 0 and pinched[1, 2] == matrix[1, 2] and pinched[0, 0] == 0


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: soft_rank([[1.0, 2.0], [2.0, 1.0]], 1.0), NotPSDError),
        (lambda: soft_rank([[1.0]], 0.0), ParameterError),
        (lambda: soft_rank([[1.0]], -1.0), ParameterError),
        (lambda: soft_rank([[1.0, 0.0], [0.0, 1.0]], np.diag([1.0, 0.0])), NotPSDError),
        (lambda: soft_rank([[np.nan]], 1.0), NonFiniteError),
        (lambda: soft_rank([[1.0]], float("nan")), NonFiniteError),
        (lambda: soft_rank(np.eye(2), np.eye(3)), ShapeError),
        (lambda: soft_rank([1.0, 2.0], 1.0), ShapeError),
        (lambda: tic_gap(np.eye(2), np.diag([1.0, -1.0])), NotPSDError),
        (lambda: soft_rank_gap_estimate(np.eye(2), np.zeros((2, 2)), 1.0), ParameterError),
        (lambda: error_uncertainty_ratio([[0.6, 0.6]], [0]), ParameterError),
        (lambda: error_uncertainty_ratio([[1.0, 0.0]], [0]), ParameterError),
        (lambda: error_uncertainty_ratio([[0.5, 0.5]], [2]), ParameterError),
        (lambda: error_uncertainty_ratio([[0.5, 0.5]], [0, 1]), ShapeError),
        (lambda: block_diagonal_part(np.eye(3), [1, 1]), ShapeError),
    ],
)
def test_bad_input_raises_typed_errors(call, error):
    """Oracle: the documented error types."""
    with pytest.raises(error):
        call()
