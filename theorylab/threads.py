r"""CPU thread policy for torch computations (``--threads`` on the command line).

Torch's default is one intra-op thread per core. The checks run small operations (networks of
a few thousand parameters, batches of a few hundred samples), for which a parallel region
costs a thread hand-off per operation, and on a shared machine an OpenMP thread whose core is
taken by another process stalls the whole region: with one busy process beside it on a
2-core machine, ``verify`` took 1.7x its one-thread time at torch's default, and single small
checks 20-50x. The policy therefore gives torch only the cores nobody else is using:

.. math:: \text{threads} = \max\big(1, \min(c, \lfloor c - \ell + \tfrac12\rfloor)\big),

with :math:`c` the cores this process may run on and :math:`\ell` the one-minute load
average (the processes already running). An idle machine gets every core; a busy one gets
one thread. ``--threads N`` overrides it. The count in effect is recorded in every piece of
evidence (:class:`theorylab.spec.Environment`, field ``threads``).

Importing this module never imports torch.
"""

from __future__ import annotations

import math
import os
import sys

from theorylab.errors import ParameterError

__all__ = ["apply_threads", "available_cores", "default_threads", "torch_threads"]


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_threads(cores: int | None = None, load: float | None = None) -> int:
    """Threads for torch on this machine now (module formula).

    Parameters
    ----------
    cores, load
        Override the detected core count and one-minute load average (for tests).

    Examples
    --------
    >>> default_threads(cores=2, load=1.0)   # one busy process beside us on 2 cores
    1
    >>> default_threads(cores=16, load=0.2)  # an idle machine
    16
    """
    cores = available_cores() if cores is None else cores
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average on this platform
            load = 0.0
    return max(1, min(cores, math.floor(cores - load + 0.5)))


def apply_threads(threads: int | None) -> int:
    """Give torch ``threads`` intra-op threads; returns the count chosen.

    ``None`` takes a valid ``OMP_NUM_THREADS`` from the environment when the user set one,
    else :func:`default_threads`. When torch is already imported the count is set with
    ``torch.set_num_threads``; otherwise ``OMP_NUM_THREADS`` is set in this process's
    environment, which torch reads when it loads (so torch is not imported here).

    Raises
    ------
    ParameterError
        If ``threads`` is given and not a positive int.
    """
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or threads < 1):
        raise ParameterError(f"threads must be a positive int, got {threads!r}")
    chosen = threads if threads is not None else _environment_threads() or default_threads()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(chosen)
    else:
        os.environ["OMP_NUM_THREADS"] = str(chosen)
    return chosen


def _environment_threads() -> int | None:
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def torch_threads() -> int | None:
    """Torch's intra-op thread count now, or ``None`` when torch has not been imported."""
    torch = sys.modules.get("torch")
    return None if torch is None else int(torch.get_num_threads())
