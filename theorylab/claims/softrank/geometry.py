r"""``softrank.geometry`` — paper 004, Sec. 3: Eq. 4 (parameter error) and Eq. 5 (L2 error).

:math:`\lim n\mathbb{E}\|\hat\theta-\theta^*\|^2 = \mathrm{Tr}(C_\kappa H_\kappa^{-2})` (Eq. 4) and
:math:`\lim n\mathbb{E}\|l_\kappa(\hat\theta)-l_\kappa(\theta^*)\|^2_{L_2(p_z)} =
\mathrm{Tr}((C_\kappa H_\kappa^{-1})^2) = \mathrm{Tr}(\bar H_\kappa^{-2})` (Eq. 5), for any
(mis)specification; and "calibrated, no regularisation ⇒ Eq. 4 equals
:math:`\mathrm{Tr}(H^{-1})`". Checked by Monte Carlo on a misspecified Gaussian model (model
noise 0.6 vs true 1) and a misspecified logistic regression, against the exact limits, and on
the exactly calibrated model as :math:`\Lambda\to0` (error law :math:`O(\lambda)`).
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.softrank.asymptotics import combine, model_sweeps, sweep_figure
from theorylab.claims.softrank.models import calibrated_model, misspecified_models
from theorylab.claims.softrank.paper import cite
from theorylab.error_laws import loglog_slope
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Finding, Verdict

__all__ = ["GEOMETRY"]

(GEOMETRY,) = CATALOG.add_specs(__file__, cite)


@CATALOG.check(
    GEOMETRY,
    kind=CheckKind.EXACT,
    description="Monte Carlo n·E‖Δθ‖² and n·E‖Δl‖²_{L2} (n = 10…2560) on misspecified "
    "Gaussian and logistic models vs Eq. 4, 5, with CIs and the O(1/n) slope",
)
def monte_carlo_eq4_eq5(context: CheckContext) -> Finding:
    """Eq. 4 and 5 against simulation on misspecified models."""
    rng = context.rng()
    models = misspecified_models()
    results = model_sweeps(models, "parameter_error", full=context.full, rng=rng)
    results += model_sweeps(models, "l2_error", full=context.full, rng=rng)
    verdict = combine(results)
    return Finding(
        verdict=verdict,
        summary="; ".join(
            f"{r.label}: {r.fitted_limit:.4f}±{r.fitted_limit_stderr:.4f} vs exact "
            f"{r.limit:.4f} (z {r.limit_z:.1f}, slope "
            f"{'—' if r.slope is None else f'{r.slope:.2f}'})"
            for r in results
        ),
        error_law="|n·E[X_n] − limit| = O(1/n)",
        instances=sum(len(r.sizes) for r in results),
        figure=sweep_figure("Eq. 4, 5: Monte Carlo vs limits", results),
        details={"sweeps": [r.describe() for r in results]},
    )


@CATALOG.check(
    GEOMETRY,
    kind=CheckKind.EXACT,
    description="exactly calibrated model (C = F = H): Tr(C_Λ H_Λ^-2) → Tr(F^-1) as λ → 0",
)
def calibrated_parameter_error_limit(context: CheckContext) -> Finding:
    """The 'sharp minima for parameter estimation' remark after Eq. 4, with its O(λ) law."""
    scales = np.logspace(-1, -5, 5)
    errors = []
    for lam in scales:
        pop = calibrated_model(float(lam)).population()
        errors.append(abs(pop.parameter_error_limit - float(np.trace(np.linalg.inv(pop.fisher)))))
    slope = loglog_slope(scales, errors)
    relative = errors[-1] / float(
        np.trace(np.linalg.inv(calibrated_model(1e-5).population().fisher))
    )
    ok = 0.85 <= slope <= 1.15 and relative < 1e-3
    return Finding(
        verdict=Verdict.HOLDS_APPROX if ok else Verdict.REFUTED,
        summary=f"|Tr(C_Λ H_Λ^-2) − Tr(F^-1)| slope {slope:.3f} in λ (law 1); relative error "
        f"{relative:.1e} at λ = 1e-5",
        residual=relative,
        error_law="O(λ)",
        instances=len(scales),
        details={"lambda": list(scales), "errors": errors, "slope": slope},
    )
