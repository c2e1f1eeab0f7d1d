r"""Torch experiment for ``seos.empirical_k`` (Sec. 4.1, Fig. 3-5): K tracked while an FCN trains.

The runs are :func:`~theorylab.claims.seos.empirical_k.training.training_cell` cells of a
(B, eta, seed) sweep. The learning-rate grid is set relative to
:math:`\eta_1 = 2B/\mathrm{tr}\hat\Theta_0` (:math:`\hat{\mathcal{K}}_{tr} = 1` at
initialisation).
"""

from __future__ import annotations

import time
from functools import lru_cache

import numpy as np
import torch

from theorylab.claims.seos.empirical_k.training import (
    CHECKPOINTS,
    TrainingHistory,
    gram_matrix,
    load_data,
    training_cell,
)
from theorylab.errors import TheorylabError
from theorylab.gpu import MLP, ntk_gram
from theorylab.registry import CheckContext
from theorylab.spec import Figure, FigureSeries, Finding, Verdict
from theorylab.statements import combine_outcomes
from theorylab.sweep import Cell, SweepOptions, run_sweep

__all__ = ["empirical_k_experiment", "final_loss_finding"]

BEST_BAND = (0.6, 0.8)


def _grid_cells(runs: list[dict]) -> list[dict[str, float]]:
    """One row per (B, eta) over the training seeds: geometric-mean final loss, mean K_f.

    A run that diverged (stopped early, or a non-finite final loss) makes its cell's loss
    infinite; K_f and eta*lambda_max_f are NaN where undefined (past the deterministic EOS).
    """
    cells: dict[tuple[int, float], list[dict]] = {}
    for run in runs:
        cells.setdefault((run["B"], run["eta"]), []).append(run)
    rows = []
    for (batch, eta), members in cells.items():
        done = [r for r in members if len(r["loss"]) == CHECKPOINTS + 1]
        finished = len(done) == len(members) and all(np.isfinite(r["loss"][-1]) for r in done)
        k_final = np.array([r["K"][-1] for r in done]) if finished else np.full(1, np.nan)
        lam = np.array([eta * r["lambda_max"][-1] for r in done]) if finished else k_final
        losses = np.array([r["loss"][-1] for r in done]) if finished else np.full(1, np.inf)
        rows.append(
            {
                "B": batch,
                "eta_over_B": eta / batch,
                "seeds": len(members),
                "loss_f": float(np.exp(np.mean(np.log(losses)))),
                "K_f": float(np.mean(k_final)),
                "K_f_seed_sd": float(np.std(k_final, ddof=1)) if k_final.size > 1 else 0.0,
                "eta_lambda_max_f": float(np.mean(lam)),
            }
        )
    return rows


def _r_squared(feature: np.ndarray, response: np.ndarray) -> float:
    mask = np.isfinite(feature) & np.isfinite(response)
    if mask.sum() < 4:
        return float("nan")
    coefficients = np.polyfit(feature[mask], response[mask], 2)
    fitted = np.polyval(coefficients, feature[mask])
    spread = np.sum((response[mask] - response[mask].mean()) ** 2)
    return float(1 - np.sum((response[mask] - fitted) ** 2) / spread) if spread > 0 else 0.0


def _statements(runs: list[dict], cells: list[dict[str, float]]) -> tuple[dict, list[int]]:
    """Statements (1)-(3) from the runs and their (B, eta) cells; the self-stabilised runs."""
    final_loss = np.array([cell["loss_f"] for cell in cells])
    final_k = np.array([cell["K_f"] for cell in cells])
    final_lam = np.array([cell["eta_lambda_max_f"] for cell in cells])
    peaks = [max(np.nan_to_num(r["K"], nan=0.0)) for r in runs]
    stabilised = [
        i
        for i, r in enumerate(runs)
        if peaks[i] > 1
        and len(r["loss"]) == CHECKPOINTS + 1
        and np.isfinite(r["K"][-1])
        and r["K"][-1] < 1
        and r["loss"][-1] < r["loss"][0]
    ]
    best = int(np.argmin(final_loss))
    log_loss = np.log(final_loss)
    # both predictors on the same cells (K is undefined past the deterministic EOS)
    common = np.isfinite(final_k) & np.isfinite(final_lam) & np.isfinite(log_loss)
    r2_k = _r_squared(final_k[common], log_loss[common])
    r2_lam = _r_squared(final_lam[common], log_loss[common])
    in_band = BEST_BAND[0] <= final_k[best] <= BEST_BAND[1]
    # spread of the optimum: runs within 20% of the best final loss
    near = np.isfinite(final_loss) & (final_loss <= 1.2 * final_loss[best])
    near_k = final_k[near & np.isfinite(final_k)]
    if not np.isfinite(final_loss[best]) or near_k.size == 0:
        raise TheorylabError("every run of the grid diverged or left K undefined at the end")
    statements = {
        "self_stabilisation_observed": bool(stabilised),
        "best_K_f": float(final_k[best]),
        "best_K_f_range_within_20pct": [float(np.nanmin(near_k)), float(np.nanmax(near_k))],
        "best_in_[0.6,0.8]": bool(in_band),
        "R2_loss_vs_K_f": r2_k,
        "R2_loss_vs_eta_lambda_max": r2_lam,
        "lambda_max_poorer": bool(np.isfinite(r2_k) and (not np.isfinite(r2_lam) or r2_lam < r2_k)),
        "cells_in_R2": int(np.count_nonzero(common)),
    }
    return statements, stabilised


