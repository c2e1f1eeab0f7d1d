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
from theorylab.falsify import search
from theorylab.solvers import gaussian_moment_criterion
from theorylab.strategies import quadratic_probe_instances


def _holds(property_search):
    @given(property_search.strategy())
    def run(instance):
        counterexample = property_search.probe(instance)
        assert counterexample is None, counterexample.message

    run()


def test_increment_identity_search():
    _holds(increment_search)


def test_reduction_search():
    _holds(reduction_search)


def test_gaussian_moment_search():
    _holds(gaussian_moment_search)


def test_rate_search():
    _holds(rate_search)


def test_spectral_form_search():
    _holds(spectral_search)


def test_lemma5_search():
    _holds(lemma5_search)


def test_corrected_extremality_search():
    _holds(corrected_search)


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
