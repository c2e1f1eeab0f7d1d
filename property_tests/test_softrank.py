"""Property suite for paper 004 (soft rank): try to break each claim.

The tests draw from the same strategies and probes the claims' property checks and
``theorylab falsify`` use (:mod:`theorylab.claims.softrank`). The concavity of rank^(2) is
*refuted*: that test asserts hypothesis finds (and shrinks) the counterexample.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.softrank.block_diagonal import block_diagonal_search
from theorylab.claims.softrank.calibrated_gap import prop41_search
from theorylab.claims.softrank.error_uncertainty import prop53_search, prop54_search
from theorylab.claims.softrank.information_equality import information_equality_search
from theorylab.claims.softrank.properties import (
    rank2_concave_above_half_search,
    rank2_concave_search,
    rank2_monotone_search,
    soft_rank_monotone_concave_search,
)
from theorylab.falsify import hypothesis_test, search
from theorylab.solvers.soft_rank import soft_rank, soft_rank_squared
from theorylab.strategies import psd_matrices, softrank_regularizers

test_soft_rank_monotone_and_concave = hypothesis_test(soft_rank_monotone_concave_search)
test_rank2_monotone = hypothesis_test(rank2_monotone_search)
test_rank2_concave_above_half = hypothesis_test(rank2_concave_above_half_search)


def test_rank2_concavity_is_refuted_with_minimal_counterexample():
    outcome = search(rank2_concave_search, max_examples=200, seed=0)
    assert outcome.counterexample is not None
    instance = outcome.counterexample.instance
    assert np.asarray(instance["A"]).shape == (1, 1)  # shrinks to the 1×1 case


test_prop41_prop42_inequalities = hypothesis_test(prop41_search)
test_information_equality = hypothesis_test(information_equality_search)
test_prop53_bounds_with_h_equal_f = hypothesis_test(prop53_search)
test_prop54_ratio_bound = hypothesis_test(prop54_search)
test_block_diagonal_truncation = hypothesis_test(block_diagonal_search)


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
