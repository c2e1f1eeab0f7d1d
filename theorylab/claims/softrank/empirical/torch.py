r"""The torch checks of ``softrank.empirical``: Table 1, Figs 2-4 and the SLQ error law.

Each check reads the nets of :func:`theorylab.claims.softrank.experiments.trained_sweep`
(trained once per level, seed and device) and judges the paper's statement on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from theorylab.claims.softrank.empirical import EMPIRICAL
from theorylab.claims.softrank.empirical.statistics import (
    BOOTSTRAP,
    bootstrap_kendall,
    half_split_advantage,
    kendall_tau_b,
    moving_window_kendall,
)
from theorylab.error_laws import loglog_slope
from theorylab.figures import figure
from theorylab.findings import torch_finding
from theorylab.registry import CATALOG, CheckContext, CheckFunction
from theorylab.spec import CheckKind, Figure, FigureSeries, Finding, Level, Verdict

if TYPE_CHECKING:
    from theorylab.claims.softrank.experiments import Sweep

__all__ = [
    "MEASURES",
    "MIN_NETS",
    "PAPER_TAU",
    "calibration_overfitting_windows",
    "estimators_fig3",
    "slq_soft_rank",
    "table1_kendall",
]

MIN_NETS = 20

MEASURES = {
    "rank_λ(F)": "rank",
    "½logdet(F/λ+I)": "log_det",
    "rank_λ(F_KFAC)": "rank_kfac",
    "½logdet(F_KFAC/λ+I)": "log_det_kfac",
    "½logdet(F_diag/λ+I)": "log_det_diag",
    "rank_λ(F_diag)": "rank_diag",
    "Tr F": "trace",
    "‖F‖₂": "operator_norm",
}
PAPER_TAU = {
    "rank_λ(F)": 0.84,
    "½logdet(F/λ+I)": 0.82,
    "rank_λ(F_KFAC)": 0.78,
    "½logdet(F_KFAC/λ+I)": 0.76,
    "½logdet(F_diag/λ+I)": 0.72,
    "rank_λ(F_diag)": 0.68,
    "Tr F": 0.28,
    "‖F‖₂": 0.08,
}


def _sweep(context: CheckContext) -> Sweep:
    from theorylab.claims.softrank.experiments import context_sweep

    return context_sweep(context)


def _torch_check(description: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as a torch check of ``softrank.empirical``."""
    return CATALOG.check(
        EMPIRICAL, kind=CheckKind.TORCH, levels=(Level.QUICK, Level.FULL), description=description
    )


def _scatter_figure(
    title: str,
    x_label: str,
    y_label: str,
    points: Iterable[tuple[str, list, list]],
    *,
    lines: Iterable[FigureSeries] = (),
    log: bool = False,
) -> Figure:
    """Scatter series ``(label, x, y)`` (each with its own x), then ``lines`` as given."""
    return Figure(
        title=title,
        x_label=x_label,
        y_label=y_label,
        log_x=log,
        log_y=log,
        series=[FigureSeries(label=label, x=x, y=y, style="scatter") for label, x, y in points]
        + list(lines),
    )


