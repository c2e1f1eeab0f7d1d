"""Training seeds of each Table-1 setting as sweep cells, and their two-level bootstrap.

:func:`run_table` trains every (setting, training seed) network of a level and is cached for
the four torch checks of paper 001 (lazily imported: it needs torch).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict

from theorylab.claims.awd.empirical_alpha.settings import (
    RESAMPLES,
    ExperimentRow,
    SeededRow,
    Setting,
    settings_for,
    training_seeds,
)
from theorylab.claims.awd.empirical_alpha.torch import run_setting
from theorylab.solvers.hierarchical_bootstrap import hierarchical_bootstrap
from theorylab.sweep import Cell, SweepOptions, run_sweep
from theorylab.sweep.cells import json_round_trip

__all__ = ["SeedRun", "run_seeded_setting", "run_table", "seed_run_cell"]


class SeedRun(BaseModel):
    """One trained network (one Table-1 cell: setting × training seed) as a sweep returns it.

    ``row`` holds the :class:`ExperimentRow` fields as JSON data (``alpha_draws`` apart);
    :meth:`to_row` rebuilds the row exactly (floats round-trip through JSON unchanged).
    """

    model_config = ConfigDict(frozen=True)
    row: dict[str, Any]
    alpha_draws: list[list[float]]

    def to_row(self) -> ExperimentRow:
        """The :class:`ExperimentRow` (tuples and the setting restored, draws as an array)."""
        values = dict(self.row)
        values["setting"] = Setting(**values["setting"])
        for item in dataclasses.fields(ExperimentRow):
            if str(item.type).startswith("tuple") and values[item.name] is not None:
                values[item.name] = tuple(values[item.name])
        draws = np.asarray(self.alpha_draws, dtype=np.float64).reshape(-1, 2)
        return ExperimentRow(**values, alpha_draws=draws)


def seed_run_cell(
    *, setting: dict[str, Any], device: str, data_seed: int, suppression: bool, seed: int
) -> SeedRun:
    """:func:`run_setting` of one training seed, as a :func:`theorylab.sweep.run_sweep` cell."""
    row = run_setting(
        Setting(**setting), seed, device, data_seed=data_seed, suppression=suppression
    )
    fields = {
        item.name: getattr(row, item.name)
        for item in dataclasses.fields(row)
        if item.name != "alpha_draws"
    }
    fields["setting"] = dataclasses.asdict(row.setting)
    return SeedRun(row=json_round_trip(fields), alpha_draws=row.alpha_draws.tolist())


def _seed_cells(setting: Setting, seeds: tuple[int, ...], device: str) -> list[Cell]:
    """One cell per training seed; data from ``seeds[0]``; suppression on the first only."""
    return [
        Cell.of(
            seed_run_cell,
            {
                "setting": dataclasses.asdict(setting),
                "device": device,
                "data_seed": seeds[0],
                "suppression": k == 0,
            },
            seed=seed,
            label=f"{setting.data}/{setting.model}/{setting.loss} seed {seed}",
        )
        for k, seed in enumerate(seeds)
    ]


def _seeded_row(
    setting: Setting,
    seeds: tuple[int, ...],
    runs: tuple[ExperimentRow, ...],
    rng: np.random.Generator,
) -> SeededRow:
    exponents = hierarchical_bootstrap(
        [[run.alpha_measured, run.alpha_awd] for run in runs],
        np.stack([run.alpha_draws for run in runs]),
        rng,
        resamples=RESAMPLES,
    )
    return SeededRow(setting=setting, seeds=seeds, runs=runs, exponents=exponents)


def run_seeded_setting(
    setting: Setting,
    seeds: tuple[int, ...],
    device: str,
    rng: np.random.Generator,
    sweep: SweepOptions | None = None,
) -> SeededRow:
    """Train ``setting`` once per training seed (data from ``seeds[0]``) and bootstrap.

    Only the first run computes the Sec. 5.3 suppression (the other checks use ``runs[0]``).
    The seeds are cells of :func:`theorylab.sweep.run_sweep` (``sweep``: how they run).
    """
    cells = _seed_cells(setting, seeds, device)
    runs = run_sweep(cells, SeedRun, sweep, description="awd seeds").values
    return _seeded_row(setting, seeds, tuple(run.to_row() for run in runs), rng)


@functools.lru_cache(maxsize=4)
def run_table(
    full: bool, seed: int, device: str, sweep: SweepOptions | None = None
) -> tuple[SeededRow, ...]:
    """All settings of a level over their training seeds, cached for the four torch checks.

    Setting ``i`` is bootstrapped with ``numpy.random.default_rng([seed, 2, i])``. Every
    (setting, training seed) network is one cell of a single sweep (``sweep``: executor,
    workers, cell store).

    Small CPU problems run single-threaded (torch and BLAS): thread start-up dominates tiny
    kernels on a shared machine. Thread settings are restored afterwards.
    """
    from threadpoolctl import threadpool_limits

    settings = settings_for(full)
    seeds = [training_seeds(seed, full, setting) for setting in settings]
    cells = [
        cell
        for setting, chosen in zip(settings, seeds, strict=True)
        for cell in _seed_cells(setting, chosen, device)
    ]
    threads = torch.get_num_threads()
    try:
        if device == "cpu":
            torch.set_num_threads(1)
        with threadpool_limits(limits=1 if device == "cpu" else None):
            runs = iter(run_sweep(cells, SeedRun, sweep, description="awd Table 1").values)
            return tuple(
                _seeded_row(
                    setting,
                    chosen,
                    tuple(next(runs).to_row() for _ in chosen),
                    np.random.default_rng([seed, 2, index]),
                )
                for index, (setting, chosen) in enumerate(zip(settings, seeds, strict=True))
            )
    finally:
        torch.set_num_threads(threads)
