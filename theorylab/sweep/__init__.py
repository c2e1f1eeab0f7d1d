"""One execution layer for grid-shaped checks (issue 17).

A check builds its grid as :class:`Cell` objects (configuration × seed, a pure function
named by import path) and calls :func:`run_sweep`, which runs the missing cells serially,
on joblib's loky workers (``--jobs N``) or on a Dask cluster (``--executor dask``,
``--scheduler ADDRESS``), streams each finished cell to an append-only JSONL store beside
``--json FILE`` (``--resume`` reuses it cell by cell), resubmits the cells of a worker that
died, pins every worker to one BLAS/torch thread, and shows a bar with an ETA.
"""

from theorylab.sweep.cells import Cell, CellRecord, execute
from theorylab.sweep.executors import WorkerLostError, close_dask_clients
from theorylab.sweep.options import SweepOptions, store_path_for
from theorylab.sweep.runner import SweepResult, SweepStats, run_sweep
from theorylab.sweep.store import CellStore

__all__ = [
    "Cell",
    "CellRecord",
    "CellStore",
    "SweepOptions",
    "SweepResult",
    "SweepStats",
    "WorkerLostError",
    "close_dask_clients",
    "execute",
    "run_sweep",
    "store_path_for",
]