@_torch_check("Kendall τ table (Table 1) with bootstrap CIs over trained MLPs; Fig. 2")
def table1_kendall(context: CheckContext) -> Finding:
    """τ of each training-set measure against the measured gap, with the paper's values."""
    from theorylab.claims.softrank.experiments import records_table

    records = _sweep(context).records
    rng = context.rng()
    gap = np.array([r.gap for r in records])
    sizes = np.array([r.train_size for r in records], float)
    table, scaled = {}, {}
    for label, field in MEASURES.items():
        values = np.array([getattr(r, field) for r in records])
        scaled[label] = values / sizes
        tau, low, high = bootstrap_kendall(scaled[label], gap, rng)
        table[label] = {
            "tau": tau,
            "ci": [low, high],
            "paper": PAPER_TAU[label],
            "tau_raw_measure": bootstrap_kendall(values, gap, rng)[0],
        }
    differences = {}
    index = rng.integers(0, len(gap), (BOOTSTRAP, len(gap)))
    reference = kendall_tau_b(scaled["rank_λ(F)"][index], gap[index])
    for other in ("Tr F", "‖F‖₂"):
        diffs = reference - kendall_tau_b(scaled[other][index], gap[index])
        diffs = diffs[np.isfinite(diffs)]
        differences[other] = [float(np.percentile(diffs, 2.5)), float(np.percentile(diffs, 97.5))]
    rank = table["rank_λ(F)"]
    ordering_holds = all(low > 0 for low, _ in differences.values())
    ordering_fails = any(high < 0 for _, high in differences.values())
    compatible = rank["ci"][0] <= 0.84 <= rank["ci"][1]
    far_below = rank["ci"][1] < 0.84 - 0.2
    if len(records) < MIN_NETS:
        verdict = Verdict.INCONCLUSIVE
    elif ordering_fails or far_below:
        verdict = Verdict.REFUTED
    elif ordering_holds and compatible:
        verdict = Verdict.HOLDS_APPROX
    else:
        verdict = Verdict.INCONCLUSIVE
    summary = (
        f"{len(records)} nets, τ(measure/n, gap): "
        + ", ".join(
            f"{k} {v['tau']:.2f} [{v['ci'][0]:.2f},{v['ci'][1]:.2f}] (paper {v['paper']}; raw "
            f"{v['tau_raw_measure']:.2f})"
            for k, v in table.items()
        )
        + f"; τ(rank) − τ(Tr F) CI {differences['Tr F'][0]:.2f}..{differences['Tr F'][1]:.2f}, "
        f"− τ(‖F‖) CI {differences['‖F‖₂'][0]:.2f}..{differences['‖F‖₂'][1]:.2f}"
        + (
            f"; fewer than {MIN_NETS} nets: the ≈0.84 claim cannot be judged at this scale"
            if len(records) < MIN_NETS
            else ""
        )
    )
    return torch_finding(
        context,
        records,
        verdict=verdict,
        summary=summary,
        lhs=rank["tau"],
        rhs=0.84,
        sizes={"nets": len(records), "parameters": int(records[0].parameters)},
        figure=_scatter_figure(
            "Gap vs rank_λ(F) on the training set (Fig. 2 style)",
            "rank_λ(F(θ̂)) (train)",
            "test CE − train CE",
            (
                (
                    f"n = {n}",
                    [r.rank for r in records if r.train_size == n],
                    [r.gap for r in records if r.train_size == n],
                )
                for n in sorted({r.train_size for r in records})
            ),
        ),
        details={
            "table": table,
            "rank_minus_other_ci": differences,
            "nets": records_table(records),
        },
    )


@_torch_check(
    "Fig. 3: Eq. 8 estimators (exact, KFAC, diagonal, Thomas trace ratio) vs the "
    "gap: diagonal > KFAC > exact over-estimate, trace ratio alone under-estimates"
)
def estimators_fig3(context: CheckContext) -> Finding:
    """Fig. 3: the Eq. 8 estimator with exact, KFAC and diagonal F, and the bare trace ratio."""
    records = _sweep(context).records
    gap = np.array([r.gap for r in records])
    size = np.array([r.train_size for r in records], float)
    ratio_test = np.array([r.ratio_test for r in records])
    ratio_train = np.array([r.ratio_train for r in records])
    estimates = {
        "Eq. 8 exact F": ratio_test * np.array([r.rank for r in records]) / size,
        "Eq. 8 KFAC": ratio_test * np.array([r.rank_kfac for r in records]) / size,
        "Eq. 8 diagonal": ratio_test * np.array([r.rank_diag for r in records]) / size,
        "Thomas Tr C/Tr F / n": ratio_test / size,
    }
    overestimate = {k: float(np.median(v / gap)) for k, v in estimates.items()}
    rank = np.array([r.rank for r in records])
    calibration = np.abs(ratio_test - 1.0)
    windows_cal = moving_window_kendall(calibration, rank, gap)
    windows_fit = moving_window_kendall(ratio_train, rank, gap)
    ordered = (
        overestimate["Eq. 8 diagonal"]
        >= overestimate["Eq. 8 KFAC"]
        >= overestimate["Eq. 8 exact F"]
        > overestimate["Thomas Tr C/Tr F / n"]
    )
    verdict = (
        Verdict.INCONCLUSIVE
        if len(records) < MIN_NETS
        else (Verdict.HOLDS_APPROX if ordered else Verdict.REFUTED)
    )
    return torch_finding(
        context,
        records,
        verdict=verdict,
        summary="median estimate/gap: "
        + ", ".join(f"{k} {v:.2f}" for k, v in overestimate.items())
        + " (paper: diagonal > KFAC > exact, Thomas underestimates: "
        + f"{'yes' if ordered else 'no'}); "
        f"windowed τ by calibration {windows_cal[0]:.2f}→{windows_cal[-1]:.2f}, by train ratio "
        f"{windows_fit[0]:.2f}→{windows_fit[-1]:.2f}",
        figure=_scatter_figure(
            "Gap estimators (Fig. 3 style)",
            "measured gap",
            "estimate",
            ((k, list(gap), list(v)) for k, v in estimates.items()),
            lines=[
                FigureSeries(
                    label="y = x",
                    x=[float(gap.min()), float(gap.max())],
                    y=[float(gap.min()), float(gap.max())],
                )
            ],
            log=True,
        ),
        details={
            "median_estimate_over_gap": overestimate,
            "window_tau_by_calibration": windows_cal,
            "window_tau_by_train_ratio": windows_fit,
            "ratio_test": list(ratio_test),
            "ratio_train": list(ratio_train),
        },
    )


