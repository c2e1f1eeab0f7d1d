"""Exact checks of ``tpv.jbr_pruning`` and of its corrected companion.

Enumeration of the masks, the first-order error law, both readings of Eq. 16, JBR = JC; the
corrected statement against dense matrices on random instances.
"""

from __future__ import annotations

import itertools

import numpy as np

from theorylab.claims.tpv.jbr_pruning import (
    EPS,
    EXACT_RTOL,
    JBR_PRUNING,
    JBR_PRUNING_CORRECTED,
    SLOPE_BAND,
    THRESHOLD,
)
from theorylab.claims.tpv.jbr_pruning.instances import (
    group_indices,
    hand_minimal,
    instance_scores,
    random_instance,
    ranking_flip,
    softmax,
)
from theorylab.figures import figure
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.pruning import jbr_scores, jc_scores, nll_logit_gradient, pruning_tpv
from theorylab.solvers.tpv import tpv_trace
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict

__all__ = [
    "corrected_dense_oracle",
    "corrected_violation",
    "first_order_error_law",
    "jbr_equals_jc_correct_labels",
    "literal_ranking_vs_tpv",
    "rademacher_enumeration",
]


def _enumerated_first_order(instance: dict[str, np.ndarray], sigma: float) -> float:
    """E_ξ mean_x (J_u δw)² by enumerating ξ ∈ {±1}^G; J_u = δ_uᵀ J (whole parameter vector)."""
    probabilities = softmax(instance["logits"])
    delta = nll_logit_gradient(probabilities, np.argmax(probabilities, axis=1))
    gradient_u = np.einsum("nk,nkp->np", delta, instance["jacobian"])
    groups = group_indices(instance["group_sizes"])
    total = 0.0
    patterns = list(itertools.product((1.0, -1.0), repeat=len(groups)))
    for pattern in patterns:
        perturbation = np.zeros_like(instance["weights"])
        for sign, members in zip(pattern, groups, strict=True):
            perturbation[members] = sigma * sign * instance["weights"][members]
        total += float(np.mean((gradient_u @ perturbation) ** 2))
    return total / len(patterns)


@CATALOG.check(JBR_PRUNING, kind=CheckKind.EXACT,
               description="first-order TPV of u by full enumeration of ξ ∈ {±1}^G vs "
                           "σ² Σ_g E_x[(J_{u,g}w_g)²] (Eq. 15 summed) and explicit Tr(H_eff C)")
def rademacher_enumeration(context: CheckContext) -> Finding:
    """Eq. 14-15 against brute force: enumeration, and dense H_eff, C matrices."""
    rng = context.rng()
    shapes = [(1, 2, [1, 1]), (3, 3, [2, 1, 2]), (5, 4, [1, 2, 1, 3]), (4, 10, [3, 2, 2, 1, 1, 2])]
    shapes *= 3 if context.full else 1
    sigma, worst = 0.3, 0.0
    for samples, outputs, sizes in shapes:
        instance = random_instance(rng, samples, outputs, sizes)
        directions, probabilities = instance_scores(instance)
        solver = pruning_tpv(directions, probabilities, sigma)
        enumerated = _enumerated_first_order(instance, sigma)
        delta = nll_logit_gradient(probabilities, np.argmax(probabilities, axis=1))
        gradient_u = np.einsum("nk,nkp->np", delta, instance["jacobian"])
        h_eff = gradient_u.T @ gradient_u / samples
        covariance = np.zeros_like(h_eff)
        for members in group_indices(instance["group_sizes"]):
            block = instance["weights"][members]
            covariance[np.ix_(members, members)] = sigma**2 * np.outer(block, block)
        dense = tpv_trace(h_eff, covariance)
        scores = jbr_scores(directions, probabilities, threshold=0.0).scores
        grouped = sigma**2 * float(np.sum(scores))
        scale = max(abs(enumerated), 1e-300)
        worst = max(worst, *(abs(value - enumerated) / scale for value in (solver, dense, grouped)))
    holds = worst <= EXACT_RTOL
    return judged(
        holds,
        summary=f"enumeration vs Eq. 15 sum, dense Tr(H_eff C), jbr (τ=0): max rel gap {worst:.1e}",
        residual=worst, bound=EXACT_RTOL, instances=len(shapes),
        sizes={"max_groups": 6, "max_outputs": 10},
        counterexample=None if holds else Counterexample(
            instance={"shapes": str(shapes)}, message=f"relative gap {worst:.3g}"),
    )


