"""``seos.k_momentum``: the noise gain vs the impulse response, and Eq. 18's error law."""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.common import exact_finding
from theorylab.claims.seos.k_momentum import K_MOMENTUM, K_MOMENTUM_CORRECTED
from theorylab.error_laws import loglog_slope
from theorylab.figures import figure
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.noise_kernel_momentum import (
    momentum_noise_gain,
    momentum_noise_gain_by_iteration,
    noise_kernel_norm_momentum,
)
from theorylab.spec import CheckKind, Finding, Verdict

__all__: list[str] = []

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
    return judged(
        holds,
        summary,
        instance=lambda: {"x": 0.5, "mu": 0.3},
        claimed=float(momentum_noise_gain([0.5], 0.3, printed=True)[0]),
        actual=float(momentum_noise_gain_by_iteration([0.5], 0.3)[0]),
        residual=worst["printed"],
        bound=1e-9,
        instances=len(GRID_X) * len(GRID_MU),
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
        figure=figure(
            "Eq. 18 momentum estimator: relative error",
            "eta lambda_max / alpha^2",
            "|K_mom/K_Eq18 - 1|",
            ratios,
            [("measured", errors, "scatter")],
            log_x=True,
            log_y=True,
        ),
        details={"slope": slope, "ratio_at_zero": at_zero},
    )
