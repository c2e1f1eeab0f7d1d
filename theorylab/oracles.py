r"""Brute-force references that the fast solvers are checked against.

Each oracle avoids the algorithm of the solver it checks:

* :func:`rational_solution_map` — exact rational arithmetic (sympy ``DomainMatrix`` over
  :math:`\mathbb{Q}`), no rounding at all; the pseudo-inverse comes from a rank
  factorisation :math:`J = FG`, :math:`J^+ = G^\top(GG^\top)^{-1}(F^\top F)^{-1}F^\top`.
* :func:`qr_solution_map` — float64 least squares by complete orthogonal decomposition
  (LAPACK ``gelsy``, QR with column pivoting), not the SVD the solvers use.
* :func:`enumerated_noise_moments` — the expectation over label noise computed by
  enumerating every Rademacher sign vector: a zero-mean noise with covariance
  :math:`\sigma^2 I`, which is all Theorem 3.2 assumes.
* :func:`rademacher_expectation` — the same enumeration for any function of a sign vector,
  in exact arithmetic when the function returns integers or fractions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.linalg
from sympy import QQ
from sympy.polys.matrices import DomainMatrix

from theorylab.errors import ParameterError

__all__ = [
    "RationalMatrix",
    "enumerated_noise_moments",
    "qr_solution_map",
    "rademacher_expectation",
    "rational_label_noise",
    "rational_solution_map",
]

RationalMatrix = DomainMatrix
MAX_ENUMERATED_ROWS = 14


def _rational(matrix: np.ndarray) -> DomainMatrix:
    rows = [[QQ(Fraction(float(entry))) for entry in row] for row in np.atleast_2d(matrix)]
    return DomainMatrix(rows, matrix.shape, QQ)


def rational_solution_map(matrix: np.ndarray, ridge: Fraction = Fraction(0)) -> DomainMatrix:
    r"""Exact :math:`J^+` (``ridge = 0``) or :math:`(J^\top J + \lambda I)^{-1} J^\top`.

    Every float64 entry is converted exactly to a rational, so the result is the exact
    solution map of the matrix as stored.
    """
    exact = _rational(matrix)
    rows, columns = matrix.shape
    if ridge != 0:
        gram = exact.transpose() * exact + DomainMatrix.eye(columns, QQ) * QQ(ridge)
        return gram.inv() * exact.transpose()
    reduced, pivots = exact.rref()
    rank = len(pivots)
    if rank == 0:
        return DomainMatrix.zeros((columns, rows), QQ)
    column_factor = exact.extract(list(range(rows)), list(pivots))
    row_factor = reduced.extract(list(range(rank)), list(range(columns)))
    return (
        row_factor.transpose()
        * (row_factor * row_factor.transpose()).inv()
        * (column_factor.transpose() * column_factor).inv()
        * column_factor.transpose()
    )


def _frobenius_squared(matrix: DomainMatrix) -> Fraction:
    total = QQ(0)
    for row in matrix.to_list():
        for entry in row:
            total += entry * entry
    return Fraction(int(total.numerator), int(total.denominator))


def rational_label_noise(
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    train_count: int,
    test_count: int,
    ridge: Fraction = Fraction(0),
) -> tuple[Fraction, Fraction]:
    r"""Exact label-noise TPV per unit noise variance: :math:`(\mathrm{test}, \mathrm{train})`.

    With :math:`M` the solution map, :math:`\delta w = M\varepsilon` and
    :math:`\mathbb{E}\varepsilon\varepsilon^\top = I`, so
    :math:`\mathrm{TPV}_{te} = \|J_{te} M\|_F^2/n_{te}` and
    :math:`\mathrm{TPV}_{tr} = \|J M\|_F^2/n` (paper 000, Eq. 38 before diagonalising).
    """
    solution_map = rational_solution_map(train_rows, ridge)
    test = _frobenius_squared(_rational(test_rows) * solution_map) / test_count
    train = _frobenius_squared(_rational(train_rows) * solution_map) / train_count
    return test, train


def qr_solution_map(matrix: np.ndarray, rank_tolerance: float, ridge: float = 0.0) -> np.ndarray:
    r"""Float64 solution map by QR with column pivoting (``gelsy``), or a Cholesky ridge solve.

    ``rank_tolerance`` is the absolute singular-value cut-off of the solver under test;
    ``gelsy`` takes it relative to the largest entry of its triangular factor.
    """
    rows, columns = matrix.shape
    if ridge > 0:
        gram = matrix.T @ matrix + ridge * np.eye(columns)
        return scipy.linalg.solve(gram, matrix.T, assume_a="pos")
    largest = float(np.linalg.norm(matrix, 2))
    if largest == 0.0:
        return np.zeros((columns, rows))
    solution, _, _, _ = scipy.linalg.lstsq(
        matrix, np.eye(rows), cond=rank_tolerance / largest, lapack_driver="gelsy"
    )
    return solution


def rademacher_expectation(function: Callable[[np.ndarray], Any], size: int) -> Any:
    r"""Exact :math:`\mathbb{E}_z f(z)` for :math:`z` uniform on :math:`\{-1, 1\}^{\mathrm{size}}`.

    Averages ``function`` over all :math:`2^{\mathrm{size}}` sign vectors (int64 arrays). The
    mean is a :class:`~fractions.Fraction` when ``function`` returns ints or fractions (no
    rounding at all), a float otherwise.

    Raises
    ------
    ParameterError
        If ``size`` is negative or above 20 (a million evaluations).

    Examples
    --------
    >>> rademacher_expectation(lambda z: int(z.sum()) ** 2, 3)  # E (z1+z2+z3)^2 = 3
    Fraction(3, 1)
    """
    if not 0 <= size <= 20:
        raise ParameterError(f"enumeration needs 0 <= size <= 20 signs, got {size}")
    total: Any = 0
    for signs in itertools.product((-1, 1), repeat=size):
        total += function(np.array(signs, dtype=np.int64))
    if isinstance(total, int | Fraction):
        return Fraction(total) / 2**size
    return total / 2**size


def enumerated_noise_moments(
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    train_count: int,
    test_count: int,
    noise_std: float,
    solution_map: np.ndarray,
) -> tuple[float, float]:
    r"""Exact :math:`\mathbb{E}_\varepsilon` of test and train TPV over Rademacher noise.

    Enumerates all :math:`2^{m}` vectors :math:`\varepsilon \in \{\pm\sigma\}^m` (``m`` train
    rows), refits :math:`\delta w = M\varepsilon` for each, and averages
    :math:`\frac{1}{n_{te}}\|J_{te}\delta w\|^2` and :math:`\frac1n\|J\delta w\|^2`.

    Raises
    ------
    ParameterError
        If there are more than 14 training rows (16384 refits).
    """
    count = train_rows.shape[0]
    if count > MAX_ENUMERATED_ROWS:
        raise ParameterError(
            f"enumeration needs at most {MAX_ENUMERATED_ROWS} training rows, got {count}"
        )
    signs = np.array(list(itertools.product((-1.0, 1.0), repeat=count))).T  # (m, 2^m)
    perturbations = solution_map @ (noise_std * signs)  # one refit per column
    test = float(np.mean(np.sum((test_rows @ perturbations) ** 2, axis=0))) / test_count
    train = float(np.mean(np.sum((train_rows @ perturbations) ** 2, axis=0))) / train_count
    return test, train
