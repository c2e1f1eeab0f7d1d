"""Property suite for ``tpv.trace_inequality``.

Draws from the same strategy and probe as the claim's property check and
``theorylab falsify``, so a failure here is a counterexample the CLI reproduces.
"""

from theorylab.claims.tpv.trace_inequality import trace_inequality_search
from theorylab.falsify import hypothesis_test

test_trace_inequality_exact_and_float = hypothesis_test(trace_inequality_search)
