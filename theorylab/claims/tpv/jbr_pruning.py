r"""``tpv.jbr_pruning`` — paper 000, Sec. 3.4 (Eq. 13-16, JC comparison), Sec. 5.3, App. F.3.

Pruning as parameter noise: :math:`\delta w_g = \sigma\xi_g w_g` with Rademacher
:math:`\xi_g` (Eq. 13), so :math:`C_{\mathrm{prune},g} = \sigma^2 w_g w_g^\top` (Eq. 14) and
the group's TPV contribution for :math:`u = -\log p_{c(x)}` is
:math:`\sigma^2\mathbb{E}_x[(J_{u,g}w_g)^2]` (Eq. 15), :math:`J_{u,g} = \delta_u^\top J_g`.
Eq. 16 prints the JBR score as :math:`\mathbb{E}_x[w_g^\top J_g^\top\delta_u^\top\delta_u
J_g w_g]` with :math:`\delta_u\in\mathbb{R}^K`: for :math:`K \ge 2` the printed product is not
conformable, and reading :math:`\delta_u^\top\delta_u` as the scalar :math:`\|\delta_u\|^2`
(the *literal* reading) gives :math:`\mathbb{E}_x[\|\delta_u\|^2\|v_g\|^2]`,
:math:`v_g = J_g w_g`, which is not Eq. 15's term and ranks groups differently. The JC
comparison's form :math:`\mathbb{E}_x[(\delta_u^\top v_g)^2]` is Eq. 15's term; it is the
corrected companion ``tpv.jbr_pruning.corrected``. The statement "JBR = JC when the labels
equal the predicted classes" holds per sample (same :math:`m`), but JBR averages over the
samples with :math:`p_c > 0.9` only, so the scores differ once a correctly classified
sample is not confident. The empirical claim of Sec. 5.3 is run on a SmallCNN
(:mod:`.jbr_pruning_torch`).
"""

from __future__ import annotations

import itertools

import numpy as np

from theorylab.claims.tpv.paper import PAPER_000, PAPER_000_TITLE
from theorylab.derivations import judge_derivation, labelled
from theorylab.falsify import PropertySearch
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.pruning import (
    group_directions,
    jbr_scores,
    jc_scores,
    nll_logit_gradient,
    pruning_tpv,
)
from theorylab.solvers.tpv import tpv_trace
from theorylab.spec import (
    Assumption,
    CheckKind,
    Claim,
    ClaimKind,
    Convention,
    Counterexample,
    Figure,
    FigureSeries,
    Finding,
    Level,
    Source,
    Tolerance,
    Verdict,
)

__all__ = [
    "JBR_PRUNING",
    "JBR_PRUNING_CORRECTED",
    "corrected_search",
    "literal_ranking_search",
    "ranking_flip",
]

EXACT_RTOL = 1e-12
THRESHOLD = 0.9
SLOPE_BAND = 0.15
EPS = float(np.finfo(np.float64).eps)

_SOURCE = Source(
    paper=PAPER_000,
    title=PAPER_000_TITLE,
    location="Sec. 3.4 (Eq. 13-16, 'Connection and Contrast with JC'); Sec. 5.3; App. F.3",
    equations=["13", "14", "15", "16"],
)
_ASSUMPTIONS = [
    Assumption(name="group perturbation",
               statement=r"$\delta w_g = \sigma\xi_g w_g$, $\xi_g$ i.i.d. Rademacher (Eq. 13)"),
    Assumption(name="independent groups",
               statement="masks independent across disjoint groups: C block-diagonal (Eq. 14)"),
    Assumption(name="functional",
               statement=r"$u = -\log p_{c(x)}$, $c(x) = \arg\max_k p_k(x; w^*)$, "
                         r"$p = \mathrm{softmax}(f)$"),
    Assumption(name="sample selection",
               statement=r"expectation over samples with $p_{c(x)} > \tau = 0.9$"),
]
_CONVENTIONS = [
    Convention(name="directions",
               statement=r"$v_g(x) = J_g(x)w_g\in\mathbb{R}^K$, $J_g = \partial f/\partial w_g$"),
    Convention(name="logit gradient",
               statement=r"$\delta_u = \partial u/\partial f = p - e_{c(x)}$; "
                         r"JC: $m_{JC} = p - y$ over every sample"),
]