def _exact_u_tpv(instance: dict[str, np.ndarray], inputs: np.ndarray, sigma: float) -> float:
    """E_ξ mean_x (u(W + δW) − u(W))², softmax-linear model f = W x, groups = rows of W."""
    weights = instance["weights"]
    classes = np.argmax(inputs @ weights.T, axis=1)

    def u(matrix: np.ndarray) -> np.ndarray:
        logits = inputs @ matrix.T
        shift = logits.max(axis=1, keepdims=True)
        log_partition = shift[:, 0] + np.log(np.exp(logits - shift).sum(axis=1))
        return log_partition - logits[np.arange(logits.shape[0]), classes]

    reference = u(weights)
    patterns = list(itertools.product((1.0, -1.0), repeat=weights.shape[0]))
    total = 0.0
    for pattern in patterns:
        perturbed = weights * (1.0 + sigma * np.asarray(pattern))[:, None]
        total += float(np.mean((u(perturbed) - reference) ** 2))
    return total / len(patterns)


@CATALOG.check(JBR_PRUNING, kind=CheckKind.EXACT,
               description="TPV of u under Eq. 13 (exact enumeration, nonlinear softmax model) "
                           "vs the first-order Σ_g Tr(H_eff,g C_g): relative error law O(σ²)")
def first_order_error_law(context: CheckContext) -> Finding:
    r"""Measure the error of Eq. 15 (first order) against the exact TPV of :math:`u`.

    Model :math:`f = Wx` (rows of :math:`W` are the groups, :math:`K = 4`). Odd moments of
    Rademacher :math:`\xi` vanish, so the :math:`\sigma^3` term of
    :math:`\mathbb{E}_\xi(\delta u)^2` cancels: relative error :math:`O(\sigma^2)`.
    """
    rng = context.rng()
    outputs, dimension, samples = 4, 5, 64
    weights = rng.standard_normal((outputs, dimension))
    inputs = 2.0 * rng.standard_normal((samples, dimension))
    instance = {"weights": weights}
    logits = inputs @ weights.T
    probabilities = softmax(logits)
    # v_g(x) = J_g w_g: scaling row g of W by (1+t) moves logit g by t (w_gᵀx).
    directions = np.zeros((samples, outputs, outputs))
    directions[:, np.arange(outputs), np.arange(outputs)] = logits
    sigmas = np.array([0.2, 0.1, 0.05, 0.025, 0.0125] + ([0.00625] if context.full else []))
    errors = []
    for sigma in sigmas:
        first_order = pruning_tpv(directions, probabilities, float(sigma))
        exact = _exact_u_tpv(instance, inputs, float(sigma))
        errors.append(abs(exact - first_order) / first_order)
    slope = float(np.polyfit(np.log(sigmas), np.log(errors), 1)[0])
    return judged(
        abs(slope - 2.0) <= SLOPE_BAND,
        supported=Verdict.HOLDS_APPROX,
        summary=(f"relative error of first-order TPV(u) ∝ σ^{slope:.3f} "
                 f"(law σ², band ±{SLOPE_BAND})"),
        residual=errors[-1], error_law="relative error = O(sigma^2)",
        sizes={"K": outputs, "d": dimension, "n": samples, "groups": outputs},
        instances=len(sigmas),
        figure=figure(
            "Exact TPV of u vs Eq. 15 (first order): relative error", "σ", "relative error",
            sigmas,
            [("measured", errors, "scatter"), ("σ² law", errors[0] * (sigmas / sigmas[0]) ** 2)],
            log_x=True, log_y=True,
        ),
        details={"slope": slope, "sigmas": sigmas.tolist(), "relative_errors": errors},
    )


@CATALOG.check(JBR_PRUNING, kind=CheckKind.EXACT,
               description="Eq. 16 literal reading vs Eq. 15's term: values, Cauchy-Schwarz, "
                           "ranking flips (hand-minimal and random confident instances)")
