"""Property suite for ``seos.conservative_sharpening.corrected``: try to break what holds.

Tests draw from the same :class:`~theorylab.falsify.PropertySearch` objects that the claims
register (``theorylab falsify`` reproduces any failure).
"""

from theorylab.claims.seos.conservative_sharpening.property import exact_gap_search
from theorylab.falsify import hypothesis_test

test_theorem_3_1_exact_moments = hypothesis_test(exact_gap_search)
