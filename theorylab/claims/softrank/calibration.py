r"""Prop. 4.1 (paper 004, App. G.3, Eq. 12) on a model calibrated at a *nonzero* optimum.

The exactly calibrated model of the Monte Carlo checks sits at :math:`\theta^* = 0`, where
:math:`C_\Lambda = C` (Eq. 11) and the first :math:`\succeq` of Eq. 12 is an equality: that
premise hides the sign error. :func:`~theorylab.claims.softrank.models.shifted_calibrated_model`
is calibrated (Def. 2.1), satisfies Eq. 2 and Prop. 2.2 (:math:`C = F = H = 1/4`) at
:math:`\theta^* = 1` with :math:`\lambda = 1/4`, so :math:`C_\Lambda = F - \lambda^2 = 3/16`.
:func:`premise_residuals` measures every premise on the float64 model (stationarity,
calibration given :math:`r`, the three lines of Eq. 2, Prop. 2.2);
:func:`shifted_model_finding` evaluates the Eq. 12 chain as printed
(:math:`H_\Lambda^{-1}C_\Lambda H_\Lambda^{-1} = 3/4 \succeq (F+\Lambda)^{-1}F(F+\Lambda)^{-1} = 1
\succeq (F+\Lambda)^{-1} = 2`, both false) or corrected (:math:`\preceq`), and the three
Prop. 4.1 bounds (exact limits of Eq. 4, 1, 5: :math:`3/4 \le 2`, :math:`3/8 \le 1/2`,
:math:`9/64 \le 1/4`, all true). The stored counterexample is re-checked exactly by
:mod:`theorylab.errata.exact.softrank`.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.softrank.models import shifted_calibrated_model
from theorylab.solvers.generalization_gap import FiniteBernoulliModel
from theorylab.solvers.soft_rank import soft_rank, soft_rank_squared
from theorylab.spec import Counterexample, Finding, Verdict

__all__ = [
    "SHIFTED_INSTANCE",
    "eq2_residuals",
    "eq12_chain",
    "information_residuals",
    "premise_residuals",
    "shifted_model_finding",
    "unbounded_theta_star",
]

REGULARIZATION, LABEL_SHIFT = 0.25, 0.25
SHIFTED_INSTANCE: dict[str, object] = {
    "J": [[1.0], [-1.0]],
    "offsets": [-1.0, 1.0],
    "weights": [0.5, 0.5],
    "labels": [0.75, 0.25],
    "lambda": REGULARIZATION,
    "theta_star": LABEL_SHIFT / REGULARIZATION,
}
"""The model as small rationals: atoms' Jacobians, logit offsets, P(x), P(y=1|x), λ, θ*."""


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def eq2_residuals(model: FiniteBernoulliModel, theta: np.ndarray) -> dict[str, float]:
    """Relative violations of the three Eq. 2 conditions and of calibration given r."""
    logits = model.logits(theta[None])[0]
    prob = _sigmoid(logits)
    jac = model.atoms + model.curvatures[:, None] * theta[None]
    w = model.weights
    second = model.p * (1 - prob) ** 2 + (1 - model.p) * prob**2
    outer = np.einsum("jd,je->jde", jac, jac)
    lhs1 = np.einsum("j,jde->de", w * second, outer)
    rhs1 = (w @ second) * np.einsum("j,jde->de", w, outer)
    variance = prob * (1 - prob)
    lhs2 = np.einsum("j,jde->de", w * variance, outer)
    rhs2 = (w @ variance) * np.einsum("j,jde->de", w, outer)
    mean_e = prob - model.p
    lhs3 = np.sum(w * mean_e * model.curvatures)
    rhs3 = (w @ mean_e) * (w @ model.curvatures)
    calibration = 0.0
    for value in np.unique(np.round(logits, 12)):
        group = np.isclose(logits, value, rtol=0, atol=1e-12)
        calibration = max(calibration, abs(w[group] @ mean_e[group]) / w[group].sum())
    return {
        "J_vs_eeT": _relative(lhs1, rhs1),
        "J_vs_Sigma": _relative(lhs2, rhs2),
        "e_vs_hessian_N": float(abs(lhs3 - rhs3)),
        "calibration_given_r": float(calibration),
    }


