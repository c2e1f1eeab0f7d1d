"""Property suite for ``tpv.sgd_noise_covariance`` (paper 000, App. D.1): try to break it.

Each test draws from the strategy and probe a claim's property check and ``theorylab
falsify`` use, so a failure here is a counterexample the CLI reproduces.
"""

from theorylab.claims.tpv.sgd_noise_covariance.property import enumeration_search
from theorylab.falsify import hypothesis_test

test_minibatch_closed_form_matches_enumeration = hypothesis_test(enumeration_search)
