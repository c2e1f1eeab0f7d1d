"""A cheap pure cell for exercising the execution layer (tests, benchmarks, smoke runs).

:func:`probe_cell` draws ``size`` normal numbers from a generator seeded by ``(seed, x)`` and
returns their sum and sum of squares — a deterministic float computation whose value pins
down the seed and the inputs exactly. Its fault-injection parameters simulate a slow cell
(``sleep``) and a worker that dies mid-cell on its first attempt (``crash_marker``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

__all__ = ["ProbeResult", "probe_cell"]

CRASH_EXIT_CODE = 77


class ProbeResult(BaseModel):
    """The typed result of :func:`probe_cell`."""

    model_config = ConfigDict(frozen=True)
    x: int
    seed: int
    total: float
    sum_of_squares: float


def probe_cell(
    x: int,
    *,
    seed: int,
    size: int = 1000,
    sleep: float = 0.0,
    crash_marker: str | None = None,
) -> ProbeResult:
    r"""Sum and sum of squares of ``size`` draws of :math:`\mathcal N(x, 1)`, seed ``(seed, x)``.

    ``crash_marker``: when the file does not exist yet, create it and end the process at
    once with exit code 77 (``os._exit``, no cleanup) — the cell's first attempt kills its
    worker, a resubmitted attempt finds the marker and completes.

    >>> probe_cell(2, seed=0, size=4) == probe_cell(2, seed=0, size=4)
    True
    """
    if crash_marker is not None and not Path(crash_marker).exists():
        Path(crash_marker).touch()
        os._exit(CRASH_EXIT_CODE)
    if sleep > 0:
        time.sleep(sleep)
    draws = np.random.default_rng([seed, x]).normal(loc=x, size=size)
    return ProbeResult(
        x=x, seed=seed, total=float(draws.sum()), sum_of_squares=float(draws @ draws)
    )
