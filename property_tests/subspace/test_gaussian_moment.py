"""Property suite of ``subspace.gaussian_moment``: the claim's own search, plus σ scaling."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.subspace.gaussian_moment import gaussian_moment_search
from theorylab.falsify import hypothesis_test
from theorylab.solvers import gaussian_moment_criterion
from theorylab.strategies import quadratic_probe_instances

test_gaussian_moment_search = hypothesis_test(gaussian_moment_search)


@given(quadratic_probe_instances(), st.integers(-3, 3))
def test_gaussian_moment_sigma_scaling(instance, exponent):
    # scaling z -> t z equals (B, c) -> (t^2 B, t c) with sigma fixed
    t = 2.0**exponent
    lhs = gaussian_moment_criterion(instance["value_gap"], instance["gradient"],
                                    instance["hessian"], instance["sigma"] * t)
    rhs = gaussian_moment_criterion(instance["value_gap"], t * instance["gradient"],
                                    t**2 * instance["hessian"], instance["sigma"])
    assert np.isclose(lhs, rhs, rtol=1e-12, atol=1e-300)
