r"""The execution layer (theorylab.sweep): speedup with workers, and Dask's per-cell overhead.

1. **Speedup.** A reduced Sec. 5.1 grid of paper 000 (App. F.1.1's band experiment, the
   quick grid with all three teachers: 3 teachers x 3 (width, n_train) settings = 9 cells of
   :func:`~theorylab.claims.tpv.trace_stability.torch_band_setting.band_setting_cell`) runs with
   1 and with 2 workers, on joblib (loky) and on a local Dask cluster (127.0.0.1, one
   single-threaded worker process each). Pools are started and warmed by one untimed run; the
   figure is the median wall time of ``--repeats`` runs, and the speedup is
   ``T(1 worker) / T(2 workers)``. Every run's values are checked identical to the serial run.
2. **Per-cell overhead.** ``--cells`` no-op cells (:func:`~theorylab.sweep.probe.probe_cell`
   with ``size=1``) on 2 warm workers: wall time per cell, median over repeats, Dask vs
   joblib, and their ratio.

Usage: ``.venv/bin/python benchmarks/sweep.py [--repeats 3] [--cells 200]``

The figures depend on how busy the machine is: the one-minute load average is printed first,
and on a shared machine (load near or above the core count) the speedup is a lower bound.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from theorylab.claims.tpv.trace_stability.torch_band import band_grid
from theorylab.claims.tpv.trace_stability.torch_band_setting import SettingRows, band_setting_cell
from theorylab.sweep import Cell, SweepOptions, close_dask_clients, run_sweep
from theorylab.sweep.probe import ProbeResult, probe_cell


def _band_cells() -> list[Cell]:
    grid = {**band_grid(False), "teachers": ("linear", "relu", "multi_relu")}
    settings = [(1, 100), (256, 10), (256, 100)]
    return [
        Cell.of(
            band_setting_cell,
            {
                "grid": grid,
                "teacher": teacher,
                "dim": 10,
                "depth": 2,
                "width": width,
                "train_size": train_size,
                "device": "cpu",
            },
            seed=13 * index + 12,
            label=f"{teacher} m={width} n={train_size}",
        )
        for index, teacher in enumerate(grid["teachers"])
        for width, train_size in settings
    ]


def _timed(cells: list[Cell], result_type: type, options: SweepOptions, repeats: int):
    """Median wall seconds of ``repeats`` runs, and the values of the last run."""
    run_sweep(cells, result_type, options)  # start the pool; every worker imports torch
    times, values = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        values = run_sweep(cells, result_type, options).values
        times.append(time.perf_counter() - started)
    return statistics.median(times), values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cells", type=int, default=200)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0]
    print(f"machine: {cores} cores, one-minute load average {load:.2f} before the run")
    if load > 0.5 * (cores or 1):
        print("note: the machine is busy; speedups below are lower bounds for an idle machine")

    cells = _band_cells()
    serial, reference = _timed(cells, SettingRows, SweepOptions(progress=False), args.repeats)
    print(f"\nreduced Sec. 5.1 grid: {len(cells)} cells; serial median {serial:.2f} s")
    print(f"{'executor':<8} {'1 worker (s)':>13} {'2 workers (s)':>14} {'speedup':>8}")
    for executor in ("joblib", "dask"):
        one, values_one = _timed(
            cells, SettingRows, SweepOptions(executor, jobs=1, progress=False), args.repeats
        )
        two, values_two = _timed(
            cells, SettingRows, SweepOptions(executor, jobs=2, progress=False), args.repeats
        )
        assert values_one == reference, "results must not depend on the executor"
        assert values_two == reference, "results must not depend on the worker count"
        print(f"{executor:<8} {one:>13.2f} {two:>14.2f} {one / two:>7.2f}x")

    noop = [Cell.of(probe_cell, {"x": x, "size": 1}, seed=0) for x in range(args.cells)]
    per_cell = {}
    for executor in ("joblib", "dask"):
        wall, _ = _timed(
            noop, ProbeResult, SweepOptions(executor, jobs=2, progress=False), args.repeats
        )
        per_cell[executor] = wall / len(noop)
    print(f"\nper-cell overhead, {len(noop)} no-op cells on 2 warm workers (median of repeats):")
    for executor, seconds in per_cell.items():
        print(f"  {executor:<7} {1e3 * seconds:8.2f} ms/cell")
    print(f"  dask / joblib: {per_cell['dask'] / per_cell['joblib']:.2f}x")
    close_dask_clients()


if __name__ == "__main__":
    main()
