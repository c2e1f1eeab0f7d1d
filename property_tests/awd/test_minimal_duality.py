"""Property suite of ``awd.minimal_duality``: try to break the minimal-norm duality.

Tests draw from the same strategies and probes as the claim's property checks, so a failure
here is a counterexample ``theorylab falsify`` reproduces.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.awd.minimal_duality import duality_search
from theorylab.falsify import hypothesis_test
from theorylab.solvers.awd import minimal_awd_perturbation

test_minimal_duality_exact = hypothesis_test(duality_search)


@given(duality_search.strategy(), st.floats(-4, 4, allow_nan=False))
def test_minimal_duality_is_linear_in_activity_delta(instance, scale):
    weight, activity, delta = instance
    if not activity.any():
        return
    base = minimal_awd_perturbation(weight, activity, delta)
    scaled = minimal_awd_perturbation(weight, activity, scale * delta)
    np.testing.assert_allclose(
        scaled, scale * base, rtol=1e-12, atol=1e-12 * np.abs(base).max(initial=1)
    )
