r"""``seos.k_momentum`` — App. A.5 (Eq. 56-76) and Eq. 18.

:math:`\hat{\mathcal{K}}_{mom} = \frac{\eta}{2\alpha B}\mathrm{tr}\hat\Theta` (Eq. 18).

Every algebra step is checked with sympy (:mod:`theorylab.proofs.seos_momentum`); the
closed form is compared with the impulse response of the heavy-ball recursion summed
numerically; Eq. 18's "≈" gets its error law :math:`O(\eta\lambda/\alpha^2)` measured.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.common import exact_finding, source
from theorylab.derivations import judge_derivation
from theorylab.error_laws import loglog_slope
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.noise_kernel_momentum import (
    momentum_noise_gain,
    momentum_noise_gain_by_iteration,
    noise_kernel_norm_momentum,
)
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

__all__ = ["K_MOMENTUM", "K_MOMENTUM_CORRECTED"]

K_MOMENTUM = CATALOG.add(
    Claim(
        id="seos.k_momentum",
        title="Noise kernel norm with momentum (App. A.5) and the estimator Eq. 18",
        source=source(
            "Sec. 4.2, App. A.5",
            [
                "18",
                "56",
                "57",
                "58",
                "59",
                "60",
                "61",
                "62",
                "63",
                "64",
                "65",
                "66",
                "67",
                "68",
                "69",
                "70",
                "71",
                "72",
                "73",
                "74",
                "75",
                "76",
            ],
        ),
        statement=(
            r"\mathcal{K} = \beta(1-\beta)\frac1D\sum_t\sum_\alpha\frac{2\eta^2\lambda_\alpha^2}"
            r"{\Omega_\alpha^2-4\mu}(\mu^{t+1}+\tfrac12\nu_+^{t+1}+\tfrac12\nu_-^{t+1})"
            r"\ \text{(Eq. 56) and each step to Eq. 76};\ \hat{\mathcal{K}}_{mom} = "
            r"\frac{\eta}{2\alpha B}\mathrm{tr}\hat\Theta\ (\mu = 1-\alpha)"
        ),
        kind=ClaimKind.APPROXIMATION,
        tolerance=Tolerance(
            rtol=1e-9,
            error_law="K_mom/K_Eq18 = (1 - beta)(1 + O(eta lambda / "
            "alpha^2)); slope 1 ± 0.25 in eta*lambda/alpha^2",
            rationale="closed form vs 2e5-step impulse response in float64",
        ),
        tags=["paper002", "seos"],
    )
)

K_MOMENTUM_CORRECTED = CATALOG.add(
    Claim(
        id="seos.k_momentum.corrected",
        title="Momentum K with the impulse-response sign (-mu^{t+1}), Eq. 66 as the closed form",
        source=source("App. A.5 (corrected)", ["56", "66", "68", "71", "76"]),
        statement=(
            r"\mathcal{K}_{\rm mom} = \frac{1-\beta}{B}\sum_\alpha x_\alpha^2 G(x_\alpha,\mu),\ "
            r"G = \sum_t y_t^2 = \frac{2}{\Omega^2-4\mu}\sum_t(-\mu^{t+1}+\tfrac12\nu_+^{t+1}+"
            r"\tfrac12\nu_-^{t+1}),\ \text{Eq. 71 denominator } \alpha^2-2(2-\alpha)x+x^2,\ "
            r"\mathcal{K}_{\rm mom}\to(1-\beta)\frac{\eta}{2\alpha B}\mathrm{tr}\hat\Theta"
        ),
        kind=ClaimKind.IDENTITY,
        tolerance=K_MOMENTUM.tolerance,
        companion_of="seos.k_momentum",
        tags=["paper002", "seos", "corrected"],
    )
)


@CATALOG.check(
    K_MOMENTUM,
    kind=CheckKind.SYMBOLIC,
    description="Eq. 56-76 and Eq. 18 step by step (sympy), as printed",
)
def momentum_symbolic(context: CheckContext) -> Finding:
    """All steps, including the printed signs and denominators."""
    from theorylab.proofs.seos_momentum import momentum_steps

    return judge_derivation(momentum_steps(), cases=1)


@CATALOG.check(
    K_MOMENTUM_CORRECTED,
    kind=CheckKind.SYMBOLIC,
    description="the steps with the impulse-response sign and derived Eq. 71",
)
def corrected_symbolic(context: CheckContext) -> Finding:
    """Steps that state the corrected lines only."""
    from theorylab.proofs.seos_momentum import momentum_steps

    keep = [
        s
        for s in momentum_steps()
        if "as printed" not in s.name and s.equation not in ("Eq. 71", "Eq. 18")
    ]
    return judge_derivation(keep, cases=1)


GRID_X = (0.01, 0.1, 0.5, 1.0, 1.5)
GRID_MU = (0.0, 0.3, 0.6, 0.9)


def _gain_gaps() -> dict[str, float]:
    worst = {"corrected": 0.0, "printed": 0.0}
    for mu in GRID_MU:
        x = np.array([v for v in GRID_X if v < 2 * (1 + mu)])
        reference = momentum_noise_gain_by_iteration(x, mu)
        for label, printed in (("corrected", False), ("printed", True)):
            value = momentum_noise_gain(x, mu, printed=printed)
            worst[label] = max(worst[label], float(np.nanmax(np.abs(value / reference - 1))))
    return worst


@CATALOG.check(
    K_MOMENTUM,
    kind=CheckKind.EXACT,
    description=(
        "Eq. 56/58 as printed (+mu/(1-mu)) vs the summed impulse response of the heavy-ball "
        "recursion over x = eta*lambda in (0, 2), mu in [0, 0.9]"
    ),
)
def printed_gain(context: CheckContext) -> Finding:
    """The printed sign gives the wrong noise gain for every mu > 0."""
    worst = _gain_gaps()
    holds = worst["printed"] <= 1e-9
    summary = (
        f"relative gap to the impulse response: Eq. 56/58 as printed "
        f"{worst['printed']:.3g}, with -mu^(t+1) {worst['corrected']:.1e}"
    )
    return Finding(
        verdict=Verdict.HOLDS if holds else Verdict.REFUTED,
        summary=summary,
        residual=worst["printed"],
        bound=1e-9,
        instances=len(GRID_X) * len(GRID_MU),
        counterexample=None
        if holds
        else Counterexample(
            instance={"x": 0.5, "mu": 0.3},
            claimed=float(momentum_noise_gain([0.5], 0.3, printed=True)[0]),
            actual=float(momentum_noise_gain_by_iteration([0.5], 0.3)[0]),
            message=summary,
        ),
        details=worst,
    )


@CATALOG.check(
    K_MOMENTUM_CORRECTED,
    kind=CheckKind.EXACT,
    description="closed form G(x, mu) vs the summed impulse response",
)
def corrected_gain(context: CheckContext) -> Finding:
    """Eq. 66's closed form equals sum_t y_t^2."""
    return exact_finding(
        _gain_gaps()["corrected"],
        1e-9,
        "G(x, mu) vs impulse response",
        instances=len(GRID_X) * len(GRID_MU),
    )


