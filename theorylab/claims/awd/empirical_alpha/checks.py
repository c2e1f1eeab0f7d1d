"""The torch checks of ``awd.empirical_alpha``: Table 1, the coupling and Sec. 5.3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from theorylab.claims.awd.empirical_alpha import (
    APPROX_ONE,
    EMPIRICAL_ALPHA,
    HARDLY,
    LOWERING,
    MATCH,
)
from theorylab.claims.awd.empirical_alpha.settings import DIFFERENCE
from theorylab.claims.awd.networks import seeded_rows, setting_label, trained_rows
from theorylab.claims.awd.paper import awd_check
from theorylab.figures import figure
from theorylab.findings import torch_finding
from theorylab.registry import CheckContext, CheckFunction
from theorylab.spec import CheckKind, Figure, FigureSeries, Finding, Level, Verdict
from theorylab.statements import combine_outcomes, judge_interval

__all__ = ["coupling_vs_baseline", "suppression_experiment", "table_one"]


def _torch_check(description: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a quick-and-full torch check of ``awd.empirical_alpha`` (single-threaded)."""
    return awd_check(
        EMPIRICAL_ALPHA,
        kind=CheckKind.TORCH,
        levels=(Level.QUICK, Level.FULL),
        description=description,
    )


def _rounded(values: Any) -> list[float]:
    return [round(float(value), 4) for value in values]


def _seed_entry(row: Any) -> dict[str, Any]:
    """Per-seed exponents, both intervals and the between-seed spread of one setting."""
    exponents, first = row.exponents, row.runs[0]
    spread = [None if value != value else float(value) for value in exponents.between_seed_std]
    difference = exponents.per_seed[:, 1] - exponents.per_seed[:, 0]
    return {
        "setting": setting_label(row),
        "training_seeds": list(row.seeds),
        "alpha_measured_mean": row.alpha_measured,
        "alpha_measured_per_seed": _rounded(exponents.per_seed[:, 0]),
        "ci_measured_percentile_seed_and_sample": list(row.alpha_measured_ci),
        "ci_measured_samples_only_first_seed": list(first.alpha_measured_ci),
        "ci_measured_samples_only_per_seed": [
            list(exponents.samples_only_interval(k, 0)) for k in range(exponents.seeds)
        ],
        "between_seed_std_measured": spread[0],
        "bootstrap_bias_measured": exponents.bias(0),
        "ci_measured_basic_seed_and_sample_judged": list(exponents.basic_interval(0)),
        "alpha_awd_mean": row.alpha_awd,
        "alpha_awd_per_seed": _rounded(exponents.per_seed[:, 1]),
        "ci_awd_seed_and_sample": list(row.alpha_awd_ci),
        "ci_awd_samples_only_first_seed": list(first.alpha_awd_ci),
        "between_seed_std_awd": spread[1],
        "difference_mean": float(difference.mean()),
        "ci_difference_percentile_seed_and_sample": list(row.difference_ci),
        "bootstrap_bias_difference": exponents.bias(DIFFERENCE),
        "ci_difference_basic_seed_and_sample_judged": list(exponents.basic_interval(DIFFERENCE)),
        "ci_difference_samples_only_first_seed": list(first.difference_ci),
        "between_seed_std_difference": (
            float(difference.std(ddof=1)) if difference.size > 1 else None
        ),
        "train_accuracy_per_seed": _rounded(run.train_accuracy for run in row.runs),
        "gradient_norm_per_seed": [run.gradient_norm for run in row.runs],
    }


