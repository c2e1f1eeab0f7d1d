r"""``seos.conservative_sharpening`` — Theorem 3.1 (Eq. 16-17) for the quadratic regression model.

Model (Eq. 12-13, App. B.1): :math:`z_t = z_0 + J_0\theta_t + \tfrac12 Q[\theta_t,\theta_t]`,
:math:`J_t = J_0 + Q[\theta_t,\cdot]`,
:math:`\theta_{t+1} = \theta_t - \frac{\eta}{B}J_t^\top P_tz_t`,
:math:`Q = \sum_\alpha w_\alpha\otimes M_\alpha`, :math:`M_\alpha` symmetric with i.i.d. entries of
variance :math:`V(\sigma_\alpha)`, :math:`z_0` i.i.d. of variance :math:`V_z`. Checked by direct
Monte Carlo over ``(P, Q, z)`` with standard errors:

* Eq. 16 :math:`\mathbb{E}[\Delta_1\hat\lambda_{\alpha,0}] = B^{-1}PV_z\mathrm{tr}(\hat\Theta)
  \eta^2V(\sigma_\alpha)` — exact at :math:`t = 0` (the :math:`O(D^{-1})` term vanishes), for
  every ``B`` and both :math:`V(\sigma) = 1` and :math:`V(\sigma) = \sigma` (Fig. 2);
* Eq. 17: the batch-size dependence of :math:`\mathbb{E}[\Delta_2\hat\sigma_{\alpha,0}]`,
  measured as the difference to full batch at equal :math:`\eta` (antithetic ``Q``), against
  :math:`-B^{-1}D^{-2}\eta^3\sigma_\alpha^3V(\sigma_\alpha)PV_z`.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.common import source
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import (
    CheckKind,
    Claim,
    ClaimKind,
    Counterexample,
    Figure,
    FigureSeries,
    Finding,
    Tolerance,
    Verdict,
)

__all__ = ["CONSERVATIVE_SHARPENING", "quadratic_model_derivatives"]

Z_LIMIT = 4.0

CONSERVATIVE_SHARPENING = CATALOG.add(
    Claim(
        id="seos.conservative_sharpening",
        title="Theorem 3.1: SGD's first and second discrete derivatives of NTK eigenvalues",
        source=source("Theorem 3.1, Sec. 3, App. B", ["12", "13", "14", "15", "16", "17"]),
        statement=(
            r"\mathbb{E}[\Delta_1\hat\lambda_{\alpha,0}] = B^{-1}PV_z\mathrm{tr}[\hat\Theta]\eta^2"
            r"V(\sigma_\alpha)+O(D^{-1}),\ \mathbb{E}[\Delta_2\hat\sigma_{\alpha,0}] = d_2(\eta)-"
            r"B^{-1}D^{-2}\eta^3\sigma_\alpha^3V(\sigma_\alpha)PV_z+O(\eta^4)"
        ),
        kind=ClaimKind.APPROXIMATION,
        tolerance=Tolerance(
            rtol=0.0,
            error_law="Monte Carlo: |mean - formula| <= 4 stderr",
            rationale="Gaussian z, M; stderr from the sample variance",
        ),
        tags=["paper002", "seos", "simulation"],
    )
)


def _instance(size: int, parameters: int, rng: np.random.Generator):
    jacobian = rng.standard_normal((size, parameters)) / np.sqrt(parameters)
    left, singular, right_t = np.linalg.svd(jacobian, full_matrices=False)
    return jacobian, left, singular, right_t


def _symmetric_noise(rng: np.random.Generator, count: int, parameters: int) -> np.ndarray:
    upper = np.triu(rng.standard_normal((count, parameters, parameters)))
    return upper + np.triu(upper, 1).transpose(0, 2, 1)


def quadratic_model_derivatives(
    jacobian: np.ndarray,
    left: np.ndarray,
    right_t: np.ndarray,
    variances: np.ndarray,
    eta: float,
    batch: int,
    mode: int,
    rng: np.random.Generator,
    *,
    antithetic_sign: float = 1.0,
    curvature: np.ndarray | None = None,
    residual: np.ndarray | None = None,
) -> tuple[float, float]:
    """One draw of (Δ1 λ̂_α,0, Δ2 σ̂_α,0) in the quadratic regression model (Eq. 12, 14, 15)."""
    size, parameters = jacobian.shape
    if curvature is None:
        blocks = _symmetric_noise(rng, size, parameters) * np.sqrt(variances)[:, None, None]
        curvature = np.einsum("da,apq->dpq", left, blocks)  # Q = sum_a w_a ⊗ M_a
    curvature = antithetic_sign * curvature
    start = rng.standard_normal(size) if residual is None else residual
    theta = np.zeros(parameters)
    sigmas = []
    for _ in range(3):
        current_jacobian = jacobian + np.einsum("dpq,q->dp", curvature, theta)
        sigmas.append(float(left[:, mode] @ current_jacobian @ right_t[mode]))
        if len(sigmas) == 1:
            lambda_start = float(np.sum((left[:, mode] @ current_jacobian) ** 2))
        residual_now = (
            start + jacobian @ theta + 0.5 * np.einsum("dpq,p,q->d", curvature, theta, theta)
        )
        mask = np.zeros(size)
        mask[rng.choice(size, batch, replace=False)] = 1.0
        theta = theta - eta / batch * current_jacobian.T @ (mask * residual_now)
        if len(sigmas) == 1:
            next_jacobian = jacobian + np.einsum("dpq,q->dp", curvature, theta)
            lambda_next = float(np.sum((left[:, mode] @ next_jacobian) ** 2))
    return lambda_next - lambda_start, sigmas[2] - 2 * sigmas[1] + sigmas[0]


@CATALOG.check(
    CONSERVATIVE_SHARPENING,
    kind=CheckKind.EXACT,
    description=(
        "Eq. 16 by Monte Carlo over (P, Q, z) for B in {1, 2, 4, D}, V(σ) = 1 and V(σ) = σ, "
        "top and middle singular modes; z-scores against the formula"
    ),
)
def first_derivative(context: CheckContext) -> Finding:
    """Eq. 16: the expected first step of an NTK eigenvalue estimator grows like η²/B."""
    rng = context.rng()
    size, parameters = (24, 32) if context.full else (12, 16)
    draws = 1000 if context.full else 300
    eta = 0.5
    jacobian, left, singular, right_t = _instance(size, parameters, rng)
    trace = float(np.sum(jacobian**2) / size)
    worst, rows, series = 0.0, [], []
    for label, variances in (("V=1", np.ones(size)), ("V=sigma", singular.copy())):
        for mode in (0, size // 2):
            measured, predicted = [], []
            for batch in (1, 2, 4, size):
                samples = np.array(
                    [
                        quadratic_model_derivatives(
                            jacobian, left, right_t, variances, eta, batch, mode, rng
                        )[0]
                        for _ in range(draws)
                    ]
                )
                mean, stderr = samples.mean(), samples.std(ddof=1) / np.sqrt(draws)
                formula = parameters * trace * eta**2 * variances[mode] / batch
                score = abs(mean - formula) / stderr
                worst = max(worst, score)
                rows.append(
                    {
                        "V": label,
                        "mode": mode,
                        "B": batch,
                        "mean": mean,
                        "stderr": stderr,
                        "formula": formula,
                        "z": score,
                    }
                )
                measured.append(mean)
                predicted.append(formula)
            series.append(
                FigureSeries(
                    label=f"MC {label} mode {mode}", x=[1, 2, 4, size], y=measured, style="scatter"
                )
            )
            series.append(
                FigureSeries(label=f"Eq. 16 {label} mode {mode}", x=[1, 2, 4, size], y=predicted)
            )
    holds = worst <= Z_LIMIT
    summary = f"Eq. 16 vs Monte Carlo ({draws} draws each): max |z| = {worst:.2f} over {len(rows)}"
    return Finding(
        verdict=Verdict.HOLDS_APPROX if holds else Verdict.REFUTED,
        summary=summary,
        residual=worst,
        bound=Z_LIMIT,
        error_law="Monte Carlo stderr",
        instances=len(rows) * draws,
        sizes={"D": size, "P": parameters},
        counterexample=None
        if holds
        else Counterexample(instance=max(rows, key=lambda r: r["z"]), message=summary),
        figure=Figure(
            title="Eq. 16: E[Δ1 λ̂] vs batch size",
            x_label="B",
            y_label="E[Δ1 λ̂_α,0]",
            log_x=True,
            log_y=True,
            series=series,
        ),
        details={"rows": rows},
    )


@CATALOG.check(
    CONSERVATIVE_SHARPENING,
    kind=CheckKind.EXACT,
    description=(
        "Eq. 17: E[Δ2 σ̂](B) - E[Δ2 σ̂](D) at equal η by Monte Carlo (common z, antithetic Q) vs "
        "-B^-1 D^-2 η^3 σ^3 V P V_z"
    ),
)
def second_derivative(context: CheckContext) -> Finding:
    """The batch-size dependent part of the second discrete derivative."""
    rng = context.rng()
    size, parameters = (16, 24) if context.full else (10, 14)
    draws = 4000 if context.full else 500
    eta, mode, batch = 0.3, 0, 1
    jacobian, left, singular, right_t = _instance(size, parameters, rng)
    variances = np.ones(size)
    differences = []
    for _ in range(draws):
        blocks = _symmetric_noise(rng, size, parameters)
        curvature = np.einsum("da,apq->dpq", left, blocks)
        residual = rng.standard_normal(size)
        value = 0.0
        for sign in (1.0, -1.0):
            small = quadratic_model_derivatives(
                jacobian,
                left,
                right_t,
                variances,
                eta,
                batch,
                mode,
                rng,
                antithetic_sign=sign,
                curvature=curvature,
                residual=residual,
            )[1]
            full = quadratic_model_derivatives(
                jacobian,
                left,
                right_t,
                variances,
                eta,
                size,
                mode,
                rng,
                antithetic_sign=sign,
                curvature=curvature,
                residual=residual,
            )[1]
            value += (small - full) / 2
        differences.append(value)
    samples = np.asarray(differences)
    mean, stderr = float(samples.mean()), float(samples.std(ddof=1) / np.sqrt(draws))
    predicted = -(1 / batch) * size**-2 * eta**3 * singular[mode] ** 3 * parameters
    score = abs(mean - predicted) / stderr
    if stderr > abs(predicted) / 3:  # the predicted effect is not resolved at 3 sd
        verdict = Verdict.INCONCLUSIVE
    elif score <= Z_LIMIT:
        verdict = Verdict.HOLDS_APPROX
    elif abs(mean) / stderr > Z_LIMIT:
        verdict = Verdict.REFUTED
    else:
        verdict = Verdict.INCONCLUSIVE
    summary = (
        f"E[Δ2σ̂](B=1) - E[Δ2σ̂](B=D) = {mean:.3g} ± {stderr:.2g}; Eq. 17 predicts "
        f"{predicted:.3g} (z = {score:.1f})"
    )
    return Finding(
        verdict=verdict,
        summary=summary,
        lhs=mean,
        rhs=predicted,
        residual=score,
        bound=Z_LIMIT,
        error_law="Monte Carlo stderr (+ O(η^4) model error)",
        instances=draws,
        sizes={"D": size, "P": parameters},
        counterexample=Counterexample(
            instance={"D": size, "P": parameters, "eta": eta, "B": batch},
            claimed=predicted,
            actual=mean,
            message=summary,
        )
        if verdict is Verdict.REFUTED
        else None,
        details={"mean": mean, "stderr": stderr, "predicted": predicted},
    )
