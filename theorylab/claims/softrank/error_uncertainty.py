r"""``softrank.error_uncertainty`` — paper 004, Prop. 5.3 (App. G.6) and Prop. 5.4 (App. G.7).

Prop. 5.3: if Eq. 9 holds exactly at :math:`\theta^*` and :math:`\|\theta^*\|` is bounded, then
:math:`\kappa^{-1}\alpha^* \le (\lim n\mathbb{E}[\mathrm{Gap}] + O(\|\Lambda\|))/
\mathrm{rank}_\Lambda(F) \le \kappa\alpha^*`, :math:`\alpha^* = \mathrm{Tr}\,\mathbb{E}[B]/
\mathrm{Tr}\,\mathbb{E}[\Sigma]`,
:math:`\kappa = \mathrm{cond}\,\mathbb{E}[J(F+\Lambda)^{-1}J^\top]`.
The proof's first line replaces :math:`H_\Lambda` by :math:`F+\Lambda`, i.e. assumes
:math:`H(\theta^*) = F(\theta^*)`, which is not a hypothesis. Counterexample
(:func:`~theorylab.claims.softrank.models.curved_model`): two atoms with :math:`J = \pm1`
(Eq. 9 exact, :math:`\kappa = 1`), logit :math:`\pm\theta + \theta^2/2`, :math:`p = 1/4`:
:math:`\theta^* = 0`, :math:`\alpha^* = 1`, :math:`F = 1/4`, :math:`H = 1/2`, so the ratio
tends to :math:`F/H = 1/2` while the bounds pin it to 1 — confirmed by Monte Carlo of the gap.
The corrected companion adds :math:`H(\theta^*) = F(\theta^*)` (exact for GLMs with canonical
link, e.g. logistic regression).

Prop. 5.4: :math:`0<\varepsilon<1/2`, :math:`1-\hat y_i \le \varepsilon` a.s. ⇒
:math:`\mathrm{MSE}/\mathrm{Uncertainty} \le 2\varepsilon` (true; the printed proof has the
typo :math:`\sum_{j\ne i}\hat y_j \le E^2` for the squares).
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.softrank.asymptotics import model_sweeps, sweep_figure
from theorylab.claims.softrank.common import labelled_derivation_pair
from theorylab.claims.softrank.models import curved_model
from theorylab.claims.softrank.paper import cite
from theorylab.falsify import PropertySearch
from theorylab.figures import figure
from theorylab.numerics import roundoff_tolerance
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.soft_rank import error_uncertainty_ratio, regularizer_matrix, soft_rank
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict

__all__ = [
    "ERROR_UNCERTAINTY",
    "ERROR_UNCERTAINTY_CORRECTED",
    "prop53_bounds",
    "prop53_search",
    "prop54_search",
]


ERROR_UNCERTAINTY, ERROR_UNCERTAINTY_CORRECTED = CATALOG.add_specs(__file__, cite)
FLOAT_RTOL = ERROR_UNCERTAINTY.tolerance.rtol


labelled_derivation_pair(
    ERROR_UNCERTAINTY,
    ERROR_UNCERTAINTY_CORRECTED,
    [
        ("5.3", "theorylab.proofs.softrank.error_uncertainty.prop53_derivation"),
        ("5.4", "theorylab.proofs.softrank.error_uncertainty.prop54_derivation"),
    ],
    printed_description="G.6 (first line needs H = F) and G.7 as printed",
    corrected_description="G.6 with H = F, G.7 with squares",
)


# --------------------------------------------------------------------------- Prop. 5.3


def prop53_bounds(
    jacobians: np.ndarray,
    probs: np.ndarray,
    error_second: np.ndarray,
    sigma: np.ndarray,
    lam: object,
) -> dict[str, float]:
    """C, F from Eq. 9 (atoms J (m, K, d)), then ratio Tr(C(F+Λ)^-1)/rank_Λ(F) and its bounds."""
    covariance = np.einsum("m,mkd,kl,mle->de", probs, jacobians, error_second, jacobians)
    fisher = np.einsum("m,mkd,kl,mle->de", probs, jacobians, sigma, jacobians)
    lam_matrix = regularizer_matrix(lam, fisher.shape[0])
    inverse = np.linalg.inv(fisher + lam_matrix)
    middle = np.einsum("m,mkd,de,mle->kl", probs, jacobians, inverse, jacobians)
    eigenvalues = np.linalg.eigvalsh(middle)
    # singular within roundoff (lambda_min <= n eps ||M||_2, either sign): kappa = inf
    positive = eigenvalues[0] > roundoff_tolerance(middle, symmetric=True)
    condition = eigenvalues[-1] / eigenvalues[0] if positive else np.inf
    alpha = np.trace(error_second) / np.trace(sigma)
    rank = soft_rank(fisher, lam_matrix)
    ratio = float(np.trace(covariance @ inverse)) / rank
    return {
        "ratio": ratio,
        "lower": alpha / condition,
        "upper": alpha * condition,
        "alpha": float(alpha),
        "kappa": float(condition),
    }


@CATALOG.check(
    ERROR_UNCERTAINTY,
    kind=CheckKind.EXACT,
    description="counterexample: curved two-atom Bernoulli model (Eq. 9 exact, κ = 1, "
    "H = 2F): exact limit and Monte Carlo n·E[Gap] vs the Prop. 5.3 bounds, λ → 0",
)
def curved_model_counterexample(context: CheckContext) -> Finding:
    """The ratio tends to F/H = 1/2 while Prop. 5.3 forces it to α* = 1 (κ = 1)."""
    scales = [1e-1, 1e-2, 1e-3, 1e-4]
    ratios = []
    for lam in scales:
        pop = curved_model(lam).population()
        ratios.append(pop.gap_limit / soft_rank(pop.fisher, lam))
    lam = 1e-2
    model = curved_model(lam)
    pop = model.population()
    (sweep,) = model_sweeps(
        {"curved model (λ=0.01)": model}, "gap", full=context.full, rng=context.rng()
    )
    rank = soft_rank(pop.fisher, lam)
    bounds = prop53_bounds(
        np.ones((2, 1, 1)) * np.array([1.0, -1.0])[:, None, None],
        np.array([0.5, 0.5]),
        np.array([[0.25]]),
        np.array([[0.25]]),
        lam,
    )
    mc_ratio = sweep.fitted_limit / rank
    mc_z = (bounds["lower"] * rank - sweep.fitted_limit) / sweep.fitted_limit_stderr
    slack = float(pop.theta_star @ pop.theta_star) * lam  # the proof's O(‖Λ‖) term, M‖Λ‖
    refuted = mc_z > 4 and abs(ratios[-1] - bounds["alpha"]) > 0.1 and sweep.limit_z < 4
    summary = (
        f"ratio lim n·E[Gap]/rank_λ(F) → {ratios[-1]:.4f} as λ → 0 (λ = {scales}), Monte "
        f"Carlo at λ = 0.01: {mc_ratio:.4f} (limit {sweep.fitted_limit:.4f}±"
        f"{sweep.fitted_limit_stderr:.4f}, {mc_z:.0f} stderr below the lower bound); bounds "
        f"[α*/κ, κα*] = [{bounds['lower']:.3f}, {bounds['upper']:.3f}]; O(‖Λ‖) slack "
        f"M‖Λ‖ = {slack:.1g}; H = {pop.hessian[0, 0]:.3f} ≠ F = {pop.fisher[0, 0]:.3f}"
    )
    return Finding(
        verdict=Verdict.REFUTED if refuted else Verdict.HOLDS,
        summary=summary,
        lhs=mc_ratio,
        rhs=bounds["lower"],
        residual=bounds["lower"] - mc_ratio,
        instances=len(scales) + len(sweep.sizes),
        counterexample=Counterexample(
            instance={
                "atoms": "x∈{a,b} w.p. 1/2",
                "logit": "N_a = θ + θ²/2, N_b = −θ + θ²/2",
                "labels": "P(y=1|x) = 1/4",
                "theta_star": 0.0,
                "alpha_star": 1.0,
                "kappa": 1.0,
                "F": 0.25,
                "H": 0.5,
            },
            claimed=f"ratio in [{bounds['lower']:.3f}, {bounds['upper']:.3f}] + O(λ)",
            actual=ratios[-1],
            message=summary,
        )
        if refuted
        else None,
        figure=sweep_figure("Curved model: n·E[Gap] → C/(H+λ), not α*·rank_λ(F)", [sweep]),
        details={
            "lambda": scales,
            "exact_ratios": ratios,
            "bounds": bounds,
            "sweep": sweep.describe(),
        },
    )


def _prop53_strategy() -> object:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    from theorylab.strategies import softrank_regularizers

    def build(shape: tuple[int, int, int]) -> object:
        atoms, classes, size = shape
        small = st.integers(-3, 3)
        return st.tuples(
            hnp.arrays(np.int64, (atoms, classes, size), elements=small),
            hnp.arrays(np.float64, (atoms,), elements=st.floats(0.05, 1.0)),
            hnp.arrays(np.int64, (classes, classes), elements=small),
            hnp.arrays(np.int64, (classes, classes), elements=small),
            softrank_regularizers(size),
        )

    return st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).flatmap(build)


def _prop53_probe(raw: tuple) -> Counterexample | None:
    jacobians, weights, b_factor, s_factor, lam = raw
    error_second = (b_factor @ b_factor.T).astype(float)
    sigma = (s_factor @ s_factor.T).astype(float)
    if np.trace(sigma) == 0 or np.trace(error_second) == 0 or not np.any(jacobians):
        return None  # α* undefined or F = 0 (rank_Λ(F) = 0): outside the statement
    values = prop53_bounds(
        jacobians.astype(float), weights / weights.sum(), error_second, sigma, lam
    )
    if not np.isfinite(values["kappa"]):
        return None  # κ = ∞: the bounds are vacuous
    tol = FLOAT_RTOL * (1 + values["upper"])
    if values["ratio"] < values["lower"] - tol or values["ratio"] > values["upper"] + tol:
        return Counterexample(
            instance={
                "jacobians": jacobians.tolist(),
                "weights": weights.tolist(),
                "B": error_second.tolist(),
                "Sigma": sigma.tolist(),
            },
            actual=values,
            message=f"ratio {values['ratio']:.6g} outside "
            f"[{values['lower']:.6g}, {values['upper']:.6g}]",
        )
    return None


prop53_search = CATALOG.add_search(
    ERROR_UNCERTAINTY_CORRECTED,
    PropertySearch(
        name="prop53_bounds_with_h_equal_f",
        description="hypothesis over Eq. 9 instances (1-3 Jacobian atoms K×d, K, d ≤ 3, PSD E[B], "
        "E[Σ] of any rank, Λ scalar or SPD), H = F: κ⁻¹α* ≤ Tr(C(F+Λ)⁻¹)/rank_Λ(F) ≤ κα*",
        strategy=_prop53_strategy,
        probe=_prop53_probe,
    ),
)


# --------------------------------------------------------------------------- Prop. 5.4


def _prop54_strategy() -> object:
    from theorylab.strategies import softrank_confident_predictions

    return softrank_confident_predictions()


def _prop54_probe(instance: tuple) -> Counterexample | None:
    probabilities, labels, epsilon = instance
    try:
        result = error_uncertainty_ratio(probabilities, labels)
    except Exception:  # zero uncertainty: every row one-hot, the ratio is 0/0
        return None
    if result.max_confidence_gap > epsilon * (1 + 1e-12):
        return None
    bound = epsilon / (1 - epsilon)
    if result.ratio > bound * (1 + 1e-9) + 1e-15 or result.ratio > 2 * epsilon * (1 + 1e-9):
        return Counterexample(
            instance={
                "probabilities": probabilities.tolist(),
                "labels": labels.tolist(),
                "epsilon": epsilon,
            },
            claimed=f"<= {2 * epsilon}",
            actual=result.ratio,
            message=f"MSE/Uncertainty = {result.ratio} > ε/(1−ε) = {bound}",
        )
    return None


_PROP54 = PropertySearch(
    name="prop54_ratio_bound",
    description="hypothesis over confident predictions (1 − ŷ_label ≤ ε < 1/2, K ≤ 4 classes, ≤ 5 "
    "samples): MSE/Uncertainty ≤ ε/(1−ε) ≤ 2ε",
    strategy=_prop54_strategy,
    probe=_prop54_probe,
)
prop54_search = CATALOG.add_search(ERROR_UNCERTAINTY, _PROP54)
CATALOG.add_search(ERROR_UNCERTAINTY_CORRECTED, _PROP54)


@CATALOG.check(
    ERROR_UNCERTAINTY,
    kind=CheckKind.EXACT,
    description="Prop. 5.4 tightness: K = 2, ŷ = (1−ε, ε) gives ε/(1−ε) exactly",
)
def prop54_tight_case(context: CheckContext) -> Finding:
    """The bound ε/(1−ε) is attained; 2ε is the looser form."""
    epsilons = [0.4, 0.1, 0.01]
    gaps = []
    for epsilon in epsilons:
        result = error_uncertainty_ratio([[1 - epsilon, epsilon]], [0])
        gaps.append(abs(result.ratio - epsilon / (1 - epsilon)))
    ok = max(gaps) < 1e-12 and all(e / (1 - e) <= 2 * e for e in epsilons)
    return Finding(
        verdict=Verdict.HOLDS if ok else Verdict.REFUTED,
        summary=f"ratio = ε/(1−ε) to {max(gaps):.1e} at ε ∈ {epsilons}; ≤ 2ε",
        residual=max(gaps),
        bound=1e-12,
        instances=len(epsilons),
        figure=figure(
            "Prop. 5.4 tight case",
            "ε",
            "MSE/Uncertainty",
            epsilons,
            [("ε/(1−ε)", [e / (1 - e) for e in epsilons]), ("2ε", [2 * e for e in epsilons])],
        ),
    )