def _outcomes(rows: tuple[Any, ...], interval_of: Any) -> dict[str, str]:
    """Table 1's statements per setting, judged on ``interval_of(row, contrast)``.

    Contrast ``0`` is alpha, ``DIFFERENCE`` is alpha_AWD - alpha (paired).
    """
    outcomes: dict[str, str] = {}
    for row in rows:
        label, alpha = setting_label(row), interval_of(row, 0)
        if row.setting.loss == "ce":
            outcomes[f"{label}: alpha > 1"] = judge_interval(alpha, 1.0, float("inf"))
        else:
            outcomes[f"{label}: alpha ≈ 1"] = judge_interval(alpha, 1 - APPROX_ONE, 1 + APPROX_ONE)
        outcomes[f"{label}: AWD matches"] = judge_interval(
            interval_of(row, DIFFERENCE), -MATCH, MATCH
        )
    by_setting: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_setting.setdefault(f"{row.setting.data}/{row.setting.model}", {})[row.setting.loss] = row
    for key, pair in by_setting.items():
        if {"ce", "mse"} <= pair.keys():
            ce, mse = interval_of(pair["ce"], 0), interval_of(pair["mse"], 0)
            outcomes[f"{key}: alpha_CE > alpha_MSE"] = (
                "supported" if ce[0] > mse[1] else "contradicted" if ce[1] < mse[0] else "undecided"
            )
    return outcomes


@_torch_check(
    "Table 1 style: measured (Eq. 2) vs AWD-predicted (Eq. 58 Term I) "
    "alpha with bootstrap CIs, CE and softmax+MSE, exact per-sample Hessians",
)
def table_one(context: CheckContext) -> Finding:
    """Judge Table 1's statements on every trained setting, seed + sample intervals."""
    rows = seeded_rows(context)
    outcomes = _outcomes(rows, lambda row, contrast: row.exponents.basic_interval(contrast))
    table = []
    for row in rows:
        first = row.runs[0]
        table.append(
            {
                **_seed_entry(row),
                "p": first.parameters,
                "n": first.samples,
                "ols_ci_measured_first_seed": list(first.alpha_ols_ci),
                "alpha_isotropic_eq15_first_seed": first.alpha_isotropic,
                "awd_covariance_relative_error_first_seed": first.awd_shape_error,
                "awd_best_scale_first_seed": first.awd_scale,
                "window_H_first_seed": list(first.window),
                "points_first_seed": first.points,
                "eq19_window_bounds_first_seed": (
                    list(first.implied_bounds) if first.implied_bounds else None
                ),
                "non_psd_per_sample_hessians": sum(run.not_psd for run in row.runs),
                "most_negative_eigenvalue": min(run.most_negative for run in row.runs),
            }
        )
    verdict = combine_outcomes(outcomes)
    non_psd = sum(run.not_psd for row in rows for run in row.runs)
    worst = min(run.most_negative for row in rows for run in row.runs)
    seeds = min(row.exponents.seeds for row in rows)
    return Finding(
        verdict=verdict,
        summary="; ".join(
            f"{setting_label(r)} alpha {r.alpha_measured:.3f} over {r.exponents.seeds} seeds ("
            + ", ".join(f"{a:.3f}" for a in r.exponents.per_seed[:, 0])
            + ") [{:.2f}, {:.2f}] vs AWD ".format(*r.exponents.basic_interval(0))
            + f"{r.alpha_awd:.3f}"
            for r in rows
        )
        + f"; non-PSD per-sample Hessians {non_psd} (most negative eigenvalue {worst:.2e})",
        backend="torch",
        device=context.device,
        instances=sum(r.exponents.seeds for r in rows),
        sizes={
            "settings": len(rows),
            "training_seeds": seeds,
            "max_p": max(r.runs[0].parameters for r in rows),
        },
        figure=Figure(
            title="Table 1: AWD-predicted vs measured alpha",
            x_label="alpha measured (Eq. 2)",
            y_label="alpha AWD (Eq. 58 Term I)",
            series=[
                FigureSeries(
                    label=f"{setting_label(r)} (per seed)",
                    x=r.exponents.per_seed[:, 0].tolist(),
                    y=r.exponents.per_seed[:, 1].tolist(),
                    style="scatter",
                )
                for r in rows
            ]
            + [FigureSeries(label="y = x", x=[0.9, 1.6], y=[0.9, 1.6])],
        ),
        details={
            "outcomes": outcomes,
            "table": table,
            "outcomes_percentile_intervals_not_judged": _outcomes(
                rows, lambda row, contrast: row.exponents.interval(contrast)
            ),
            "intervals": (
                f"judged on 95 % basic (reverse-percentile) two-level bootstrap intervals of "
                f"the mean over "
                f"{seeds} training seeds (seeds resampled, then samples within each seed)"
                if seeds > 1
                else "one training seed: the judged intervals are samples-only (no seed spread)"
            )
            + "; bootstrap_bias_* = mean of the draws - estimate: refitting on resampled data "
            "(duplicated samples) biases the exponent upward by up to ~0.05, which shifts "
            "percentile intervals (one did not contain its own estimate); basic intervals "
            "correct that shift to first order and are judged; percentile intervals and "
            "their outcomes are reported, not judged",
        },
    )


