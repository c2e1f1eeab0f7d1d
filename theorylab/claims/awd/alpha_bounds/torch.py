"""Torch check of ``awd.alpha_bounds``: Theorem 5.1 on trained layers (paper 001, Sec. 4)."""

from __future__ import annotations

from theorylab.claims.awd.alpha_bounds import ALPHA_BOUNDS
from theorylab.claims.awd.networks import all_rows, setting_label
from theorylab.claims.awd.paper import awd_check
from theorylab.figures import figure
from theorylab.findings import torch_finding
from theorylab.registry import CheckContext
from theorylab.spec import CheckKind, Finding, Level, Verdict

__all__ = ["theorem_5_1_on_networks"]


@awd_check(
    ALPHA_BOUNDS,
    kind=CheckKind.TORCH,
    levels=(Level.QUICK, Level.FULL),
    description="Theorem 5.1 on trained layers and an early checkpoint: Eq. 19 for "
    "C = E[H_s^2] (NOT_APPLICABLE per layer with non-PSD per-sample Hessians), fitted alpha, "
    "log-log figure with the fit and both bounds",
)
def theorem_5_1_on_networks(context: CheckContext) -> Finding:
    """Per layer: PSD report, Eq. 19, Eq. 15 alpha and its window bounds (Fig. 2 style)."""
    import numpy as np

    rows = all_rows(context)
    row = rows[0]
    h = np.array(row.scatter["h"])
    c = np.array(row.scatter["c_second_moment"])
    keep = (h > 0) & (c > 0)
    h, c = h[keep], c[keep]
    scale = float(np.exp(np.mean(np.log(c) - row.alpha_isotropic * np.log(h))))
    layers = []
    for r in rows:
        holds = r.eq19_lower_holds and r.eq19_upper_holds
        if r.not_psd:
            verdict = Verdict.NOT_APPLICABLE
        else:
            verdict = Verdict.HOLDS if holds else Verdict.REFUTED
        layers.append(
            {
                "setting": setting_label(r),
                "verdict": verdict.value,
                "not_psd": r.not_psd,
                "most_negative_eigenvalue": r.most_negative,
                "lambda_max": r.lambda_max,
                "eq19_lower_holds": r.eq19_lower_holds,
                "eq19_upper_holds": r.eq19_upper_holds,
                "alpha_eq15": r.alpha_isotropic,
                "window_bounds": r.implied_bounds,
            }
        )
    verdicts = {layer["verdict"] for layer in layers}
    if Verdict.REFUTED.value in verdicts:
        verdict = Verdict.REFUTED
    elif Verdict.HOLDS.value in verdicts:
        verdict = Verdict.HOLDS
    else:
        verdict = Verdict.NOT_APPLICABLE
    return torch_finding(
        context,
        rows,
        verdict=verdict,
        summary="; ".join(
            f"{layer['setting']}: {layer['verdict']} (non-PSD {layer['not_psd']}, most negative "
            f"{layer['most_negative_eigenvalue']:.1e}, Eq. 19 lower/upper "
            f"{layer['eq19_lower_holds']}/{layer['eq19_upper_holds']}, alpha "
            f"{layer['alpha_eq15']:.3f})"
            for layer in layers
        ),
        figure=figure(
            f"E[H_s^2]_ii vs H_ii ({setting_label(row)}), fit alpha = {row.alpha_isotropic:.3f}",
            "H_ii",
            "C_ii = E_s[H_s^2]_ii (Eq. 15, prefactor dropped)",
            h,
            [
                ("directions", c, "scatter"),
                ("fit", scale * h**row.alpha_isotropic),
                ("H^2 (Eq. 19 lower)", h**2),
                ("lambda_max H (Eq. 19 upper)", row.lambda_max * h),
            ],
            log_x=True,
            log_y=True,
        ),
        details={"layers": layers},
    )
