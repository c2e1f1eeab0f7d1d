"""The sweep options of a ``verify`` run, checked before any claim runs.

:func:`prepare_sweep` turns the CLI arguments into a
:class:`~theorylab.sweep.options.SweepOptions`, fails at once where Dask is asked for but
missing or unreachable (connecting through :func:`theorylab.sweep.executors.dask_client`),
and clears the old cell store unless ``--resume``. It sits above both
:mod:`~theorylab.sweep.options` and :mod:`~theorylab.sweep.executors`, so that options (which
the registry imports) never imports the executors.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from theorylab.errors import BackendUnavailableError
from theorylab.sweep.options import SweepOptions, store_path_for

__all__ = ["prepare_sweep"]


def prepare_sweep(args: argparse.Namespace, json_path: Path | None) -> SweepOptions:
    """The sweep options of a ``verify`` run; without ``--resume`` the old cell store goes.

    The store is :func:`store_path_for` ``json_path``; with ``--resume`` its cells are
    reused, otherwise it is deleted so the run starts from no cells.

    Raises
    ------
    ParameterError
        For bad ``--jobs`` / ``--executor`` / ``--scheduler`` combinations.
    BackendUnavailableError
        For ``--executor dask`` without Dask distributed installed, or a ``--scheduler``
        that cannot be reached.
    """
    options = SweepOptions(
        executor=getattr(args, "executor", "auto"),
        jobs=getattr(args, "jobs", 1),
        scheduler=getattr(args, "scheduler", None),
        store=None if json_path is None else store_path_for(json_path),
    )
    if options.resolved_executor == "dask" and importlib.util.find_spec("distributed") is None:
        raise BackendUnavailableError(
            "--executor dask needs Dask distributed: pip install 'dask[distributed]'"
        )
    if options.scheduler is not None:  # fail now, not in every grid check
        from theorylab.sweep.executors import dask_client

        dask_client(options.scheduler, options.jobs)
    if options.store is not None and not getattr(args, "resume", False):
        options.store.unlink(missing_ok=True)
    return options
