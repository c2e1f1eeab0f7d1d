"""Property suite of ``subspace.increment_identity``: the claim's own search (Eq. 5, rationals)."""

from theorylab.claims.subspace.increment_identity import increment_search
from theorylab.falsify import hypothesis_test

test_increment_identity_search = hypothesis_test(increment_search)