def empirical_k_experiment(context: CheckContext) -> Finding:
    """Statement (1), K self-stabilisation, with the K trajectories (Fig. 3)."""
    threads = torch.get_num_threads()
    if torch.device(context.device).type == "cpu":
        torch.set_num_threads(1)  # tiny matrices: thread hand-offs cost more than they save
    try:
        return _experiment(context.level, context.seed, context.device, context.sweep)
    finally:
        torch.set_num_threads(threads)


def _sweep_cells(
    grid: list[tuple[int, float, int]], common_params: dict, seed: int, trace0: float
) -> list[Cell]:
    """One training cell per (B, eta, seed offset), then the momentum run (mu = 0.5, B = 1)."""
    cells = [
        Cell.of(
            training_cell,
            {**common_params, "eta": eta, "batch": batch, "momentum": 0.0},
            seed=seed + offset,
            label=f"B={batch} eta/B={eta / batch:.3g} seed+{offset}",
        )
        for batch, eta, offset in grid
    ]
    momentum_eta = 0.1 * 2 / trace0 * (1 - 0.5)
    cells.append(
        Cell.of(
            training_cell,
            {**common_params, "eta": momentum_eta, "batch": 1, "momentum": 0.5},
            seed=seed,
            label="momentum 0.5",
        )
    )
    return cells