JBR_PRUNING = CATALOG.add(
    Claim(
        id="tpv.jbr_pruning",
        title="JBR pruning score is the group TPV contribution under Rademacher group noise",
        source=_SOURCE,
        statement=(
            r"C_{\mathrm{prune},g} = \sigma^2 w_g w_g^\top;\ "
            r"\mathrm{Tr}(H_{\mathrm{eff},g}C_{\mathrm{prune},g}) = \sigma^2\,"
            r"\mathbb{E}[w_g^\top J_{u,g}^\top J_{u,g}w_g];\ "
            r"\mathrm{score}_{\mathrm{JBR}}(w_g) = \mathbb{E}_x[w_g^\top J_g^\top\delta_u^\top"
            r"\delta_u J_g w_g],\ \delta_u\in\mathbb{R}^K;\ "
            r"\mathrm{JBR} = \mathrm{JC}\text{ when } y = e_{c(x)};\ "
            r"\text{JBR matches or exceeds all baselines (Sec. 5.3)}"
        ),
        kind=ClaimKind.IDENTITY,
        assumptions=_ASSUMPTIONS,
        conventions=[
            *_CONVENTIONS,
            Convention(name="Eq. 16 as printed",
                       statement=r"$\delta_u$ a K-column, so $\delta_u^\top\delta_u = "
                                 r"\|\delta_u\|^2$ (the only reading in which the printed "
                                 r"factors combine); the JC-form reading is the companion"),
        ],
        tolerance=Tolerance(
            rtol=EXACT_RTOL,
            error_law=(
                "first-order TPV of u: relative error O(sigma^2) (odd Rademacher moments "
                "vanish); pruning curves: paired seeds, beaten if mean dAUC > 2 stderr or a "
                "level's mean d-accuracy > 3 stderr"
            ),
            rationale="identities in float64 on O(1) instances: 1e-12 relative; "
                      "rankings compared with a 1e-9 relative margin",
        ),
        tags=["paper000", "tpv", "pruning"],
        notes=(
            "Conflict: Eq. 16 as printed vs the JC comparison's E[(m^T v_g)^2]; both readings "
            "are encoded (solver `jbr_scores(reading=...)`)."
        ),
    )
)

JBR_PRUNING_CORRECTED = CATALOG.add(
    Claim(
        id="tpv.jbr_pruning.corrected",
        title="JBR in the JC form is the group TPV contribution; JBR = JC on equal samples",
        source=_SOURCE,
        statement=(
            r"\mathrm{score}_{\mathrm{JBR}}(w_g) = \mathbb{E}_{x:\,p_c>\tau}"
            r"[(\delta_u^\top J_g w_g)^2] = \mathrm{Tr}(H_{\mathrm{eff},g}(X_\tau)"
            r"C_{\mathrm{prune},g})/\sigma^2 \le \mathbb{E}_{x:\,p_c>\tau}"
            r"[\|\delta_u\|^2\|J_g w_g\|^2];\ y = e_{c(x)} \Rightarrow "
            r"\mathrm{JBR} = \mathrm{JC}\text{ on the same samples}"
        ),
        kind=ClaimKind.IDENTITY,
        assumptions=_ASSUMPTIONS,
        conventions=[
            *_CONVENTIONS,
            Convention(name="Eq. 16 corrected",
                       statement=r"$\delta_u = \partial u/\partial f$ as a $1\times K$ row "
                                 r"(numerator layout, like $J_g$), so "
                                 r"$\delta_u^\top\delta_u$ is $K\times K$"),
        ],
        tolerance=Tolerance(rtol=EXACT_RTOL, rationale="float64 identities on O(1) instances"),
        tags=["paper000", "tpv", "pruning"],
        companion_of="tpv.jbr_pruning",
    )
)


# --------------------------------------------------------------------------- helpers


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _groups(sizes: np.ndarray) -> list[np.ndarray]:
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    return [np.arange(start, stop) for start, stop in itertools.pairwise(bounds)]