def information_residuals(model: FiniteBernoulliModel) -> dict[str, float]:
    """Relative ``|C - F|`` and ``|H - F|`` at the model's θ* (Prop. 2.2)."""
    population = model.population()
    return {
        "C_vs_F": _relative(population.gradient_covariance, population.fisher),
        "H_vs_F": _relative(population.hessian, population.fisher),
    }


def premise_residuals(model: FiniteBernoulliModel) -> dict[str, float]:
    r"""Largest violation of each premise of Prop. 4.1 at the model's :math:`\theta^*`.

    ``stationarity``: :math:`\|\mathbb{E}[J^\top e] + \Lambda\theta^*\|` (the regularised
    optimum); Eq. 2 and calibration given :math:`r` (:func:`eq2_residuals`); Prop. 2.2
    (:func:`information_residuals`).
    """
    pop = model.population()
    prob = _sigmoid(model.logits(pop.theta_star[None])[0])
    jac = model.atoms + model.curvatures[:, None] * pop.theta_star[None]
    gradient = (model.weights * (prob - model.p)) @ jac + model.lam @ pop.theta_star
    return {
        "stationarity": float(np.linalg.norm(gradient)),
        **eq2_residuals(model, pop.theta_star),
        **information_residuals(model),
    }


def eq12_chain(fisher: np.ndarray, c_lam: np.ndarray, h_lam: np.ndarray, lam: np.ndarray
               ) -> dict[str, np.ndarray]:
    r"""The three matrices of Eq. 12, by name ``sandwich``, ``middle``, ``inverse``.

    :math:`H_\Lambda^{-1}C_\Lambda H_\Lambda^{-1}`, :math:`(F+\Lambda)^{-1}F(F+\Lambda)^{-1}`
    and :math:`(F+\Lambda)^{-1}`.
    """
    h_inv = np.linalg.inv(h_lam)
    inverse = np.linalg.inv(fisher + lam)
    return {
        "sandwich": h_inv @ c_lam @ h_inv,
        "middle": inverse @ fisher @ inverse,
        "inverse": inverse,
    }


def unbounded_theta_star(scales: tuple[float, ...] = (0.25, 1 / 16, 1 / 256, 1 / 4096)
                         ) -> dict[str, list[float]]:
    r"""Why Prop. 4.2 needs bounded :math:`\theta^*`: the model at fixed label shift 1/4.

    :math:`\theta^* = 1/(4\lambda) \to \infty` as :math:`\lambda \to 0`; the exact gap limit
    :math:`(1/4 - 1/16)/(1/4 + \lambda) \to 3/4` while :math:`\mathrm{rank}_\lambda(F) \to 1`.
    """
    rows: dict[str, list[float]] = {"lambda": [], "theta_star": [], "gap_limit": [], "rank": []}
    for lam in scales:
        pop = shifted_calibrated_model(lam, LABEL_SHIFT).population()
        for key, value in zip(rows, (lam, pop.theta_star[0], pop.gap_limit,
                                     soft_rank(pop.fisher, lam)), strict=True):
            rows[key].append(float(value))
    return rows


