r"""Torch check of ``tpv.trace_stability``: the synthetic experiment of Sec. 5.1 / App. F.1.1.

:func:`band_experiment` reruns App. F.1.1: teachers, ReLU MLPs (PyTorch default init),
clean training, label-noise retraining and SGD-noise snapshots, the first-order filter
(:math:`h = 10^{-2}`, rel_err > 1e-3 discarded) and the empirical TPV of Eq. 17; a point is
in the 50% band when :math:`|\mathrm{TPV}_{tr}/\mathrm{TPV}_{te} - 1| \le 0.5`. All
:math:`R` runs of one setting train at once as a batch of independent networks
(:mod:`.torch_batched`, one setting per sweep cell: :mod:`.torch_band_setting`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from theorylab.claims.tpv.trace_stability.torch_band_setting import SettingRows, band_setting_cell
from theorylab.claims.tpv.trace_stability.torch_batched import one_thread_on_cpu
from theorylab.figures import Points, xy_figure
from theorylab.registry import CheckContext
from theorylab.spec import Figure, Finding, Verdict
from theorylab.sweep import Cell, run_sweep

__all__ = ["band_experiment", "band_grid"]

BAND = 0.5
MIN_POINTS = 10


def band_grid(full: bool) -> dict[str, object]:
    """App. F.1.1's grid at the full level, or the quick level's reduction of it."""
    if full:
        return {
            "teachers": ("linear", "relu", "multi_relu"),
            "dims": (10, 20, 50),
            "depths": (2, 3, 4),
            "clean_steps": 800,
            "label_runs": 20,
            "label_steps": 200,
            "noise_stds": (0.005, 0.01),
            "sgd": ((1e-3, 32), (5e-4, 32), (1e-3, 128), (5e-4, 128)),
            "sgd_steps": 1000,
            "burn_in": 200,
            "every": 20,
            "test_size": 5000,
            "large_n": 1000,
        }
    return {
        "teachers": ("relu", "multi_relu"),
        "dims": (10,),
        "depths": (2,),
        "clean_steps": 100,
        "label_runs": 4,
        "label_steps": 40,
        "noise_stds": (0.01,),
        "sgd": ((1e-3, 32),),
        "sgd_steps": 100,
        "burn_in": 40,
        "every": 15,
        "test_size": 300,
        "large_n": 100,
    }


def band_experiment(context: CheckContext, grid: dict[str, object] | None = None) -> Finding:
    """The synthetic TPV-stability grid of App. F.1.1; fraction inside the 50% band.

    ``grid`` overrides the level's grid (keys as in :func:`band_grid`).
    """
    device = torch.device(context.device)
    with one_thread_on_cpu(device):
        return _band(context, device, grid or band_grid(context.full))


def _band_cells(
    context: CheckContext, device: torch.device, grid: dict[str, object], large_n: int
) -> list[Cell]:
    """One cell per (teacher, d, depth, width, n_train) setting of the grid."""
    groups = {"width=256": [(256, 10), (256, large_n)], "n_train": [(1, large_n)]}
    configurations = sorted({cfg for cfgs in groups.values() for cfg in cfgs})
    return [
        Cell.of(
            band_setting_cell,
            {
                "grid": grid,
                "teacher": teacher_kind,
                "dim": dim,
                "depth": depth,
                "width": width,
                "train_size": train_size,
                "device": str(device),
            },
            seed=97 * context.seed + 13 * teacher_index + dim + depth,
            label=f"{teacher_kind} d={dim} depth={depth} m={width} n={train_size}",
        )
        for teacher_index, teacher_kind in enumerate(grid["teachers"])  # type: ignore[arg-type]
        for dim in grid["dims"]  # type: ignore[attr-defined]
        for depth in grid["depths"]  # type: ignore[attr-defined]
        for width, train_size in configurations
    ]


def _band_fractions(
    rows: list[dict[str, Any]], measured: list[dict[str, Any]], large_n: int
) -> dict[str, float]:
    """Fraction of points inside the 50% band per group, with and without the filter."""
    fractions: dict[str, float] = {}
    for key, condition in (
        ("n_train=10", lambda r: r["n_train"] == 10),
        (f"n_train={large_n}", lambda r: r["n_train"] == large_n),
        (f"width=1,n_train={large_n}", lambda r: r["n_train"] == large_n and r["width"] == 1),
    ):
        chosen = [r for r in measured if condition(r)]
        inside = [abs(r["tpv_train"] / r["tpv_test"] - 1) <= BAND for r in chosen]
        fractions[key] = float(np.mean(inside)) if inside else float("nan")
        everything = [
            abs(r["tpv_train_unfiltered"] / r["tpv_test_unfiltered"] - 1) <= BAND
            for r in rows
            if condition(r) and r["tpv_test_unfiltered"] > 0
        ]
        fractions[f"{key} (no rel_err filter)"] = (
            float(np.mean(everything)) if everything else float("nan")
        )
    return fractions


def _band_figure(measured: list[dict[str, Any]], large_n: int) -> Figure:
    """TPV_test against TPV_train per n_train group, with y = x and the 50% band."""
    curves: list[Points] = []
    for key, condition in (
        ("n_train=10", lambda r: r["n_train"] == 10),
        (f"n_train={large_n}", lambda r: r["n_train"] == large_n),
    ):
        chosen = [r for r in measured if condition(r)]
        curves.append(
            (key, [r["tpv_train"] for r in chosen], [r["tpv_test"] for r in chosen], "scatter")
        )
    values = [v for r in measured for v in (r["tpv_train"], r["tpv_test"])] or [1e-12, 1.0]
    line = [min(values) / 2, max(values) * 2]
    curves += [
        ("y = x", line, line),
        ("50% band (y = x/1.5)", line, [v / 1.5 for v in line]),
        ("50% band (y = x/0.5)", line, [v / 0.5 for v in line]),
    ]
    return xy_figure(
        "Empirical TPV train vs test (App. F.1.1)", "TPV_train", "TPV_test", curves,
        log_x=True, log_y=True,
    )


def _band(context: CheckContext, device: torch.device, grid: dict[str, object]) -> Finding:
    started = time.perf_counter()
    large_n = int(grid["large_n"])
    cells = _band_cells(context, device, grid, large_n)
    # Each setting is a chain of tiny kernels (launch-bound on a GPU, one thread on a CPU):
    # --jobs / --executor dask run them side by side; the results do not depend on it.
    sweep = run_sweep(cells, SettingRows, context.sweep, description="tpv F.1.1 settings")
    rows = [row for setting in sweep.values for row in setting.rows]
    measured = [row for row in rows if row.get("kept", 0) > 0 and row["tpv_test"] > 0]
    fractions = _band_fractions(rows, measured, large_n)
    large, small = fractions[f"n_train={large_n}"], fractions["n_train=10"]
    width_one = [r for r in measured if r["width"] == 1]
    constant = sum(bool(r["constant_output"]) for r in width_one)
    filtered = {
        f"n_train={n}": sum(1 for r in rows if r["n_train"] == n and r.get("kept", 0) == 0)
        for n in (10, large_n)
    }
    counts = {n: sum(1 for r in measured if r["n_train"] == n) for n in (10, large_n)}
    if min(counts.values()) < MIN_POINTS:
        verdict = Verdict.INCONCLUSIVE  # too few points per group to judge a 90% / 50% rule
    else:
        verdict = Verdict.HOLDS_APPROX if large >= 0.9 and small <= 0.5 else Verdict.REFUTED
    return Finding(
        verdict=verdict,
        summary=(
            f"points per n_train {counts}; fraction within the 50% band: "
            f"n_train={large_n}: {large:.2f}, n_train=10: "
            f"{small:.2f}, width 1 at n_train={large_n}: "
            f"{fractions[f'width=1,n_train={large_n}']:.2f} ({len(measured)} points, "
            f"{len(rows) - len(measured)} settings with every run filtered by rel_err: "
            f"{filtered}; without the filter: n_train={large_n}: "
            f"{fractions[f'n_train={large_n} (no rel_err filter)']:.2f}, n_train=10: "
            f"{fractions['n_train=10 (no rel_err filter)']:.2f}); "
            f"{constant}/{len(width_one)} width-1 points have a constant "
            "(dead-ReLU) clean network, where TPV_tr = TPV_te trivially; paper: inside "
            "for 1000, outside for 10"
        ),
        error_law="|TPV_tr/TPV_te - 1| <= 0.5 for >= 90% of points at large n_train, <= 50% "
        "at n_train = 10",
        backend="torch",
        device=str(device),
        dtype="float64",
        sizes={"points": len(measured), "settings": len(rows), "large_n": large_n},
        instances=len(rows),
        figure=_band_figure(measured, large_n),
        details={
            "fractions": fractions,
            "rows": rows,
            "filtered_settings": filtered,
            "width_one_constant_networks": constant,
            "grid": {k: str(v) for k, v in grid.items()},
            "band": "|TPV_tr/TPV_te - 1| <= 0.5",
            "seconds": time.perf_counter() - started,
            "reductions": None
            if grid == band_grid(True)
            else "quick: relu and multi-relu teachers, d=10, depth 2, n_train {10, 100}, R=4, "
            "100/40/100 steps, one σ, one SGD setting, 300 test points",
            "sweep": sweep.stats.model_dump(),
        },
    )
