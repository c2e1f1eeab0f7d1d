"""Property suite of ``awd.alpha_bounds``: try to break Eq. 19-20 and the window bounds.

Tests draw from the same strategies and probes as the claim's property checks, so a failure
here is a counterexample ``theorylab falsify`` reproduces. The paper's Eq. 20 (fitted exponent
in [1, 2]) is *expected* to break: the test asserts that hypothesis finds and shrinks a
counterexample.
"""

import numpy as np
from hypothesis import given

from theorylab.claims.awd.alpha_bounds.exact import instance_verdict
from theorylab.claims.awd.alpha_bounds.property import (
    elementwise_search,
    fitted_exponent_search,
    lower_bound_search,
    window_search,
)
from theorylab.claims.awd.paper import single_threaded
from theorylab.falsify import hypothesis_test, search
from theorylab.spec import Verdict
from theorylab.strategies import per_sample_hessian_stacks

test_elementwise_bounds_hold_on_psd_stacks = hypothesis_test(elementwise_search)
test_lower_bound_needs_no_psd = hypothesis_test(lower_bound_search)
test_fitted_exponent_within_window_bounds = hypothesis_test(window_search)


@given(per_sample_hessian_stacks(psd=False))
def test_indefinite_stacks_are_not_applicable_or_psd(stack):
    verdict, details = instance_verdict(stack)
    if details["psd"]:
        assert verdict is Verdict.HOLDS
    else:
        assert verdict is Verdict.NOT_APPLICABLE
        assert details["lower_bound_holds"]  # Cauchy-Schwarz + Jensen need no PSD


def test_paper_eq20_is_falsified_and_shrunk():
    outcome = single_threaded(search)(fitted_exponent_search, max_examples=100, seed=0)
    assert outcome.counterexample is not None
    stack = np.asarray(outcome.counterexample.instance["per_sample_hessians"])
    assert stack.shape[1] == 2  # shrinks to two parameters
    assert not 1.0 <= outcome.counterexample.actual <= 2.0
