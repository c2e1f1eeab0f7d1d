"""JBR / JC pruning scores (paper 000, Sec. 3.4) against named oracles, and the claim's checks.

Oracles: hand-derived closed forms (``closed form``), full enumeration of the Rademacher
masks (``enumeration``), dense H_eff and C matrices through ``tpv_trace`` (``dense``),
sympy derivations (``symbolic``) and ``torch.func.jvp`` for the SmallCNN channel directions
(``jvp``).
"""

import itertools

import numpy as np
import pytest

from theorylab.claims.tpv.jbr_pruning import JBR_PRUNING, JBR_PRUNING_CORRECTED
from theorylab.claims.tpv.jbr_pruning.exact import (
    first_order_error_law,
    jbr_equals_jc_correct_labels,
    literal_ranking_vs_tpv,
    rademacher_enumeration,
)
from theorylab.claims.tpv.jbr_pruning.instances import ranking_flip
from theorylab.errors import NonFiniteError, ParameterError, ShapeError
from theorylab.numerics import roundoff_tolerance
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers import tpv_trace
from theorylab.solvers.pruning import (
    group_directions,
    jbr_scores,
    jc_scores,
    nll_logit_gradient,
    pruning_tpv,
)
from theorylab.spec import Verdict

RTOL = 1e-12


def softmax(logits):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def test_closed_form_hand_case_both_readings():
    # closed form: δ_u = (-1/16, 1/16); (δ_uᵀv)² = 0 and 1/256; ‖δ_u‖²‖v‖² = 1/64 and 1/128.
    directions = [[[1.0, 1.0], [0.0, 1.0]]]
    probabilities = [[15 / 16, 1 / 16]]
    jc_form = jbr_scores(directions, probabilities)
    literal = jbr_scores(directions, probabilities, reading="literal")
    np.testing.assert_array_equal(jc_form.scores, [0.0, 1 / 256])
    np.testing.assert_array_equal(literal.scores, [1 / 64, 1 / 128])
    assert ranking_flip(literal.scores, jc_form.scores) == (0, 1)
    assert jc_form.kept_count == 1


def test_threshold_drops_unconfident_samples():
    # closed form: the second sample (p_c = 0.6) is dropped, the mean runs over one sample.
    directions = np.array([[[0.0, 2.0]], [[0.0, 5.0]]])
    probabilities = np.array([[0.95, 0.05], [0.6, 0.4]])
    result = jbr_scores(directions, probabilities, threshold=0.9)
    assert result.kept.tolist() == [True, False]
    assert result.scores[0] == pytest.approx((2 * 0.05) ** 2, rel=RTOL)
    assert result.stderr[0] == 0.0
    nothing = jbr_scores(directions, probabilities, threshold=0.99)
    assert nothing.kept_count == 0 and nothing.scores.tolist() == [0.0]


@pytest.mark.numerics
def test_logit_gradient_closed_form_rows_sum_to_zero():
    probabilities = softmax(np.random.default_rng(0).standard_normal((6, 4)))
    gradient = nll_logit_gradient(probabilities, [0, 1, 2, 3, 0, 1])
    # p - onehot: K rounded probabilities (each within K eps, all <= 1) and the -1 summed
    classes = gradient.shape[1]
    np.testing.assert_allclose(gradient.sum(axis=1), 0.0,
                               atol=roundoff_tolerance(1.0, 2 * classes))
    assert gradient[1, 1] == pytest.approx(probabilities[1, 1] - 1.0, rel=RTOL)


@pytest.mark.parametrize(("samples", "outputs", "sizes"), [(1, 2, [1, 1]), (4, 3, [2, 1, 3])])
def test_eq15_matches_enumeration_and_dense_oracles(samples, outputs, sizes):
    rng = np.random.default_rng(samples * 10 + outputs)
    parameters = sum(sizes)
    jacobian = rng.standard_normal((samples, outputs, parameters))
    weights = rng.standard_normal(parameters)
    probabilities = softmax(rng.standard_normal((samples, outputs)))
    bounds = np.cumsum([0, *sizes])
    groups = [np.arange(a, b) for a, b in itertools.pairwise(bounds)]
    directions = group_directions(jacobian, weights, groups)
    sigma = 0.7
    solver = pruning_tpv(directions, probabilities, sigma)
    delta = nll_logit_gradient(probabilities, probabilities.argmax(axis=1))
    gradient_u = np.einsum("nk,nkp->np", delta, jacobian)
    # enumeration over ξ ∈ {±1}^G
    enumerated = np.mean([
        np.mean((gradient_u @ np.concatenate([sigma * s * weights[g] for s, g in
                                               zip(signs, groups, strict=True)])) ** 2)
        for signs in itertools.product((1, -1), repeat=len(groups))
    ])
    # dense Tr(H_eff C) with block-diagonal C
    covariance = np.zeros((parameters, parameters))
    for g in groups:
        covariance[np.ix_(g, g)] = sigma**2 * np.outer(weights[g], weights[g])
    dense = tpv_trace(gradient_u.T @ gradient_u / samples, covariance)
    assert solver == pytest.approx(enumerated, rel=RTOL)
    assert solver == pytest.approx(dense, rel=RTOL)


