"""Property suite for paper 003 (``subspace.*``): the claims' own searches, plus invariances.

Each search is the one the claim registers (``theorylab falsify`` uses it too). Proposition 3
is expected to fail (its counterexample is asserted); Lemma 5 and the corrected statement hold.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.subspace.increment import (
    gaussian_moment_search,
    increment_search,
    reduction_search,
)
from theorylab.claims.subspace.rate import rate_search
from theorylab.claims.subspace.spectral import (
    corrected_search,
    extremality_search,
    lemma5_search,
    spectral_search,
)
from theorylab.falsify import hypothesis_test, search
from theorylab.solvers import gaussian_moment_criterion
from theorylab.strategies import quadratic_probe_instances

test_increment_identity_search = hypothesis_test(increment_search)
test_reduction_search = hypothesis_test(reduction_search)
test_gaussian_moment_search = hypothesis_test(gaussian_moment_search)
test_rate_search = hypothesis_test(rate_search)
test_spectral_form_search = hypothesis_test(spectral_search)
test_lemma5_search = hypothesis_test(lemma5_search)
test_corrected_extremality_search = hypothesis_test(corrected_search)


def test_proposition3_counterexample_is_minimal():
    outcome = search(extremality_search, max_examples=200, seed=0)
    assert outcome.counterexample is not None
    assert outcome.counterexample.instance["increments"] == [0.0, 1.0]


@given(quadratic_probe_instances(), st.integers(-3, 3))
def test_gaussian_moment_sigma_scaling(instance, exponent):
    # scaling z -> t z equals (B, c) -> (t^2 B, t c) with sigma fixed
    t = 2.0**exponent
    lhs = gaussian_moment_criterion(instance["value_gap"], instance["gradient"],
                                    instance["hessian"], instance["sigma"] * t)
    rhs = gaussian_moment_criterion(instance["value_gap"], t * instance["gradient"],
                                    t**2 * instance["hessian"], instance["sigma"])
    assert np.isclose(lhs, rhs, rtol=1e-12, atol=1e-300)
