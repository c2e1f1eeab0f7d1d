"""Property suite of ``subspace.reduction``: the claim's own search (Lemma 1 vs quadrature)."""

from theorylab.claims.subspace.reduction import reduction_search
from theorylab.falsify import hypothesis_test

test_reduction_search = hypothesis_test(reduction_search)
