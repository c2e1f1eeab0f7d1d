"""Property suite for ``softrank.calibrated_gap``: the Prop. 4.1 and 4.2 inequalities."""

from theorylab.claims.softrank.calibrated_gap import prop41_search
from theorylab.falsify import hypothesis_test

test_prop41_prop42_inequalities = hypothesis_test(prop41_search)