def test_jbr_equals_jc_for_correct_labels_on_the_same_samples():
    # closed form: m_JC = p - e_y = m_JBR when y = argmax p; both readings, all samples kept.
    rng = np.random.default_rng(3)
    directions = rng.standard_normal((7, 4, 3))
    probabilities = softmax(rng.standard_normal((7, 3)))
    labels = probabilities.argmax(axis=1)
    for reading in ("jc_form", "literal"):
        jbr = jbr_scores(directions, probabilities, reading=reading, threshold=0.0)
        jc = jc_scores(directions, probabilities, labels, reading=reading)
        np.testing.assert_array_equal(jbr.scores, jc.scores)


def test_literal_is_at_least_jc_form_cauchy_schwarz():
    rng = np.random.default_rng(4)
    directions = rng.standard_normal((20, 6, 5))
    probabilities = softmax(3 * rng.standard_normal((20, 5)))
    literal = jbr_scores(directions, probabilities, reading="literal", threshold=0.0).scores
    jc_form = jbr_scores(directions, probabilities, threshold=0.0).scores
    assert np.all(literal >= jc_form)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: jbr_scores(np.zeros((2, 3)), [[1.0, 0.0]]), ShapeError),
        (lambda: jbr_scores(np.zeros((1, 1, 2)), [[0.7, 0.7]]), ParameterError),
        (lambda: jbr_scores(np.zeros((1, 1, 2)), [[1.0, 0.0]], reading="dot"), ParameterError),
        (lambda: jbr_scores(np.zeros((1, 1, 2)), [[1.0, 0.0]], threshold=1.0), ParameterError),
        (lambda: jbr_scores(np.full((1, 1, 2), np.nan), [[1.0, 0.0]]), NonFiniteError),
        (lambda: jc_scores(np.zeros((1, 1, 2)), [[1.0, 0.0]], [2]), ParameterError),
        (lambda: group_directions(np.zeros((1, 2, 3)), np.zeros(3), [[3]]), ParameterError),
        (lambda: pruning_tpv(np.zeros((1, 1, 2)), [[1.0, 0.0]], -1.0), ParameterError),
    ],
)
def test_input_validation(call, error):
    with pytest.raises(error):
        call()


def test_claim_checks_give_computed_verdicts():
    context = CheckContext()
    assert rademacher_enumeration(context).verdict is Verdict.HOLDS
    law = first_order_error_law(context)
    assert law.verdict is Verdict.HOLDS_APPROX and abs(law.details["slope"] - 2) < 0.15
    ranking = literal_ranking_vs_tpv(context)
    assert ranking.verdict is Verdict.REFUTED
    assert ranking.counterexample.actual == [0.0, 1 / 256]
    labels = jbr_equals_jc_correct_labels(context)
    assert labels.verdict is Verdict.REFUTED and labels.details["same_sample_max_relative_gap"] == 0


def test_symbolic_checks_locate_the_literal_reading():
    checks = {item.spec.name: item.function for item in CATALOG.checks(JBR_PRUNING.id)}
    assert checks["derivation_eq13_15"](CheckContext()).verdict is Verdict.PROVED
    readings = checks["eq16_readings_vs_eq15"](CheckContext())
    failing = {step.name.split("] ")[1] for step in readings.steps if not step.holds}
    assert failing == {"literal_conformable_K2", "literal_conformable_K3",
                       "literal_reading_equals_eq15"}
    corrected = {item.spec.name: item.function for item in CATALOG.checks(JBR_PRUNING_CORRECTED.id)}
    assert corrected["corrected_derivation"](CheckContext()).verdict is Verdict.PROVED
    assert corrected["corrected_dense_oracle"](CheckContext()).verdict is Verdict.HOLDS


def test_smallcnn_channel_directions_match_jvp_and_masking_removes_channels():
    torch = pytest.importorskip("torch")
    from theorylab.gpu import SmallCNN

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convolutions: threads only contend on a shared machine
    try:
        _check_directions_and_masking(torch, SmallCNN)
    finally:
        torch.set_num_threads(threads)


def _check_directions_and_masking(torch, SmallCNN):
    from theorylab.gpu.pruning import (
        apply_mask,
        channel_directions,
        channel_groups,
        group_tangent,
        prune_lowest,
    )

    model = SmallCNN(channels=3, seed=1).double()
    inputs = torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(0),
                        dtype=torch.float64)
    directions, _ = channel_directions(model, inputs)
    groups = channel_groups(model)
    parameters = {k: v.detach() for k, v in model.named_parameters()}
    for index, group in enumerate(groups):
        # jvp oracle: d/dt f(w + t w_g) at t = 0
        _, derivative = torch.func.jvp(
            lambda values: torch.func.functional_call(model, values, (inputs,)),
            (parameters,), (group_tangent(model, group),),
        )
        torch.testing.assert_close(directions[:, index, :], derivative, rtol=1e-10, atol=1e-12)
    pruned = prune_lowest(torch.arange(6.0), groups, set(), 5)
    assert len(pruned) == 4  # one channel per layer survives
    apply_mask(model, pruned)
    after, _ = channel_directions(model, inputs)
    for index, group in enumerate(groups):
        if group in pruned:
            assert float(after[:, index, :].abs().max()) == 0.0