def ranking_flip(
    first: np.ndarray, second: np.ndarray, margin: float = 1e-9
) -> tuple[int, int] | None:
    """A pair ``(g, h)`` that ``first`` ranks strictly above and ``second`` strictly below.

    Strictness is judged with a ``margin`` relative to the largest score of each ranking.

    Examples
    --------
    >>> ranking_flip(np.array([2.0, 1.0]), np.array([0.0, 1.0]))
    (0, 1)
    """
    scale_a = margin * max(float(np.max(np.abs(first))), 1e-300)
    scale_b = margin * max(float(np.max(np.abs(second))), 1e-300)
    for g, h in itertools.permutations(range(first.shape[0]), 2):
        if first[g] > first[h] + scale_a and second[g] < second[h] - scale_b:
            return g, h
    return None


def _hand_minimal() -> dict[str, np.ndarray]:
    """One sample, K = 2, two groups: v_0 = (1, 1), v_1 = (0, 1), p = (15/16, 1/16) (exact)."""
    return {
        "directions": np.array([[[1.0, 1.0], [0.0, 1.0]]]),
        "probabilities": np.array([[15 / 16, 1 / 16]]),
    }


def _random_instance(rng: np.random.Generator, samples: int, outputs: int,
                     sizes: list[int]) -> dict[str, np.ndarray]:
    parameters = sum(sizes)
    logits = rng.standard_normal((samples, outputs))
    logits[np.arange(samples), rng.integers(0, outputs, samples)] += rng.uniform(2, 8, samples)
    return {
        "jacobian": rng.standard_normal((samples, outputs, parameters)),
        "weights": rng.standard_normal(parameters),
        "group_sizes": np.asarray(sizes),
        "logits": logits,
    }


# --------------------------------------------------------------------------- symbolic


@CATALOG.check(JBR_PRUNING, kind=CheckKind.SYMBOLIC,
               description="Eq. 13-15 step by step: covariance, block structure, group split, "
                           "δ_u = p − e_c, chain rule J_{u,g} = δ_uᵀJ_g (sympy)")
def derivation_eq13_15(context: CheckContext) -> Finding:
    """The derivation of Eq. 15 from Eq. 13 (sympy, exact enumeration over ξ)."""
    from theorylab.proofs.tpv_pruning import pruning_tpv_derivation

    cases = [((2, 1), 3, 2), ((1, 1, 1), 2, 1)]
    if context.full:
        cases.append(((2, 2), 4, 3))
    steps = []
    for sizes, outputs, samples in cases:
        case_steps = pruning_tpv_derivation(sizes, outputs, samples)
        steps.extend(labelled(f"groups={list(sizes)}, K={outputs}, n={samples}", case_steps))
    return judge_derivation(steps, cases=len(cases))


@CATALOG.check(JBR_PRUNING, kind=CheckKind.SYMBOLIC,
               description="Eq. 16 as printed vs Eq. 15: conformability, literal reading "
                           "‖δ_u‖²‖v_g‖² vs (δ_uᵀv_g)², JC lines, Lagrange identity (sympy)")
def eq16_readings_vs_eq15(context: CheckContext) -> Finding:
    """Both readings of Eq. 16 against the TPV term of Eq. 15."""
    from theorylab.proofs.tpv_pruning import jbr_readings_derivation

    cases = [(2, 1), (3, 2)] + ([(4, 2)] if context.full else [])
    steps = []
    for outputs, group_size in cases:
        case_steps = jbr_readings_derivation(outputs, group_size)
        steps.extend(labelled(f"K={outputs}, p_g={group_size}", case_steps))
    return judge_derivation(steps, cases=len(cases))


# --------------------------------------------------------------------------- exact


