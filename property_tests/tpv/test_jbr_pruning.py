"""Property suite for ``tpv.jbr_pruning`` (paper 000, Sec. 3.4): try to break each reading.

The strategy and probes are the ones the claims register (``theorylab falsify`` uses them),
so a failure here is a counterexample the CLI reproduces. The printed Eq. 16 is *expected*
to fail its search; the test asserts that hypothesis finds (and shrinks) a ranking flip.
"""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from theorylab.claims.tpv.jbr_pruning.property import corrected_search, literal_ranking_search
from theorylab.falsify import hypothesis_test, search
from theorylab.solvers.pruning import group_directions, jbr_scores, jc_scores, pruning_tpv
from theorylab.strategies import pruning_instances


def _directions(instance):
    bounds = np.cumsum([0, *instance["group_sizes"]])
    groups = [np.arange(a, b) for a, b in itertools.pairwise(bounds)]
    logits = instance["logits"]
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=1, keepdims=True)
    return group_directions(instance["jacobian"], instance["weights"], groups), probabilities


test_corrected_jc_form_is_the_tpv_term = hypothesis_test(corrected_search)


def test_printed_eq16_search_finds_a_small_ranking_flip():
    outcome = search(literal_ranking_search, max_examples=200, seed=0)
    assert outcome.counterexample is not None
    instance = outcome.counterexample.instance
    assert len(instance["group_sizes"]) == 2  # shrunk to two groups
    assert len(instance["logits"]) == 1  # and one sample


@given(pruning_instances(), st.floats(0.01, 10.0))
def test_pruning_tpv_is_quadratic_in_sigma(instance, sigma):
    directions, probabilities = _directions(instance)
    unit = pruning_tpv(directions, probabilities, 1.0)
    assert np.isclose(pruning_tpv(directions, probabilities, sigma), sigma**2 * unit,
                      rtol=1e-12, atol=0)


@given(pruning_instances())
def test_scores_invariant_to_group_rescaling_sign(instance):
    # v_g is linear in w_g, scores quadratic: flipping the sign of every weight changes nothing.
    directions, probabilities = _directions(instance)
    for reading in ("jc_form", "literal"):
        plain = jbr_scores(directions, probabilities, reading=reading).scores
        flipped = jbr_scores(-directions, probabilities, reading=reading).scores
        np.testing.assert_array_equal(plain, flipped)


@settings(max_examples=50)
@given(pruning_instances())
def test_literal_dominates_jc_form_and_jc_matches_on_kept(instance):
    directions, probabilities = _directions(instance)
    literal = jbr_scores(directions, probabilities, reading="literal")
    jc_form = jbr_scores(directions, probabilities)
    scale = max(float(np.max(literal.scores)), 1e-300)
    assert np.all(literal.scores >= jc_form.scores - 1e-12 * scale)
    kept = jc_form.kept
    if kept.any():
        labels = probabilities.argmax(axis=1)[kept]
        jc = jc_scores(directions[kept], probabilities[kept], labels).scores
        np.testing.assert_array_equal(jc, jc_form.scores)
