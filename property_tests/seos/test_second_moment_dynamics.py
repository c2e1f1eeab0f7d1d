"""Property suite for ``seos.second_moment_dynamics.corrected``: try to break what holds.

Tests draw from the same :class:`~theorylab.falsify.PropertySearch` objects that the claims
register (``theorylab falsify`` reproduces any failure).
"""

from theorylab.claims.seos.second_moment_dynamics import operator_search
from theorylab.falsify import hypothesis_test

test_eq26_operator_matches_enumeration = hypothesis_test(operator_search)