@lru_cache(maxsize=2)
def _experiment(level: object, seed: int, device_name: str, sweep: SweepOptions) -> Finding:
    context = CheckContext(level=level, seed=seed, device=device_name)  # type: ignore[arg-type]
    started = time.perf_counter()
    device = torch.device(context.device)
    size, width, epochs = (512, 128, 10) if context.full else (48, 24, 6)
    batches = (2, 8, 32) if context.full else (1, 3)
    multipliers = (
        # dense below the divergence edge (~0.2 at D = 512, 10 epochs), where K_f nears 1
        (0.02, 0.05, 0.08, 0.11, 0.14, 0.17, 0.2, 0.3) if context.full else (0.03, 0.07, 0.15, 0.3)
    )
    seeds = (0, 1, 2) if context.full else (0,)
    inputs, _ = load_data(size, device_name)
    probe = MLP(inputs.shape[1], width=width, depth=2, seed=context.seed).to(device, torch.float64)
    reference = ntk_gram(probe, inputs, dtype=torch.float64).cpu().numpy()
    gram_gap = float(
        np.max(np.abs(gram_matrix(probe, inputs) - reference)) / np.max(np.abs(reference))
    )
    trace0 = float(np.trace(reference)) / size
    common_params = {"size": size, "width": width, "epochs": epochs, "device": device_name}
    grid = [
        (batch, multiplier * 2 * batch / trace0, offset)
        for batch in batches
        for multiplier in multipliers
        for offset in seeds
    ]
    cells = _sweep_cells(grid, common_params, context.seed, trace0)
    sweep_result = run_sweep(cells, TrainingHistory, sweep, description="seos (B, eta) runs")
    histories = [history.series for history in sweep_result.values]
    runs = [
        {"B": batch, "eta": eta, "eta_over_B": eta / batch, "seed": offset, **history}
        for (batch, eta, offset), history in zip(grid, histories[:-1], strict=True)
    ]
    momentum_run = histories[-1]
    cells = _grid_cells(runs)
    statements, stabilised = _statements(runs, cells)
    verdict = Verdict.HOLDS_APPROX if stabilised else Verdict.INCONCLUSIVE
    series = [
        FigureSeries(
            label=f"K, B={r['B']}, eta/B={r['eta_over_B']:.3g}",
            x=[float(s) for s in r["step"]],
            y=[float(k) for k in r["K"]],
        )
        for r in runs
        if r["seed"] == 0
    ]
    series.append(
        FigureSeries(
            label="K_mom (mu=0.5)",
            x=[float(s) for s in momentum_run["step"]],
            y=[float(k) for k in momentum_run.get("K_mom", [])],
        )
    )
    summary = (
        f"{len(runs)} runs (D={size}, {len(seeds)} seed(s) per (B, eta)): K>1 then <1 with "
        f"loss down in {len(stabilised)} run(s); best final loss at "
        f"K_f={statements['best_K_f']:.2f} "
        f"(near-best K_f in "
        f"[{statements['best_K_f_range_within_20pct'][0]:.2f}, "
        f"{statements['best_K_f_range_within_20pct'][1]:.2f}]); R² of log loss on K_f "
        f"{statements['R2_loss_vs_K_f']:.2f} vs on eta*lambda_max "
        f"{statements['R2_loss_vs_eta_lambda_max']:.2f}"
    )
    return Finding(
        verdict=verdict,
        summary=summary,
        backend="torch",
        device=str(device),
        sizes={
            "D": size,
            "width": width,
            "epochs": epochs,
            "runs": len(runs),
            "seeds": len(seeds),
        },
        instances=len(runs) + 1,
        figure=Figure(
            title="K trajectories during training (FCN on digits, MSE)",
            x_label="step",
            y_label="K",
            series=series,
        ),
        details={
            "statements": statements,
            "gram_cross_check_rel_gap": gram_gap,
            "seconds": time.perf_counter() - started,
            "final": cells,
            "momentum": {key: momentum_run.get(key, []) for key in ("K_mom", "K_eq18", "loss")},
            "sweep": sweep_result.stats.model_dump(),
        },
    )


def final_loss_finding(context: CheckContext) -> Finding:
    """Statements (2) best loss at K_f in [0.6, 0.8] and (3) lambda_max predicts poorly (Fig. 5)."""
    base = _experiment(context.level, context.seed, context.device, context.sweep)
    statements = base.details["statements"]
    finals = [
        row
        for row in base.details["final"]
        if np.isfinite(row["K_f"]) and np.isfinite(row["loss_f"])
    ]
    low, high = statements["best_K_f_range_within_20pct"]
    outcomes = {
        "best loss at K_f in [0.6, 0.8]": "supported"
        if statements["best_in_[0.6,0.8]"]
        else "contradicted"
        if high < BEST_BAND[0] or low > BEST_BAND[1]  # no near-best cell reaches the band
        else "undecided",
        "lambda_max poorer predictor": "undecided"
        if not np.isfinite(statements["R2_loss_vs_K_f"])
        else "supported"
        if statements["lambda_max_poorer"]
        else "contradicted",
    }
    verdict = combine_outcomes(outcomes)
    summary = (
        f"best final loss at K_f={statements['best_K_f']:.2f} (runs within 20% of it: "
        f"K_f in [{low:.2f}, {high:.2f}]; paper: [0.6, 0.8]); R² of log loss: K_f "
        f"{statements['R2_loss_vs_K_f']:.2f}, eta*lambda_max "
        f"{statements['R2_loss_vs_eta_lambda_max']:.2f}"
    )
    return Finding(
        verdict=verdict,
        summary=summary,
        backend="torch",
        device=base.device,
        sizes=base.sizes,
        instances=len(finals),
        figure=Figure(
            title="Final loss vs K_f and vs eta*lambda_max (Fig. 5)",
            x_label="K_f or eta*lambda_max",
            y_label="final loss",
            log_y=True,
            series=[
                FigureSeries(
                    label="loss vs K_f",
                    x=[r["K_f"] for r in finals],
                    y=[r["loss_f"] for r in finals],
                    style="scatter",
                ),
                FigureSeries(
                    label="loss vs eta*lambda_max",
                    x=[r["eta_lambda_max_f"] for r in finals],
                    y=[r["loss_f"] for r in finals],
                    style="scatter",
                ),
            ],
        ),
        details={"statements": statements, "outcomes": outcomes},
    )
