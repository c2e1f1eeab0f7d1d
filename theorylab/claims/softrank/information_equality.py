r"""``softrank.information_equality`` — paper 004, Prop. 2.2 (proof App. G.2).

Exponential family + Eq. 2 non-correlations + calibration at :math:`\theta` ⇒
:math:`C(\theta) = F(\theta) = H(\theta)`. Checked symbolically (G.2 on a Bernoulli model with
independent Jacobian and output atoms), exactly on a model that is calibrated given the output
:math:`r` but *misspecified* given :math:`x` (so the equality is not just well-specification),
and by a hypothesis search over such constructions. Dropping Eq. 2 (a misspecified logistic
regression) breaks the equality: reported as the assumption's necessity, not a refutation.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.softrank.calibration import eq2_residuals, information_residuals
from theorylab.claims.softrank.common import derivation_check
from theorylab.claims.softrank.models import (
    calibrated_model,
    logistic_model,
    shifted_calibrated_model,
)
from theorylab.claims.softrank.paper import cite
from theorylab.falsify import PropertySearch
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict

__all__ = ["INFORMATION_EQUALITY", "eq2_residuals", "information_equality_search"]


(INFORMATION_EQUALITY,) = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = INFORMATION_EQUALITY.tolerance.rtol


derivation_check(
    INFORMATION_EQUALITY,
    "theorylab.proofs.softrank.information_equality.information_equality_derivation",
    description="App. G.2 steps on a Bernoulli model, J independent of (r, y), calibrated",
)


@CATALOG.check(
    INFORMATION_EQUALITY,
    kind=CheckKind.EXACT,
    description="calibrated-given-r, misspecified-given-x model satisfying Eq. 2: "
    "C, F, H by exact finite sums; misspecified logistic as the negative control",
)
def calibrated_misspecified_model(context: CheckContext) -> Finding:
    """Assumptions verified on the instance, then C = F = H to 1e-10."""
    worst, assumption_worst, records = 0.0, 0.0, {}
    for lam in (1.0, 0.01):
        model = calibrated_model(lam)
        theta = model.population().theta_star
        assumptions = eq2_residuals(model, theta)
        equalities = information_residuals(model)
        given_x = float(np.max(np.abs(model.p - 1 / (1 + np.exp(-model.logits(theta[None])[0])))))
        records[f"lambda={lam}"] = {
            **assumptions,
            **equalities,
            "misspecification_given_x": given_x,
        }
        worst = max(worst, *equalities.values())
        assumption_worst = max(assumption_worst, *assumptions.values())
    control = logistic_model(calibrated=False, regularization=1e-3)
    records["negative_control_misspecified_logistic"] = {
        **eq2_residuals(control, control.population().theta_star),
        **information_residuals(control),
    }
    if assumption_worst > EXACT_RTOL:
        verdict = Verdict.NOT_APPLICABLE
    else:
        verdict = Verdict.HOLDS if worst <= EXACT_RTOL else Verdict.REFUTED
    return Finding(
        verdict=verdict,
        summary=f"max relative |C-F|, |H-F| = {worst:.1e} (assumptions hold to "
        f"{assumption_worst:.1e}); negative control C vs F: "
        f"{records['negative_control_misspecified_logistic']['C_vs_F']:.2f}",
        residual=worst,
        bound=EXACT_RTOL,
        instances=2,
        details=records,
    )


@CATALOG.check(
    INFORMATION_EQUALITY,
    kind=CheckKind.EXACT,
    description="model calibrated at a point that is not stationary for the unregularised "
    "loss (θ* = 1 of ridge λ = 1/4, E[Jᵀe] = −1/4 ≠ 0): Eq. 2, calibration, then C = F = H",
)
def calibrated_off_stationary_point(context: CheckContext) -> Finding:
    """Prop. 2.2 needs no stationarity: the other checks' points all have E[Jᵀe] = 0."""
    model = shifted_calibrated_model()
    theta = model.population().theta_star
    assumptions = eq2_residuals(model, theta)
    equalities = information_residuals(model)
    prob = 1 / (1 + np.exp(-model.logits(theta[None])[0]))
    gradient = float(np.linalg.norm((model.weights * (prob - model.p)) @ model.atoms))
    worst = max(equalities.values())
    if max(assumptions.values()) > EXACT_RTOL or gradient <= EXACT_RTOL:
        verdict = Verdict.NOT_APPLICABLE
    else:
        verdict = Verdict.HOLDS if worst <= EXACT_RTOL else Verdict.REFUTED
    return Finding(
        verdict=verdict,
        summary=f"θ = {theta[0]:.6g}, ‖E[Jᵀe]‖ = {gradient:.6g} (not a stationary point of the "
        f"unregularised loss); max relative |C-F|, |H-F| = {worst:.1e} (Eq. 2 and calibration "
        f"hold to {max(assumptions.values()):.1e})",
        residual=worst,
        bound=EXACT_RTOL,
        instances=1,
        details={**assumptions, **equalities, "unregularised_gradient": gradient},
    )


def _strategy() -> object:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    simplex = hnp.arrays(np.float64, (3,), elements=st.floats(0.05, 1.0)).map(lambda v: v / v.sum())
    return st.tuples(
        hnp.arrays(np.float64, (3, 2), elements=st.floats(-3, 3)),
        simplex,
        hnp.arrays(np.float64, (3,), elements=st.floats(-3, 3)),
        simplex,
        hnp.arrays(np.float64, (3,), elements=st.floats(-1, 1)),
        st.floats(0.0, 0.9),
        st.integers(-6, 4).map(lambda k: float(2.0**k)),
    )


def _probe(instance: tuple) -> Counterexample | None:
    jacobians, p_u, offsets, p_v, t_u, amplitude, lam = instance
    if len(set(np.round(offsets, 6))) < 3:
        return None  # equal logits merge r-atoms; the construction needs them distinct
    model = calibrated_model(lam, jacobians, p_u, offsets, p_v, t_u, amplitude)
    theta = model.population().theta_star
    if max(eq2_residuals(model, theta).values()) > 1e-9:
        return None  # assumptions not met to float precision: outside the claim
    equalities = information_residuals(model)
    scale = 1e-9 * (1 + np.max(np.abs(jacobians)) ** 2)
    if max(equalities.values()) > max(scale, EXACT_RTOL):
        return Counterexample(
            instance={
                "jacobians": jacobians.tolist(),
                "p_u": p_u.tolist(),
                "offsets": offsets.tolist(),
                "p_v": p_v.tolist(),
                "t_u": t_u.tolist(),
                "amplitude": amplitude,
                "lambda": lam,
            },
            actual=equalities,
            message=f"C, F, H differ: {equalities}",
        )
    return None


information_equality_search = CATALOG.add_search(
    INFORMATION_EQUALITY,
    PropertySearch(
        name="calibrated_eq2_models",
        description="hypothesis over calibrated-given-r constructions (Jacobian atoms, logits, "
        "atom probabilities, misspecification direction and size, λ = 2^k): C = F = H",
        strategy=_strategy,
        probe=_probe,
    ),
)
