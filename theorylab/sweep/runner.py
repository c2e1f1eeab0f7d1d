"""Run a grid of cells: reuse the store, stream each finished cell to it, resubmit lost ones.

:func:`run_sweep` is the one entry point grid-shaped checks use. The values it returns are
validated from each cell's JSON record, whether the cell was computed now (on any executor)
or read back from the store, so a serial run, a ``--jobs 2`` run, a Dask run and a resumed
run give identical results for the same seeds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter

from theorylab.sweep.cells import Cell, CellRecord
from theorylab.sweep.executors import WorkerLostError, run_cells
from theorylab.sweep.options import SweepOptions
from theorylab.sweep.progress import CellProgress
from theorylab.sweep.store import CellStore

__all__ = ["CellTiming", "SweepResult", "SweepStats", "run_sweep"]

T = TypeVar("T")


class CellTiming(BaseModel):
    """One cell's timing and provenance in the report."""

    model_config = ConfigDict(frozen=True)
    label: str
    key: str
    seconds: float
    attempt: int
    reused: bool
    worker: str


class SweepStats(BaseModel):
    """How a sweep ran: executor, cell counts, resubmissions and per-cell timings."""

    model_config = ConfigDict(frozen=True)
    executor: str
    workers: int  # distinct worker processes that computed cells in this run
    cells: int
    reused: int
    computed: int
    resubmissions: int
    wall_seconds: float
    cell_seconds_median: float
    cell_seconds_max: float
    cell_seconds_total: float
    per_cell: list[CellTiming]


@dataclass(frozen=True)
class SweepResult(Generic[T]):
    """The typed value of every cell, in the order the cells were given, and the stats."""

    values: list[T]
    stats: SweepStats


def run_sweep(
    cells: Sequence[Cell],
    result_type: Any,
    options: SweepOptions | None = None,
    *,
    description: str = "cells",
) -> SweepResult[Any]:
    """Compute every cell not already in the store; return all values, typed.

    Parameters
    ----------
    cells
        The grid; cells with equal keys are computed once.
    result_type
        What each value is validated as (a pydantic model or any type pydantic accepts).
    options
        Executor, jobs, scheduler and store (default: serial, in memory).
    description
        Label of the progress bar.

    Raises
    ------
    WorkerLostError
        When workers keep dying after ``options.retries`` resubmissions.
    """
    options = options or SweepOptions()
    started = time.perf_counter()
    distinct = list({cell.key: cell for cell in cells}.values())
    store = CellStore(options.store) if options.store is not None else None
    stored = store.load() if store is not None else {}
    records: dict[str, CellRecord] = {c.key: stored[c.key] for c in distinct if c.key in stored}
    reused = set(records)
    missing = [cell for cell in distinct if cell.key not in records]
    attempt = 1
    progress = CellProgress(description, len(distinct), len(records), options.progress)
    with progress, store if store is not None else nullcontext():
        while missing:
            try:
                for record in run_cells(missing, options, attempt):
                    if record.key in records:
                        continue  # a duplicate delivery is never counted twice
                    if store is not None:
                        store.append(record)
                    records[record.key] = record
                    progress.advance()
            except WorkerLostError:
                if attempt > options.retries:
                    raise
                attempt += 1
                missing = [cell for cell in missing if cell.key not in records]
                continue
            missing = [cell for cell in missing if cell.key not in records]
            if missing:
                raise RuntimeError(f"executor returned without {len(missing)} cell(s)")
    adapter = TypeAdapter(result_type)
    values = [adapter.validate_python(records[cell.key].value) for cell in cells]
    stats = _stats(distinct, records, reused, options, started, attempt)
    return SweepResult(values=values, stats=stats)


def _stats(
    distinct: list[Cell],
    records: dict[str, CellRecord],
    reused: set[str],
    options: SweepOptions,
    started: float,
    attempt: int,
) -> SweepStats:
    timings = [
        CellTiming(
            label=cell.label or cell.key,
            key=cell.key,
            seconds=records[cell.key].seconds,
            attempt=records[cell.key].attempt,
            reused=cell.key in reused,
            worker=records[cell.key].worker,
        )
        for cell in distinct
    ]
    seconds = [timing.seconds for timing in timings] or [0.0]
    return SweepStats(
        executor=options.resolved_executor,
        workers=len({t.worker for t in timings if not t.reused}),
        cells=len(distinct),
        reused=len(reused),
        computed=len(distinct) - len(reused),
        resubmissions=attempt - 1,
        wall_seconds=time.perf_counter() - started,
        cell_seconds_median=statistics.median(seconds),
        cell_seconds_max=max(seconds),
        cell_seconds_total=sum(seconds),
        per_cell=timings,
    )