@_torch_check(
    "soft rank of a trained net's Fisher by SLQ vs the exact eigen-sum: "
    "stderr ∝ probes^-1/2, |error| within 4 stderr, quadrature error vs Lanczos steps"
)
def slq_soft_rank(context: CheckContext) -> Finding:
    """Error law of the SLQ soft-rank estimator (f(x) = x/(x+λ)) against the exact value."""
    slq: dict[str, Any] = _sweep(context).slq
    exact = slq["exact"]
    z = [abs(e - exact) / s for e, s in zip(slq["estimates"], slq["stderrs"], strict=True)]
    slope = loglog_slope(slq["probes"], slq["stderrs"])
    step_errors = [abs(e - exact) for e in slq["step_estimates"]]
    converged = step_errors[-1] <= 4 * slq["step_stderrs"][-1]
    decreasing = step_errors[0] > step_errors[-1]
    ok = max(z) <= 4 and -0.8 <= slope <= -0.2 and converged and decreasing
    free = slq.get("matrix_free")
    if free is not None:
        ok = ok and abs(free[0] - exact) <= 4 * free[1]
    return Finding(
        verdict=Verdict.HOLDS_APPROX if ok else Verdict.REFUTED,
        summary=f"exact rank_λ(F) = {exact:.2f} (p = {slq['parameters']}); SLQ |error|/stderr max "
        f"{max(z):.1f} over probes {slq['probes']}, stderr slope {slope:.2f} (law -0.5); "
        f"error vs steps {[round(e, 1) for e in step_errors]}"
        + ("" if free is None else f"; matrix-free GGN SLQ {free[0]:.2f}±{free[1]:.2f}"),
        lhs=slq["estimates"][-1],
        rhs=exact,
        residual=abs(slq["estimates"][-1] - exact),
        bound=4 * slq["stderrs"][-1],
        error_law="stderr ∝ probes^-1/2",
        backend="torch",
        device=context.device,
        instances=len(slq["probes"]) + len(slq["steps"]),
        figure=figure(
            "SLQ soft rank: error vs probes",
            "probes",
            "|error|, stderr",
            list(map(float, slq["probes"])),
            [
                ("|SLQ − exact|", [max(abs(e - exact), 1e-9) for e in slq["estimates"]], "scatter"),
                ("stderr", slq["stderrs"]),
            ],
            log_x=True,
            log_y=True,
        ),
        details=slq,
    )


@_torch_check(
    "Fig. 4: τ(rank_λ(F)/n, gap) is higher for better-calibrated nets (test Tr C/Tr F "
    "near 1) and for less-overfitted nets (train Tr C/Tr F larger); half-split bootstrap CIs"
)
def calibration_overfitting_windows(context: CheckContext) -> Finding:
    """Fig. 4's two trends, judged by bootstrap CIs of the half-split τ difference."""
    records = _sweep(context).records
    rng = context.rng()
    gap = np.array([r.gap for r in records])
    measure = np.array([r.rank / r.train_size for r in records])
    calibration = np.abs(np.array([r.ratio_test for r in records]) - 1.0)
    overfitting = -np.array([r.ratio_train for r in records])  # small key = less overfitted
    draws = BOOTSTRAP // 4
    calibrated = half_split_advantage(calibration, measure, gap, rng, draws)
    fitted = half_split_advantage(overfitting, measure, gap, rng, draws)
    windows_cal = moving_window_kendall(calibration, measure, gap)
    windows_fit = moving_window_kendall(-overfitting, measure, gap)
    if len(records) < MIN_NETS:
        verdict = Verdict.INCONCLUSIVE
    elif calibrated[2] < 0 or fitted[2] < 0:
        verdict = Verdict.REFUTED
    elif calibrated[1] > 0 and fitted[1] > 0:
        verdict = Verdict.HOLDS_APPROX
    else:
        verdict = Verdict.INCONCLUSIVE
    return torch_finding(
        context,
        records,
        verdict=verdict,
        summary=f"τ(better calibrated half) − τ(worse) = {calibrated[0]:+.2f} "
        f"[{calibrated[1]:+.2f}, {calibrated[2]:+.2f}]; τ(less overfitted half) − τ(more) = "
        f"{fitted[0]:+.2f} [{fitted[1]:+.2f}, {fitted[2]:+.2f}] ({len(records)} nets)",
        figure=figure(
            "Fig. 4 style: windowed τ(rank_λ(F)/n, gap)",
            "window start (sorted)",
            "Kendall τ",
            list(map(float, range(len(windows_cal)))),
            [
                ("by |test Tr C/Tr F − 1| (better calibrated first)", windows_cal),
                ("by train Tr C/Tr F (more overfitted first)", windows_fit),
            ],
        ),
        details={
            "calibration_advantage": calibrated,
            "overfitting_advantage": fitted,
            "window_tau_by_calibration": windows_cal,
            "window_tau_by_train_ratio": windows_fit,
        },
    )
