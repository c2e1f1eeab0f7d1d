"""Property suite for paper 002 (``seos.*``): try to break the statements that hold.

Tests draw from the same :class:`~theorylab.falsify.PropertySearch` objects that the claims
register (``theorylab falsify`` reproduces any failure). The refuted statements are searched
too, and the search must *find* their counterexamples (so the shrinker reaches them).
"""

import numpy as np
from hypothesis import given

from theorylab.claims.seos.approximations import corrected_search as ordering_corrected
from theorylab.claims.seos.approximations import ordering_search
from theorylab.claims.seos.k_theorem import corrected_search as theorem_corrected
from theorylab.claims.seos.moments import batch_moment_search, operator_search
from theorylab.claims.seos.sharpening import exact_gap_search
from theorylab.falsify import hypothesis_test, search
from theorylab.solvers.noise_kernel import noise_kernel_norm
from theorylab.solvers.noise_kernel_second_moment import (
    noise_kernel_norm_full,
    second_moment_spectral_radius,
)
from theorylab.strategies import sgd_noise_problems

test_selection_moment_matches_enumeration = hypothesis_test(batch_moment_search)
test_eq26_operator_matches_enumeration = hypothesis_test(operator_search)
test_corrected_theorem_2_1_on_sgd_matrices = hypothesis_test(theorem_corrected)
test_corrected_ordering = hypothesis_test(ordering_corrected)
test_theorem_3_1_exact_moments = hypothesis_test(exact_gap_search)


@given(sgd_noise_problems(max_size=4))
def test_full_criterion_matches_dense_spectral_radius(instance):
    """Oracle: dense eigenvalues of the D^2 x D^2 operator T; K <= K_full always."""
    ntk, eta, batch = instance["ntk"], instance["learning_rate"], instance["batch_size"]
    radius = second_moment_spectral_radius(ntk, eta, batch, method="dense").spectral_radius
    full = noise_kernel_norm_full(ntk, eta, batch)
    if abs(radius - 1) > 1e-9 and abs(full - 1) > 1e-9:
        assert (radius < 1) == (full < 1)
    assert noise_kernel_norm(ntk, eta, batch).value <= full + 1e-10


def test_paper_ordering_search_finds_counterexample():
    outcome = search(ordering_search, max_examples=200, seed=0)
    assert outcome.counterexample is not None


@given(sgd_noise_problems(max_size=3))
def test_k_is_nonnegative(instance):
    value = noise_kernel_norm(
        instance["ntk"], instance["learning_rate"], instance["batch_size"]
    ).value
    assert value >= -1e-12 and np.isfinite(value)
