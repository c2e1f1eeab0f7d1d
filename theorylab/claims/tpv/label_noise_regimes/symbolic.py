"""Symbolic checks of ``tpv.label_noise_regimes`` (App. C.2) and its corrected (2a)."""

from __future__ import annotations

from theorylab.claims.tpv.label_noise_regimes import (
    LABEL_NOISE_REGIMES,
    LABEL_NOISE_REGIMES_CORRECTED,
)
from theorylab.derivations import judge_derivation, labelled
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Finding

__all__ = ["derivation_app_c2", "interpolation_test_tpv_derivation"]


@CATALOG.check(
    LABEL_NOISE_REGIMES,
    kind=CheckKind.SYMBOLIC,
    description=(
        "App. C.2 step by step: J δw = U_rU_rᵀε, train TPV σ² r/n, ridge solution and its "
        "train/test TPV (symbolic frames), the (1) gap identity, λ→0 and σ→0 limits, (2a) "
        "substitution B = S²/n"
    ),
)
def derivation_app_c2(context: CheckContext) -> Finding:
    """Symbolic steps of App. C.2 (frames via the shared label-noise proof module)."""
    from theorylab.proofs.tpv.label_noise_regimes import regime_scalar_steps
    from theorylab.proofs.tpv.label_noise_spectral_sum import label_noise_derivation

    regime_steps = {
        "train_prediction_change",
        "train_tpv",
        "ridge_system_diagonalised",
        "ridge_solution",
        "ridge_train_prediction_change",
        "ridge_train_tpv",
        "ridge_test_tpv",
    }
    cases = [(2, 3, 2, 1), (2, 3, 1, 1)] + ([(3, 4, 2, 2)] if context.full else [])
    steps = []
    for train_size, parameters, rank, tests in cases:
        case_steps = label_noise_derivation(train_size, parameters, rank, tests)
        kept_steps = [step for step in case_steps if step.name in regime_steps]
        steps.extend(labelled(f"n={train_size}, p={parameters}, r={rank}", kept_steps))
    scalar_cases = [(2, 2), (3, 2), (3, 3)] + ([(4, 1), (4, 4)] if context.full else [])
    for samples, rank in scalar_cases:
        steps += regime_scalar_steps(samples, rank)
    return judge_derivation(steps, cases=len(cases) + len(scalar_cases))


@CATALOG.check(
    LABEL_NOISE_REGIMES_CORRECTED,
    kind=CheckKind.SYMBOLIC,
    description=(
        "Tr(V S⁻² Vᵀ) = Tr((JJᵀ)⁻¹) for r = n (symbolic frames), and the inverse-Wishart mean "
        "n/(p−n−1) (Bartlett, symbolic p)"
    ),
)
def interpolation_test_tpv_derivation(context: CheckContext) -> Finding:
    """(JJᵀ)⁻¹ = U S⁻² Uᵀ on Cayley frames; then the inverse-Wishart derivation with d = p."""
    from theorylab.proofs.tpv.inverse_wishart import inverse_wishart_derivation
    from theorylab.proofs.tpv.label_noise_regimes import gram_inverse_steps

    steps = []
    for samples, parameters in ((1, 2), (2, 3)):
        steps += gram_inverse_steps(samples, parameters)
    for samples in (1, 2) + ((3,) if context.full else ()):
        steps.extend(labelled(f"n={samples}, d=p", inverse_wishart_derivation(samples)))
    return judge_derivation(steps, cases=4 + (1 if context.full else 0))
