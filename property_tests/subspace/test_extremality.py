"""Property suite of ``subspace.extremality`` and its corrected companion.

Each search is the one the claim registers (``theorylab falsify`` uses it too). Proposition 3
is expected to fail (its counterexample is asserted); Lemma 5 and the corrected statement hold.
"""

from theorylab.claims.subspace.extremality import (
    corrected_search,
    extremality_search,
    lemma5_search,
)
from theorylab.falsify import hypothesis_test, search

test_lemma5_search = hypothesis_test(lemma5_search)
test_corrected_extremality_search = hypothesis_test(corrected_search)


def test_proposition3_counterexample_is_minimal():
    outcome = search(extremality_search, max_examples=200, seed=0)
    assert outcome.counterexample is not None
    assert outcome.counterexample.instance["increments"] == [0.0, 1.0]
