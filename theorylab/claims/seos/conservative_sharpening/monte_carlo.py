"""``seos.conservative_sharpening``: Eq. 16 and the batch gap by direct Monte Carlo."""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.conservative_sharpening import (
    CONSERVATIVE_SHARPENING,
    CONSERVATIVE_SHARPENING_CORRECTED,
    Z_LIMIT,
)
from theorylab.figures import figure
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.quadratic_regression import (
    eigenvalue_derivatives_formula,
    eq17_printed_batch_gap,
    simulate_eigenvalue_derivatives,
    singular_triples,
)
from theorylab.spec import CheckKind, Finding, Verdict

__all__: list[str] = []


@CATALOG.check(
    CONSERVATIVE_SHARPENING,
    kind=CheckKind.EXACT,
    description="Eq. 16 by direct Monte Carlo over (P, Q, z) for B in {1, 2, 4, D}, V(σ) = 1 "
    "and V(σ) = σ, top and middle singular modes; z-scores against the formula",
)
def first_derivative(context: CheckContext) -> Finding:
    """Eq. 16: the expected first step of an NTK eigenvalue estimator grows like η²/B."""
    rng = context.rng()
    size, parameters = (24, 32) if context.full else (12, 16)
    draws = 1000 if context.full else 300
    eta = 0.5
    jacobian = rng.standard_normal((size, parameters)) / np.sqrt(parameters)
    singular = singular_triples(jacobian)[1]
    worst, rows, curves = 0.0, [], []
    batches = [1, 2, 4, size]
    for label, variances in (("V=1", np.ones(size)), ("V=sigma", singular.copy())):
        for mode in (0, size // 2):
            measured, predicted = [], []
            for batch in batches:
                result = simulate_eigenvalue_derivatives(
                    jacobian, eta, batch, mode, draws, rng, curvature_variances=variances
                )
                formula = eigenvalue_derivatives_formula(
                    jacobian, eta, batch, mode, curvature_variances=variances
                )[0]
                score = abs(result.first - formula) / result.first_stderr
                worst = max(worst, score)
                rows.append(
                    {
                        "V": label,
                        "mode": mode,
                        "B": batch,
                        "mean": result.first,
                        "stderr": result.first_stderr,
                        "formula": formula,
                        "z": score,
                    }
                )
                measured.append(result.first)
                predicted.append(formula)
            curves.append((f"MC {label} mode {mode}", measured, "scatter"))
            curves.append((f"Eq. 16 {label} mode {mode}", predicted))
    holds = worst <= Z_LIMIT
    summary = f"Eq. 16 vs Monte Carlo ({draws} draws each): max |z| = {worst:.2f} over {len(rows)}"
    return judged(
        holds,
        summary,
        instance=lambda: max(rows, key=lambda r: r["z"]),
        supported=Verdict.HOLDS_APPROX,
        residual=worst,
        bound=Z_LIMIT,
        error_law="Monte Carlo stderr",
        instances=len(rows) * draws,
        sizes={"D": size, "P": parameters},
        figure=figure(
            "Eq. 16: E[Δ1 λ̂] vs batch size",
            "B",
            "E[Δ1 λ̂_α,0]",
            [float(b) for b in batches],
            curves,
            log_x=True,
            log_y=True,
        ),
        details={"rows": rows},
    )


@CATALOG.check(
    CONSERVATIVE_SHARPENING_CORRECTED,
    kind=CheckKind.EXACT,
    description="direct Monte Carlo over (P, Q, z) of E[Δ2σ̂]_B - E[Δ2σ̂]_D (B = 1) vs the "
    "exact gap and vs Eq. 17 as printed (D = 3, P = 4)",
)
def second_derivative_monte_carlo(context: CheckContext) -> Finding:
    """Sampling, with nothing enumerated, agrees with the exact gap (and can tell it apart)."""
    rng = context.rng()
    size, parameters, eta = 3, 4, 0.8
    jacobian = rng.standard_normal((size, parameters)) / np.sqrt(parameters)
    draws = 400_000 if context.full else 60_000
    small = simulate_eigenvalue_derivatives(jacobian, eta, 1, 0, draws, rng)
    full = simulate_eigenvalue_derivatives(jacobian, eta, size, 0, draws, rng)
    measured = small.second - full.second
    stderr = float(np.hypot(small.second_stderr, full.second_stderr))
    exact = eigenvalue_derivatives_formula(jacobian, eta, 1)[1]
    printed = eq17_printed_batch_gap(jacobian, eta, 1)
    z_exact, z_printed = abs(measured - exact) / stderr, abs(measured - printed) / stderr
    holds = z_exact <= Z_LIMIT
    summary = (
        f"MC E[Δ2σ̂]_1 - E[Δ2σ̂]_D = {measured:.4f} ± {stderr:.4f} ({draws} draws per B); "
        f"exact {exact:.4f} (z = {z_exact:.1f}); Eq. 17 as printed {printed:.4f} "
        f"(z = {z_printed:.1f})"
    )
    return judged(
        holds,
        summary,
        instance=lambda: {"D": size, "P": parameters, "eta": eta},
        claimed=exact,
        actual=measured,
        supported=Verdict.HOLDS_APPROX,
        lhs=measured,
        rhs=exact,
        residual=z_exact,
        bound=Z_LIMIT,
        error_law="Monte Carlo stderr",
        instances=2 * draws,
        sizes={"D": size, "P": parameters},
        details={"z_exact": z_exact, "z_printed": z_printed, "printed": printed},
    )