def shifted_model_finding(*, corrected: bool, rtol: float) -> Finding:
    r"""Eq. 12 as printed (⪰, ``corrected=False``) or repaired (⪯) and the Prop. 4.1 bounds.

    Tolerance: ``rtol`` (the spec's) times the dimension times the largest value compared,
    for the premises' residuals, the chain's eigenvalues and the bounds alike.
    """
    model = shifted_calibrated_model(REGULARIZATION, LABEL_SHIFT)
    pop = model.population()
    residuals = premise_residuals(model)
    residuals["theta_star"] = float(abs(pop.theta_star[0] - SHIFTED_INSTANCE["theta_star"]))
    chain = eq12_chain(
        pop.fisher, pop.regularized_covariance, pop.regularized_hessian, pop.regularization
    )
    size = pop.fisher.shape[0]
    scale = 1 + max(float(np.linalg.norm(m, 2)) for m in chain.values())
    tol = rtol * size * scale
    sign = -1.0 if corrected else 1.0  # printed: A ⪰ B; corrected: A ⪯ B
    steps = {
        "H_Λ⁻¹C_ΛH_Λ⁻¹ vs (F+Λ)⁻¹F(F+Λ)⁻¹": chain["sandwich"] - chain["middle"],
        "(F+Λ)⁻¹F(F+Λ)⁻¹ vs (F+Λ)⁻¹": chain["middle"] - chain["inverse"],
    }
    shortfall = {name: float(-np.linalg.eigvalsh(sign * diff)[0]) for name, diff in steps.items()}
    lam = pop.regularization
    bounds = {  # Eq. 4, 1, 5 limits against the Prop. 4.1 caps
        "parameter error ≤ Tr((F+Λ)⁻¹)": (
            pop.parameter_error_limit, float(np.trace(chain["inverse"]))),
        "gap ≤ rank_Λ(F)": (pop.gap_limit, soft_rank(pop.fisher, lam)),
        "L2 error ≤ rank⁽²⁾_Λ(F)": (pop.l2_error_limit, soft_rank_squared(pop.fisher, lam)),
    }
    failed_bounds = [name for name, (value, cap) in bounds.items() if value > cap + tol]
    failed_steps = [name for name, amount in shortfall.items() if amount > tol]
    relation = "⪯" if corrected else "⪰"
    values = {name: float(np.trace(m)) for name, m in chain.items()}
    chain_text = (f"H_Λ⁻¹C_ΛH_Λ⁻¹ = {values['sandwich']:.6g} {relation} (F+Λ)⁻¹F(F+Λ)⁻¹ = "
                  f"{values['middle']:.6g} {relation} (F+Λ)⁻¹ = {values['inverse']:.6g}")
    bound_text = ", ".join(f"{value:.6g} ≤ {cap:.6g}" for value, cap in bounds.values())
    premises_hold = max(residuals.values()) <= tol
    summary = (
        f"calibrated model at θ* = {pop.theta_star[0]:.6g} ≠ 0 (λ = {REGULARIZATION}, C = F = H "
        f"= {pop.fisher[0, 0]:.6g}, premise residuals ≤ {max(residuals.values()):.1g}): Eq. 12 "
        f"{'repaired' if corrected else 'as printed'} {chain_text}: "
        + (f"{len(failed_steps)} step(s) fail" if failed_steps else "holds")
        + f"; Prop. 4.1 bounds {bound_text}: "
        + (f"{len(failed_bounds)} fail" if failed_bounds else "hold")
    )
    refuted = premises_hold and bool(failed_steps or failed_bounds)
    verdict = (Verdict.REFUTED if refuted else Verdict.HOLDS) if premises_hold else (
        Verdict.INCONCLUSIVE)
    return Finding(
        verdict=verdict,
        summary=summary,
        lhs=values["sandwich"],
        rhs=values["middle"],
        residual=max(shortfall.values()),
        instances=1,
        counterexample=Counterexample(
            instance=dict(SHIFTED_INSTANCE),
            claimed=f"Eq. 12: H_Λ⁻¹C_ΛH_Λ⁻¹ {relation} (F+Λ)⁻¹F(F+Λ)⁻¹ {relation} (F+Λ)⁻¹",
            actual={**values, **{name: list(pair) for name, pair in bounds.items()}},
            message=f"failing: {'; '.join(failed_steps + failed_bounds)}",
        ) if refuted else None,
        details={"premise_residuals": residuals,
                 "unbounded_theta_star": unbounded_theta_star(), "tolerance": tol,
                 "shortfall": shortfall,
                 "bounds": {name: list(pair) for name, pair in bounds.items()},
                 "chain": values},
    )