def literal_ranking_vs_tpv(context: CheckContext) -> Finding:
    """Compare the group ranking of the printed Eq. 16 with that of Eq. 15's TPV term."""
    minimal = hand_minimal()
    literal = jbr_scores(**minimal, reading="literal").scores
    tpv_form = jbr_scores(**minimal, reading="jc_form").scores
    flip = ranking_flip(literal, tpv_form)
    rng = context.rng()
    trials = 400 if context.full else 100
    flips = 0
    cauchy_schwarz_violations = 0
    kendall = []
    for _ in range(trials):
        instance = random_instance(rng, 32, 10, [2] * 8)
        directions, probabilities = instance_scores(instance)
        a = jbr_scores(directions, probabilities, reading="literal").scores
        b = jbr_scores(directions, probabilities, reading="jc_form").scores
        cauchy_schwarz_violations += int(np.any(a < b * (1 - 1e-12)))
        flips += int(ranking_flip(a, b) is not None)
        pairs = list(itertools.combinations(range(a.shape[0]), 2))
        kendall.append(np.mean([np.sign(a[i] - a[j]) * np.sign(b[i] - b[j]) for i, j in pairs]))
    message = (
        f"n=1, K=2, p=(15/16, 1/16), v_0=(1,1), v_1=(0,1): literal scores {literal.tolist()} "
        f"rank group 0 first, Eq. 15 terms {tpv_form.tolist()} rank group 1 first"
    )
    return judged(
        flip is None,
        summary=(f"literal Eq. 16 ≠ TPV ranking: {message}; random: {flips}/{trials} "
                 f"instances flip, mean Kendall τ {np.mean(kendall):.2f}; literal ≥ JC form "
                 f"violated {cauchy_schwarz_violations} times"),
        lhs=float(literal[0]), rhs=float(tpv_form[0]),
        instances=trials + 1,
        counterexample=None if flip is None else Counterexample(
            instance={k: v.tolist() for k, v in minimal.items()},
            claimed=literal.tolist(), actual=tpv_form.tolist(), message=message),
        details={"random_flip_fraction": flips / trials,
                 "mean_kendall_tau": float(np.mean(kendall)),
                 "cauchy_schwarz_violations": cauchy_schwarz_violations,
                 "random_shape": {"n": 32, "K": 10, "groups": 8, "group_size": 2}},
    )


@CATALOG.check(JBR_PRUNING, kind=CheckKind.EXACT,
               description="'JBR = JC when y = e_c': per sample and on equal samples (both "
                           "readings), and with JBR's p_c > 0.9 selection vs JC on all samples")
def jbr_equals_jc_correct_labels(context: CheckContext) -> Finding:
    """Labels equal to the predicted classes: which scores coincide, and which do not."""
    rng = context.rng()
    trials = 40 if context.full else 10
    same_sample_gap = literal_vs_jc_form = 0.0
    for _ in range(trials):
        instance = random_instance(rng, 16, 5, [1, 2, 3])
        directions, probabilities = instance_scores(instance)
        predicted = np.argmax(probabilities, axis=1)
        for reading in ("jc_form", "literal"):
            jbr = jbr_scores(directions, probabilities, reading=reading, threshold=0.0).scores
            jc = jc_scores(directions, probabilities, predicted, reading=reading).scores
            same_sample_gap = max(same_sample_gap, float(np.max(np.abs(jbr - jc) / np.max(jc))))
        jbr_literal = jbr_scores(directions, probabilities, reading="literal", threshold=0.0).scores
        jc_form = jc_scores(directions, probabilities, predicted).scores
        literal_vs_jc_form = max(literal_vs_jc_form,
                                 float(np.max(np.abs(jbr_literal - jc_form) / np.max(jc_form))))
    # Hand-minimal: both samples classified correctly, the second not confident (p_c = 5/8).
    directions = np.array([[[0.0, 1.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]]])
    probabilities = np.array([[15 / 16, 1 / 16], [5 / 8, 3 / 8]])
    labels = np.array([0, 0])
    jbr = jbr_scores(directions, probabilities, threshold=THRESHOLD)
    jc = jc_scores(directions, probabilities, labels)
    flip = ranking_flip(jbr.scores, jc.scores)
    message = (
        f"labels = predictions, p = (15/16, 1/16) and (5/8, 3/8): JBR keeps {jbr.kept_count} "
        f"sample, scores {jbr.scores.tolist()}; JC over both {jc.scores.tolist()}: rankings flip"
    )
    holds = flip is None and same_sample_gap <= EXACT_RTOL
    return judged(
        holds,
        summary=(f"same samples: JBR = JC to {same_sample_gap:.1e} (both readings); literal JBR "
                 f"vs JC's (mᵀv)² form differ by up to {literal_vs_jc_form:.2f} relative; "
                 f"with the τ = 0.9 selection: {message}"),
        residual=same_sample_gap, bound=EXACT_RTOL, instances=trials + 1,
        counterexample=None if holds else Counterexample(
            instance={"directions": directions.tolist(), "probabilities": probabilities.tolist(),
                      "labels": labels.tolist(), "threshold": THRESHOLD},
            claimed="identical scores", actual={"jbr": jbr.scores.tolist(),
                                                "jc": jc.scores.tolist()},
            message=message),
        details={"same_sample_max_relative_gap": same_sample_gap,
                 "literal_vs_jc_form_max_relative_gap": literal_vs_jc_form},
    )


