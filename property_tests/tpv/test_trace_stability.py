"""Property suite for ``tpv.trace_stability(.corrected)`` (the trace inequality:
``test_trace_inequality.py``).

Draws from the same strategies and probes the claims' property checks and
``theorylab falsify`` use, so a failure here is a counterexample the CLI reproduces.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.tpv.trace_stability.property import trace_stability_corrected_search
from theorylab.falsify import hypothesis_test
from theorylab.solvers import trace_stability_gap
from theorylab.solvers.trace_stability import effective_curvature_difference
from theorylab.strategies import jacobian_pairs, psd_matrices

test_corrected_chain_holds = hypothesis_test(trace_stability_corrected_search)


@given(jacobian_pairs(), psd_matrices(max_size=7))
def test_finite_size_bound_holds_for_every_pair(pair, factor_source):
    parameters = pair.train_rows.shape[1]
    covariance = np.zeros((parameters, parameters))
    size = min(parameters, factor_source.shape[0])
    covariance[:size, :size] = factor_source[:size, :size]
    result = trace_stability_gap(pair.train, pair.test, covariance)
    assert result.gap <= result.bound + result.rounding_bound


@given(jacobian_pairs(max_parameters=12), st.sampled_from(["gram", "thin_qr"]))
def test_reduced_norm_equals_dense(pair, method):
    dense = effective_curvature_difference(pair.train, pair.test, method="dense").operator_norm
    reduced = effective_curvature_difference(pair.train, pair.test, method=method).operator_norm
    scale = np.sum(pair.train_rows**2) + np.sum(pair.test_rows**2)
    assert abs(reduced - dense) <= 1e-12 * scale + 1e-10 * dense
