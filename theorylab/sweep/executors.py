"""The engines that run cells: in this process, joblib's loky workers, or Dask distributed.

Each executor yields :class:`~theorylab.sweep.cells.CellRecord` objects as cells finish
(in completion order) and raises :class:`WorkerLostError` when a worker process died; the
runner (:mod:`theorylab.sweep.runner`) then resubmits the cells it has not received.
Dask also reschedules a dead worker's task by itself (``distributed.scheduler.allowed-
failures``) and its nanny restarts the worker; loky aborts the batch, so resubmission is
what makes joblib survive a dead worker.

Local Dask clusters (``--executor dask`` without ``--scheduler``) are started once per
process on 127.0.0.1 with one single-threaded worker process per job, reused by every
sweep of the run, and closed at exit.
"""

from __future__ import annotations

import atexit
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from theorylab.errors import BackendUnavailableError
from theorylab.sweep.cells import Cell, CellRecord, execute
from theorylab.sweep.options import SweepOptions

__all__ = ["WorkerLostError", "close_dask_clients", "dask_client", "run_cells"]

_CLIENTS: dict[tuple[str | None, int], Any] = {}
SCHEDULER_TIMEOUT = "10s"


class WorkerLostError(RuntimeError):
    """A worker process died while running cells; unfinished cells must be resubmitted."""


def run_cells(cells: Sequence[Cell], options: SweepOptions, attempt: int) -> Iterator[CellRecord]:
    """Run ``cells`` with the executor ``options`` names, yielding records as they finish."""
    executor = options.resolved_executor
    if executor == "serial":
        return (execute(cell, attempt) for cell in cells)
    if executor == "joblib":
        return _joblib(cells, options.jobs, attempt)
    return _dask(cells, dask_client(options.scheduler, options.jobs), attempt)


def _joblib(cells: Sequence[Cell], jobs: int, attempt: int) -> Iterator[CellRecord]:
    from joblib import Parallel, delayed
    from joblib.externals.loky.process_executor import BrokenProcessPool

    parallel = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
    try:
        yield from parallel(delayed(execute)(cell, attempt) for cell in cells)
    except BrokenProcessPool as exc:  # TerminatedWorkerError: a loky worker died
        raise WorkerLostError(str(exc)) from exc


def _dask(cells: Sequence[Cell], client: Any, attempt: int) -> Iterator[CellRecord]:
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    batch = uuid.uuid4().hex[:8]  # a key reused across sweeps could meet a pending cancel
    keys = [f"theorylab-cell-{cell.key}-{attempt}-{batch}" for cell in cells]
    futures = client.map(execute, list(cells), attempt=attempt, key=keys, pure=False)
    try:
        for future in as_completed(futures):
            try:
                record = future.result()
            except KilledWorker as exc:  # the task outlived allowed-failures worker deaths
                raise WorkerLostError(str(exc)) from exc
            except Exception as exc:
                if future.status == "error":  # the cell itself raised on its worker
                    raise
                # The client lost the result on its side: seen once when a worker died while
                # its result was being gathered (distributed raised "Event ... bound to a
                # different event loop" from the rescheduled key). The cell is resubmitted.
                raise WorkerLostError(
                    f"Dask lost a cell's result ({type(exc).__name__}: {exc})"
                ) from exc
            yield record
    finally:
        client.cancel([future for future in futures if not future.done()])


def dask_client(scheduler: str | None, jobs: int) -> Any:
    """A connected ``distributed.Client``: to ``scheduler``, or to a local cluster.

    Raises
    ------
    BackendUnavailableError
        When Dask distributed is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise BackendUnavailableError(
            "--executor dask needs Dask distributed: pip install 'dask[distributed]'"
        ) from exc
    key = (scheduler, 0 if scheduler else jobs)
    client = _CLIENTS.get(key)
    if client is not None and client.status == "running":
        return client
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise BackendUnavailableError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}"
            ) from exc
    else:
        cluster = LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # no fixed port to collide on
        )
        client = Client(cluster)
    _CLIENTS[key] = client
    return client


def close_dask_clients() -> None:
    """Close every client (and the local clusters) this process started."""
    while _CLIENTS:
        _, client = _CLIENTS.popitem()
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


atexit.register(close_dask_clients)
