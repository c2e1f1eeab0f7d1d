"""Property suite for paper 004's soft-rank functionals (:mod:`theorylab.solvers.soft_rank`)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.solvers.soft_rank import soft_rank, soft_rank_squared
from theorylab.strategies import psd_matrices, softrank_regularizers


@given(psd_matrices(max_size=5), st.integers(-6, 6))
def test_soft_ranks_bounded_by_rank(matrix, exponent):
    lam = float(np.ldexp(1.0, exponent))
    rank = np.linalg.matrix_rank(matrix)
    assert soft_rank_squared(matrix, lam) <= soft_rank(matrix, lam) + 1e-12
    assert soft_rank(matrix, lam) <= rank + 1e-9


@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(psd_matrices(max_size=n), softrank_regularizers(n))
    ),
    st.floats(0.01, 100.0),
)
def test_soft_rank_is_scale_invariant(pair, scale):
    matrix, lam = pair
    size = matrix.shape[0]
    lam = lam if np.ndim(lam) == 0 else np.asarray(lam)[:size, :size]
    assert np.isclose(
        soft_rank(scale * matrix, scale * np.asarray(lam)),
        soft_rank(matrix, lam),
        rtol=1e-9,
        atol=1e-9,
    )
