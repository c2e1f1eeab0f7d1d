"""Shared dense linear algebra: Jacobian reshaping and a compact SVD with a stated rank cut-off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_array, check_nonnegative
from theorylab.errors import ShapeError
from theorylab.numerics import roundoff_tolerance

__all__ = ["CompactSVD", "compact_svd", "default_rank_tolerance", "jacobian_rows"]


def jacobian_rows(jacobian: Any, name: str = "jacobian") -> tuple[np.ndarray, int]:
    """Stack a Jacobian's output rows into a matrix and return it with the sample count.

    Scalar outputs come as shape ``(n, p)``; vector outputs as ``(n, K, p)`` and are stacked
    to ``(n K, p)``, so that squared norms are summed over the ``K`` outputs (the catalogue's
    convention for vector outputs). Averages over samples divide by ``n``, not ``n K``.

    Returns
    -------
    rows, sample_count
        The ``(n K, p)`` matrix and ``n``.

    Raises
    ------
    ShapeError
        If the array is not 2-D or 3-D, or has no samples or no parameters.
    """
    array = as_array(jacobian, name)
    if array.ndim == 2:
        sample_count = array.shape[0]
        rows = array
    elif array.ndim == 3:
        sample_count = array.shape[0]
        rows = array.reshape(array.shape[0] * array.shape[1], array.shape[2])
    else:
        raise ShapeError(
            f"{name} must have shape (n, p) or (n, K, p), got {array.ndim}-D shape {array.shape}"
        )
    if sample_count == 0 or rows.shape[1] == 0 or rows.shape[0] == 0:
        raise ShapeError(
            f"{name} must have at least one sample, output and parameter, got {array.shape}"
        )
    return rows, sample_count


def default_rank_tolerance(singular_values: np.ndarray, shape: tuple[int, int]) -> float:
    r"""The rank cut-off :math:`\max(m, p)\,\epsilon\,s_{\max}` (NumPy's ``matrix_rank`` rule).

    Singular values at or below it are treated as zero: they are indistinguishable from the
    round-off of a backward-stable SVD of a matrix of that shape.
    """
    largest = float(singular_values[0]) if singular_values.size else 0.0
    return roundoff_tolerance(largest, max(shape), np.float64)


@dataclass(frozen=True)
class CompactSVD:
    r"""Compact SVD :math:`J = U_r S V_r^\top` keeping singular values above ``rank_tolerance``.

    Attributes
    ----------
    left, singular_values, right
        :math:`U_r` (m, r), :math:`s` (r,) descending, :math:`V_r` (p, r).
    rank
        :math:`r`, the number of singular values above the cut-off.
    rank_tolerance
        The cut-off used.
    largest_discarded
        The largest singular value treated as zero (0.0 if none).
    """

    left: np.ndarray
    singular_values: np.ndarray
    right: np.ndarray
    rank: int
    rank_tolerance: float
    largest_discarded: float


def compact_svd(matrix: np.ndarray, rank_tolerance: float | None = None) -> CompactSVD:
    """Compact SVD of a finite 2-D float64 matrix with the stated rank cut-off.

    Parameters
    ----------
    matrix
        Shape ``(m, p)``, already validated.
    rank_tolerance
        Singular values ``<=`` this are dropped; ``None`` uses :func:`default_rank_tolerance`.
    """
    left, singular_values, right_t = np.linalg.svd(matrix, full_matrices=False)
    if rank_tolerance is None:
        tolerance = default_rank_tolerance(singular_values, matrix.shape)
    else:
        tolerance = check_nonnegative(rank_tolerance, "rank_tolerance")
    rank = int(np.count_nonzero(singular_values > tolerance))
    discarded = singular_values[rank:]
    return CompactSVD(
        left=left[:, :rank],
        singular_values=singular_values[:rank],
        right=right_t[:rank].T,
        rank=rank,
        rank_tolerance=tolerance,
        largest_discarded=float(discarded[0]) if discarded.size else 0.0,
    )
