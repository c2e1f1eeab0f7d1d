"""Property suite of ``subspace.rate``: the claim's own search (Eq. 10 on quadratic losses)."""

from theorylab.claims.subspace.rate import rate_search
from theorylab.falsify import hypothesis_test

test_rate_search = hypothesis_test(rate_search)