def _enumerated_first_order(instance: dict[str, np.ndarray], sigma: float) -> float:
    """E_ξ mean_x (J_u δw)² by enumerating ξ ∈ {±1}^G; J_u = δ_uᵀ J (whole parameter vector)."""
    probabilities = _softmax(instance["logits"])
    delta = nll_logit_gradient(probabilities, np.argmax(probabilities, axis=1))
    gradient_u = np.einsum("nk,nkp->np", delta, instance["jacobian"])
    groups = _groups(instance["group_sizes"])
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
        instance = _random_instance(rng, samples, outputs, sizes)
        probabilities = _softmax(instance["logits"])
        directions = group_directions(instance["jacobian"], instance["weights"],
                                      _groups(instance["group_sizes"]))
        solver = pruning_tpv(directions, probabilities, sigma)
        enumerated = _enumerated_first_order(instance, sigma)
        delta = nll_logit_gradient(probabilities, np.argmax(probabilities, axis=1))
        gradient_u = np.einsum("nk,nkp->np", delta, instance["jacobian"])
        h_eff = gradient_u.T @ gradient_u / samples
        covariance = np.zeros_like(h_eff)
        for members in _groups(instance["group_sizes"]):
            block = instance["weights"][members]
            covariance[np.ix_(members, members)] = sigma**2 * np.outer(block, block)
        dense = tpv_trace(h_eff, covariance)
        scores = jbr_scores(directions, probabilities, threshold=0.0).scores
        grouped = sigma**2 * float(np.sum(scores))
        scale = max(abs(enumerated), 1e-300)
        worst = max(worst, *(abs(value - enumerated) / scale for value in (solver, dense, grouped)))
    verdict = Verdict.HOLDS if worst <= EXACT_RTOL else Verdict.REFUTED
    return Finding(
        verdict=verdict,
        summary=f"enumeration vs Eq. 15 sum, dense Tr(H_eff C), jbr (τ=0): max rel gap {worst:.1e}",
        residual=worst, bound=EXACT_RTOL, instances=len(shapes),
        sizes={"max_groups": 6, "max_outputs": 10},
        counterexample=None if verdict is Verdict.HOLDS else Counterexample(
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
    probabilities = _softmax(logits)
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
    verdict = Verdict.HOLDS_APPROX if abs(slope - 2.0) <= SLOPE_BAND else Verdict.REFUTED
    return Finding(
        verdict=verdict,
        summary=(f"relative error of first-order TPV(u) ∝ σ^{slope:.3f} "
                 f"(law σ², band ±{SLOPE_BAND})"),
        residual=errors[-1], error_law="relative error = O(sigma^2)",
        sizes={"K": outputs, "d": dimension, "n": samples, "groups": outputs},
        instances=len(sigmas),
        figure=Figure(
            title="Exact TPV of u vs Eq. 15 (first order): relative error",
            x_label="σ", y_label="relative error", log_x=True, log_y=True,
            series=[
                FigureSeries(label="measured", x=sigmas.tolist(), y=errors, style="scatter"),
                FigureSeries(label="σ² law", x=sigmas.tolist(),
                             y=(errors[0] * (sigmas / sigmas[0]) ** 2).tolist()),
            ],
        ),
        details={"slope": slope, "sigmas": sigmas.tolist(), "relative_errors": errors},
    )


@CATALOG.check(JBR_PRUNING, kind=CheckKind.EXACT,
               description="Eq. 16 literal reading vs Eq. 15's term: values, Cauchy-Schwarz, "
                           "ranking flips (hand-minimal and random confident instances)")
def literal_ranking_vs_tpv(context: CheckContext) -> Finding:
    """Compare the group ranking of the printed Eq. 16 with that of Eq. 15's TPV term."""
    minimal = _hand_minimal()
    literal = jbr_scores(**minimal, reading="literal").scores
    tpv_form = jbr_scores(**minimal, reading="jc_form").scores
    flip = ranking_flip(literal, tpv_form)
    rng = context.rng()
    trials = 400 if context.full else 100
    flips = 0
    cauchy_schwarz_violations = 0
    kendall = []
    for _ in range(trials):
        instance = _random_instance(rng, 32, 10, [2] * 8)
        directions = group_directions(instance["jacobian"], instance["weights"],
                                      _groups(instance["group_sizes"]))
        probabilities = _softmax(instance["logits"])
        a = jbr_scores(directions, probabilities, reading="literal").scores
        b = jbr_scores(directions, probabilities, reading="jc_form").scores
        cauchy_schwarz_violations += int(np.any(a < b * (1 - 1e-12)))
        flips += int(ranking_flip(a, b) is not None)
        pairs = list(itertools.combinations(range(a.shape[0]), 2))
        kendall.append(np.mean([np.sign(a[i] - a[j]) * np.sign(b[i] - b[j]) for i, j in pairs]))
    verdict = Verdict.REFUTED if flip is not None else Verdict.HOLDS
    message = (
        f"n=1, K=2, p=(15/16, 1/16), v_0=(1,1), v_1=(0,1): literal scores {literal.tolist()} "
        f"rank group 0 first, Eq. 15 terms {tpv_form.tolist()} rank group 1 first"
    )
    return Finding(
        verdict=verdict,
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
        instance = _random_instance(rng, 16, 5, [1, 2, 3])
        directions = group_directions(instance["jacobian"], instance["weights"],
                                      _groups(instance["group_sizes"]))
        probabilities = _softmax(instance["logits"])
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
    verdict = Verdict.REFUTED if flip is not None or same_sample_gap > EXACT_RTOL else Verdict.HOLDS
    message = (
        f"labels = predictions, p = (15/16, 1/16) and (5/8, 3/8): JBR keeps {jbr.kept_count} "
        f"sample, scores {jbr.scores.tolist()}; JC over both {jc.scores.tolist()}: rankings flip"
    )
    return Finding(
        verdict=verdict,
        summary=(f"same samples: JBR = JC to {same_sample_gap:.1e} (both readings); literal JBR "
                 f"vs JC's (mᵀv)² form differ by up to {literal_vs_jc_form:.2f} relative; "
                 f"with the τ = 0.9 selection: {message}"),
        residual=same_sample_gap, bound=EXACT_RTOL, instances=trials + 1,
        counterexample=None if verdict is Verdict.HOLDS else Counterexample(
            instance={"directions": directions.tolist(), "probabilities": probabilities.tolist(),
                      "labels": labels.tolist(), "threshold": THRESHOLD},
            claimed="identical scores", actual={"jbr": jbr.scores.tolist(),
                                                "jc": jc.scores.tolist()},
            message=message),
        details={"same_sample_max_relative_gap": same_sample_gap,
                 "literal_vs_jc_form_max_relative_gap": literal_vs_jc_form},
    )


# --------------------------------------------------------------------------- property


def _instance_scores(instance: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    directions = group_directions(instance["jacobian"], instance["weights"],
                                  _groups(instance["group_sizes"]))
    return directions, _softmax(instance["logits"])


def _describe(instance: dict[str, np.ndarray]) -> dict[str, object]:
    return {key: value.tolist() for key, value in instance.items()}


def _literal_probe(instance: dict[str, np.ndarray]) -> Counterexample | None:
    directions, probabilities = _instance_scores(instance)
    literal = jbr_scores(directions, probabilities, reading="literal").scores
    tpv_form = jbr_scores(directions, probabilities, reading="jc_form").scores
    flip = ranking_flip(literal, tpv_form)
    if flip is None:
        return None
    return Counterexample(
        instance=_describe(instance), claimed=literal.tolist(), actual=tpv_form.tolist(),
        message=(f"Eq. 16 as printed ranks group {flip[0]} above group {flip[1]}; their TPV "
                 f"contributions (Eq. 15) rank them the other way: literal "
                 f"{np.round(literal, 6).tolist()} vs Eq. 15 {np.round(tpv_form, 6).tolist()}"),
    )


def _strategy() -> object:
    from theorylab.strategies import pruning_instances

    return pruning_instances()


literal_ranking_search = CATALOG.add_search(
    JBR_PRUNING,
    PropertySearch(
        name="literal_eq16_ranks_like_eq15",
        description=("hypothesis over integer logit Jacobians (n ≤ 3, K ≤ 4, 2-3 groups of 1-2 "
                     "parameters), integer weights and logits with a 0-8 margin: the printed "
                     "Eq. 16 orders every pair of groups as Eq. 15's TPV term does"),
        strategy=_strategy,
        probe=_literal_probe,
    ),
)


# --------------------------------------------------------------------------- torch


@CATALOG.check(JBR_PRUNING, kind=CheckKind.TORCH,
               description=("Sec. 5.3: SmallCNN on digits, global iterative channel pruning "
                            "without fine-tuning; JBR (both readings) vs JC, L1, random: "
                            "paired AUC of accuracy vs sparsity over seeds"),
               levels=(Level.QUICK, Level.FULL))
def pruning_curves(context: CheckContext) -> Finding:
    """The empirical claim, see :mod:`theorylab.claims.tpv.jbr_pruning_torch`."""
    from theorylab.claims.tpv.jbr_pruning_torch import pruning_experiment

    return pruning_experiment(context)


# --------------------------------------------------------------------------- corrected


@CATALOG.check(JBR_PRUNING_CORRECTED, kind=CheckKind.SYMBOLIC,
               description="JC-form Eq. 16 = Eq. 15 term, JC lines, Lagrange identity, "
                           "JBR = JC for y = e_c (sympy)")
def corrected_derivation(context: CheckContext) -> Finding:
    """The corrected reading's derivation (literal steps left out)."""
    from theorylab.proofs.tpv_pruning import jbr_readings_derivation

    cases = [(2, 1), (3, 2)] + ([(4, 2)] if context.full else [])
    steps = []
    for outputs, group_size in cases:
        case_steps = jbr_readings_derivation(outputs, group_size, corrected=True)
        steps.extend(labelled(f"K={outputs}", case_steps))
    return judge_derivation(steps, cases=len(cases))


def _corrected_violation(instance: dict[str, np.ndarray], sigma: float = 0.5) -> str | None:
    """Empty when every part of the corrected statement holds on ``instance``."""
    directions, probabilities = _instance_scores(instance)
    jbr = jbr_scores(directions, probabilities, threshold=THRESHOLD)
    literal = jbr_scores(directions, probabilities, reading="literal", threshold=THRESHOLD)
    predicted = np.argmax(probabilities, axis=1)
    delta = nll_logit_gradient(probabilities, predicted)
    jacobian = instance["jacobian"][jbr.kept]
    gradient_u = np.einsum("nk,nkp->np", delta[jbr.kept], jacobian)
    outputs = jacobian.shape[1]
    for index, members in enumerate(_groups(instance["group_sizes"])):
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


def _corrected_probe(instance: dict[str, np.ndarray]) -> Counterexample | None:
    problem = _corrected_violation(instance)
    if problem is None:
        return None
    return Counterexample(instance=_describe(instance), message=problem)


@CATALOG.check(JBR_PRUNING_CORRECTED, kind=CheckKind.EXACT,
               description="random confident instances: σ²·JBR = Tr(H_eff,g(X_τ) C_g) with dense "
                           "matrices, JBR ≤ literal, JBR = JC on the kept samples (y = e_c)")
def corrected_dense_oracle(context: CheckContext) -> Finding:
    """The corrected statement against dense matrices on random float instances."""
    rng = context.rng()
    trials = 200 if context.full else 50
    problems = []
    for _ in range(trials):
        instance = _random_instance(rng, int(rng.integers(1, 12)), int(rng.integers(2, 8)),
                                    [int(size) for size in rng.integers(1, 4, rng.integers(2, 6))])
        problem = _corrected_violation(instance)
        if problem is not None:
            problems.append(problem)
    verdict = Verdict.HOLDS if not problems else Verdict.REFUTED
    return Finding(
        verdict=verdict,
        summary=f"{trials - len(problems)}/{trials} random instances satisfy every part",
        instances=trials,
        counterexample=None if not problems else Counterexample(
            instance={"first_problem": problems[0]}, message=problems[0]),
    )


corrected_search = CATALOG.add_search(
    JBR_PRUNING_CORRECTED,
    PropertySearch(
        name="jc_form_is_tpv_term_and_jc_on_kept_samples",
        description=("hypothesis over the same integer instances: σ²·JBR(JC form) equals "
                     "Tr(H_eff,g C_prune,g) on the kept samples, literal ≥ JC form, and JBR = JC "
                     "with labels = predictions on the kept samples"),
        strategy=_strategy,
        probe=_corrected_probe,
    ),
)
