"""Property suite for ``softrank.properties``: monotonicity and concavity of the soft ranks.

The tests draw from the same strategies and probes the claim's property checks and
``theorylab falsify`` use (:mod:`theorylab.claims.softrank.properties`). The concavity of
rank^(2) is *refuted*: that test asserts hypothesis finds (and shrinks) the counterexample.
"""

import numpy as np

from theorylab.claims.softrank.properties import (
    rank2_concave_above_half_search,
    rank2_concave_search,
    rank2_monotone_search,
    soft_rank_monotone_concave_search,
)
from theorylab.falsify import hypothesis_test, search

test_soft_rank_monotone_and_concave = hypothesis_test(soft_rank_monotone_concave_search)
test_rank2_monotone = hypothesis_test(rank2_monotone_search)
test_rank2_concave_above_half = hypothesis_test(rank2_concave_above_half_search)


def test_rank2_concavity_is_refuted_with_minimal_counterexample():
    outcome = search(rank2_concave_search, max_examples=200, seed=0)
    assert outcome.counterexample is not None
    instance = outcome.counterexample.instance
    assert np.asarray(instance["A"]).shape == (1, 1)  # shrinks to the 1×1 case