@_torch_check(
    "Fig. 1 / Sec. 2.2: mean |rho| of the measured C in the H basis vs "
    "Eq. 40 and vs the Haar null of its own spectrum (Monte Carlo p-value)",
)
def coupling_vs_baseline(context: CheckContext) -> Finding:
    """Is C more aligned with H than a random basis? Judged with the valid Haar null."""
    rows = trained_rows(context)
    aligned = [row.coupling_p_value < 0.05 for row in rows]
    return torch_finding(
        context,
        rows,
        verdict=Verdict.HOLDS if all(aligned) else Verdict.REFUTED,
        summary="; ".join(
            f"{setting_label(r)}: mean|rho| {r.coupling:.3f} (K={r.spikes}), Eq. 40 "
            f"{r.coupling_baseline:.3f}, Haar-null p = {r.coupling_p_value:.2f}"
            for r in rows
        ),
        figure=figure(
            "coupling vs random baseline",
            "setting index",
            "mean |rho_ij|",
            list(range(len(rows))),
            [
                ("measured", [r.coupling for r in rows], "scatter"),
                ("sqrt(2/(pi K)) (Eq. 40)", [r.coupling_baseline for r in rows], "scatter"),
            ],
        ),
        details={
            "rows": [
                {
                    "setting": setting_label(r),
                    "coupling": r.coupling,
                    "K": r.spikes,
                    "eq40": r.coupling_baseline,
                    "haar_p_value": r.coupling_p_value,
                }
                for r in rows
            ]
        },
    )


@_torch_check(
    "Sec. 5.3 / App. B.3: rank-1 truncation of per-sample spectra hardly "
    f"changes H and C (<= {HARDLY:.0%}); homogenising the top eigenvalues lowers alpha "
    "for CE, hardly changes it for MSE",
)
def suppression_experiment(context: CheckContext) -> Finding:
    """Sec. 5.3: rank-1 dominance, and homogenising lowers alpha for CE but not for MSE."""
    rows = trained_rows(context)
    outcomes: dict[str, str] = {}
    for row in rows:
        label, values = setting_label(row), row.suppression
        change = max(values["h_change_rank_one"], values["c_change_rank_one"])
        outcomes[f"{label}: rank-1 hardly changes H, C"] = (
            "supported" if change <= HARDLY else "contradicted"
        )
        shift = values["alpha_rank_one_homogenized"] - values["alpha_rank_one"]
        if row.setting.loss == "ce":
            outcomes[f"{label}: homogenising lowers alpha"] = (
                "supported" if shift < -LOWERING else "contradicted"
            )
        else:
            outcomes[f"{label}: homogenising hardly changes alpha"] = (
                "supported" if abs(shift) <= APPROX_ONE else "contradicted"
            )
    return torch_finding(
        context,
        rows,
        verdict=combine_outcomes(outcomes),
        summary="; ".join(
            f"{setting_label(r)}: rank-1 change "
            f"{max(r.suppression['h_change_rank_one'], r.suppression['c_change_rank_one']):.1%}, "
            f"alpha {r.suppression['alpha_iso']:.3f} -> rank-1 "
            f"{r.suppression['alpha_rank_one']:.3f} -> homogenised "
            f"{r.suppression['alpha_rank_one_homogenized']:.3f}"
            for r in rows
        ),
        details={
            "outcomes": outcomes,
            "rows": {setting_label(r): r.suppression for r in rows},
            "bands": {"hardly": HARDLY, "ce_lowering": LOWERING, "mse_shift": APPROX_ONE},
            "note": "rank-1 per-sample Hessians with one common eigenvalue give "
            "E[H_s^2] = lambda_bar E[H_s] exactly, so homogenising forces alpha = 1: the "
            "Sec. 5.3 test only asks whether alpha was 1 already",
        },
    )
