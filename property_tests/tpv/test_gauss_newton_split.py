"""Property suite for ``tpv.gauss_newton_split`` (paper 000, App. D.2): try to break it.

Each test draws from the strategy and probe a claim's property check and ``theorylab
falsify`` use, so a failure here is a counterexample the CLI reproduces.
"""

from theorylab.claims.tpv.gauss_newton_split import gauss_newton_search
from theorylab.falsify import hypothesis_test

test_gauss_newton_remainder_within_bound = hypothesis_test(gauss_newton_search)
