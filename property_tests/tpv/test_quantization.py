"""Property suite for ``tpv.quantization`` (paper 000, Remark 3.4 / App. E): try to break it.

Each test draws from the strategy and probe a claim's property check and ``theorylab
falsify`` use, so a failure here is a counterexample the CLI reproduces.
"""

from theorylab.claims.tpv.quantization.property import quantization_search
from theorylab.falsify import hypothesis_test

test_quadratic_quantization_matches_quadrature = hypothesis_test(quantization_search)
