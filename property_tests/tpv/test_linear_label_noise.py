"""Property suite for ``tpv.linear_label_noise``.

Each test draws from the strategy and probe the claim's registered ``PropertySearch`` uses,
so a failure is a counterexample ``theorylab falsify`` reproduces.
"""

from theorylab.claims.tpv.linear_label_noise.property import design_search, harmonic_bound_search
from theorylab.falsify import hypothesis_test

test_eq9_solver_matches_exact_rationals_or_rejects = hypothesis_test(design_search)
test_inverse_gram_trace_above_harmonic_bound = hypothesis_test(harmonic_bound_search)
