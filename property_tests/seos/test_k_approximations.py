"""Property suite for ``seos.k_approximations``: try to break the statements that hold.

Tests draw from the same :class:`~theorylab.falsify.PropertySearch` objects that the claims
register (``theorylab falsify`` reproduces any failure). The refuted statement is searched
too, and the search must *find* its counterexample (so the shrinker reaches it).
"""

from theorylab.claims.seos.k_approximations import corrected_search as ordering_corrected
from theorylab.claims.seos.k_approximations import ordering_search
from theorylab.falsify import hypothesis_test, search

test_corrected_ordering = hypothesis_test(ordering_corrected)


def test_paper_ordering_search_finds_counterexample():
    outcome = search(ordering_search, max_examples=200, seed=0)
    assert outcome.counterexample is not None
