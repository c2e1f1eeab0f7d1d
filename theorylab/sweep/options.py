"""How a sweep of cells is executed: serially, through joblib (loky) or on a Dask cluster.

:class:`SweepOptions` travels from the CLI (``--jobs N``, ``--executor``, ``--scheduler``)
through :class:`~theorylab.engine.RunOptions` into every check's
:class:`~theorylab.registry.CheckContext`. It imports nothing heavy, so the registry can
carry it without pulling joblib or Dask in; it imports no other sweep module (the
setup of a ``verify`` run, which may connect to Dask, is :mod:`theorylab.sweep.prepare`).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from theorylab.errors import ParameterError

__all__ = [
    "EXECUTORS",
    "SweepOptions",
    "add_sweep_arguments",
    "store_path_for",
]

EXECUTORS = ("auto", "serial", "joblib", "dask")


@dataclass(frozen=True)
class SweepOptions:
    """Where and how grid cells run.

    Parameters
    ----------
    executor
        ``serial`` (in this process), ``joblib`` (loky worker processes), ``dask`` (a
        distributed cluster) or ``auto``: ``dask`` when ``scheduler`` is set, ``joblib`` when
        ``jobs > 1``, else ``serial``.
    jobs
        Worker processes for ``joblib``, and for the local Dask cluster started when
        ``executor='dask'`` has no ``scheduler``.
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``).
    store
        Append-only JSONL file every finished cell is written to at once; ``None`` keeps
        results in memory only. Cells already in it are not recomputed.
    progress
        Show a live bar (only on a terminal).
    retries
        How many times the cells of a dead worker are resubmitted before giving up.

    Raises
    ------
    ParameterError
        For an unknown executor, ``jobs < 1``, negative ``retries``, or a scheduler address
        given to an executor other than Dask.
    """

    executor: str = "auto"
    jobs: int = 1
    scheduler: str | None = None
    store: Path | None = None
    progress: bool = True
    retries: int = 3

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise ParameterError(
                f"unknown executor {self.executor!r}; choose one of {', '.join(EXECUTORS)}"
            )
        if self.jobs < 1:
            raise ParameterError(f"--jobs must be >= 1, got {self.jobs}")
        if self.retries < 0:
            raise ParameterError(f"retries must be >= 0, got {self.retries}")
        if self.scheduler is not None and self.executor not in ("auto", "dask"):
            raise ParameterError(
                f"--scheduler is a Dask address; it cannot be used with --executor {self.executor}"
            )

    @property
    def resolved_executor(self) -> str:
        """The executor ``auto`` stands for (see the class docstring)."""
        if self.executor != "auto":
            return self.executor
        if self.scheduler is not None:
            return "dask"
        return "joblib" if self.jobs > 1 else "serial"


def store_path_for(json_path: Path) -> Path:
    """The cell store beside a results file: ``results.json`` → ``results.cells.jsonl``.

    >>> store_path_for(Path("out/results.json")).as_posix()
    'out/results.cells.jsonl'
    """
    return json_path.with_suffix(".cells.jsonl")


def add_sweep_arguments(command: argparse.ArgumentParser) -> None:
    """``--jobs N``, ``--executor`` and ``--scheduler ADDRESS`` on a CLI command."""
    command.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="worker processes for grid cells"
    )
    command.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="auto",
        help="how grid cells run (auto: dask with --scheduler, joblib with --jobs > 1)",
    )
    command.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler to run grid cells on"
    )