def corrected_violation(instance: dict[str, np.ndarray], sigma: float = 0.5) -> str | None:
    """Empty when every part of the corrected statement holds on ``instance``."""
    directions, probabilities = instance_scores(instance)
    jbr = jbr_scores(directions, probabilities, threshold=THRESHOLD)
    literal = jbr_scores(directions, probabilities, reading="literal", threshold=THRESHOLD)
    predicted = np.argmax(probabilities, axis=1)
    delta = nll_logit_gradient(probabilities, predicted)
    jacobian = instance["jacobian"][jbr.kept]
    gradient_u = np.einsum("nk,nkp->np", delta[jbr.kept], jacobian)
    outputs = jacobian.shape[1]
    for index, members in enumerate(group_indices(instance["group_sizes"])):
        block = instance["weights"][members]
        if jbr.kept_count:
            rows = gradient_u[:, members]
            trace = tpv_trace(rows.T @ rows / jbr.kept_count, sigma**2 * np.outer(block, block))
            # Rounding: |δ_uᵀ J_g w_g| is computed to (K + p_g) eps Σ|δ_u||J_g||w_g| (per x).
            magnitude = np.einsum("nk,nkp,p->n", np.abs(delta[jbr.kept]),
                                  np.abs(jacobian[:, :, members]), np.abs(block))
            bound = 4 * (outputs + len(members)) * EPS * sigma**2 * float(np.mean(magnitude**2))
        else:
            trace, bound = 0.0, 0.0
        if abs(sigma**2 * jbr.scores[index] - trace) > bound + EXACT_RTOL * abs(trace):
            return (f"group {index}: σ² score {sigma**2 * jbr.scores[index]!r} ≠ Tr(H C) "
                    f"{trace!r} beyond the rounding bound {bound:.2e}")
    if np.any(literal.scores < jbr.scores - 1e-12 * max(float(np.max(literal.scores)), 1e-300)):
        return f"literal {literal.scores.tolist()} < JC form {jbr.scores.tolist()}"
    kept = jbr.kept
    if jbr.kept_count:
        jc = jc_scores(directions[kept], probabilities[kept], predicted[kept]).scores
        if np.any(np.abs(jc - jbr.scores) > 1e-12 * max(float(np.max(jc)), 1e-300)):
            return f"JC on the kept samples {jc.tolist()} ≠ JBR {jbr.scores.tolist()}"
    return None


@CATALOG.check(JBR_PRUNING_CORRECTED, kind=CheckKind.EXACT,
               description="random confident instances: σ²·JBR = Tr(H_eff,g(X_τ) C_g) with dense "
                           "matrices, JBR ≤ literal, JBR = JC on the kept samples (y = e_c)")
def corrected_dense_oracle(context: CheckContext) -> Finding:
    """The corrected statement against dense matrices on random float instances."""
    rng = context.rng()
    trials = 200 if context.full else 50
    problems = []
    for _ in range(trials):
        instance = random_instance(rng, int(rng.integers(1, 12)), int(rng.integers(2, 8)),
                                    [int(size) for size in rng.integers(1, 4, rng.integers(2, 6))])
        problem = corrected_violation(instance)
        if problem is not None:
            problems.append(problem)
    return judged(
        not problems,
        summary=f"{trials - len(problems)}/{trials} random instances satisfy every part",
        instances=trials,
        counterexample=None if not problems else Counterexample(
            instance={"first_problem": problems[0]}, message=problems[0]),
    )