def _eq18_law(context: CheckContext) -> tuple[float, list[float], list[float], float]:
    rng = context.rng()
    size, batch, alpha = 1000, 8, 0.1
    eigenvalues = rng.uniform(0.5, 1.5, 50)
    ratios = np.geomspace(1e-3, 3e-2, 6)  # eta * lambda_max / alpha^2
    errors = []
    for ratio in ratios:
        eta = ratio * alpha**2 / eigenvalues.max()
        exact = noise_kernel_norm_momentum(eigenvalues, eta, batch, 1 - alpha, size)
        estimator = eta / (2 * alpha * batch) * eigenvalues.sum()
        errors.append(abs(exact / ((1 - batch / size) * estimator) - 1))
    at_zero = noise_kernel_norm_momentum(eigenvalues, 1e-7, batch, 1 - alpha, size) / (
        1e-7 / (2 * alpha * batch) * eigenvalues.sum()
    )
    return loglog_slope(ratios, errors), list(ratios), errors, float(at_zero)


@CATALOG.check(
    K_MOMENTUM,
    kind=CheckKind.EXACT,
    description=(
        "Eq. 18 vs the exact HD momentum K: offset 1 - beta at eta -> 0, and the remaining "
        "relative error vs eta*lambda/alpha^2 (alpha = 0.1, beta = 8e-3), fitted exponent"
    ),
)
def eq18_error_law(context: CheckContext) -> Finding:
    """Eq. 18 follows its O(ηλ/α²) law; the (1-β) factor is the only offset at ηλ -> 0."""
    slope, ratios, errors, at_zero = _eq18_law(context)
    ok = abs(slope - 1) <= 0.25 and abs(at_zero - (1 - 8 / 1000)) < 1e-6
    return Finding(
        verdict=Verdict.HOLDS_APPROX if ok else Verdict.REFUTED,
        summary=f"K_mom/K_Eq18 -> {at_zero:.6f} = 1 - beta as eta -> 0; |K_mom/((1-beta)K_Eq18)"
        f" - 1| ~ (eta lambda/alpha^2)^{slope:.2f}",
        residual=abs(slope - 1),
        bound=0.25,
        error_law=K_MOMENTUM.tolerance.error_law,
        instances=len(ratios),
        figure=Figure(
            title="Eq. 18 momentum estimator: relative error",
            x_label="eta lambda_max / alpha^2",
            y_label="|K_mom/K_Eq18 - 1|",
            log_x=True,
            log_y=True,
            series=[FigureSeries(label="measured", x=ratios, y=errors, style="scatter")],
        ),
        details={"slope": slope, "ratio_at_zero": at_zero},
    )
