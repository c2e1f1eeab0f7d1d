"""Property suite for ``softrank.error_uncertainty``: Prop. 5.3 (with H = F) and Prop. 5.4."""

from theorylab.claims.softrank.error_uncertainty import prop53_search, prop54_search
from theorylab.falsify import hypothesis_test

test_prop53_bounds_with_h_equal_f = hypothesis_test(prop53_search)
test_prop54_ratio_bound = hypothesis_test(prop54_search)
