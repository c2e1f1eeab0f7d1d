"""Property suite for ``seos.batch_moments``: try to break the statements that hold.

Tests draw from the same :class:`~theorylab.falsify.PropertySearch` objects that the claims
register (``theorylab falsify`` reproduces any failure).
"""

from theorylab.claims.seos.batch_moments import batch_moment_search
from theorylab.falsify import hypothesis_test

test_selection_moment_matches_enumeration = hypothesis_test(batch_moment_search)
