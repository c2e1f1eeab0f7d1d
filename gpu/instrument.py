r"""Operator-time accounting: how much of an algorithm's time is spent in operator products.

:class:`TimedOperator` wraps any :class:`CurvatureOperator` and counts the products it
forms and the wall-clock seconds they take (on CUDA it synchronises around each product, so
only wrap an operator when measuring). :func:`time_split` runs an algorithm on the wrapped
operator and returns the split between the operator's time and the algorithm's own time
(orthogonalisation, small eigenproblems, bookkeeping), which is what
``benchmarks/scaling.py`` prints.

Examples
--------
>>> from theorylab.gpu.operators import EffectiveCurvatureOperator
>>> X = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
>>> H = EffectiveCurvatureOperator.from_model(torch.nn.Linear(2, 1, bias=False).double(), X)
>>> timed = TimedOperator(H)
>>> _ = timed @ torch.ones(2, 3, dtype=torch.float64)
>>> timed.products
3
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .linear_operator import CurvatureOperator

__all__ = ["TimeSplit", "TimedOperator", "time_split"]


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class TimedOperator(CurvatureOperator):
    """``operator`` with a product counter and a timer (``products``, ``seconds``).

    ``clock`` is :func:`time.perf_counter` (wall time, the default) or e.g.
    :func:`time.process_time` (this process's CPU time, steadier on a shared machine).
    """

    def __init__(self, operator: CurvatureOperator,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        super().__init__(operator.shape, operator.dtype, operator.device,
                         symmetric=operator.symmetric)
        self.operator = operator
        self.clock = clock
        self.products = 0
        self.seconds = 0.0

    def _timed(self, product: Callable[[torch.Tensor], torch.Tensor],
               vector: torch.Tensor) -> torch.Tensor:
        _synchronize(self.device)
        started = self.clock()
        result = product(vector)
        _synchronize(self.device)
        self.seconds += self.clock() - started
        self.products += 1
        return result

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        return self._timed(self.operator._matvec, vector)

    def _rmatvec(self, vector: torch.Tensor) -> torch.Tensor:
        return self._timed(self.operator._rmatvec, vector)


@dataclass(frozen=True)
class TimeSplit:
    """Wall-clock seconds of one run: ``total``, in operator products, and the rest."""

    total: float
    operator: float
    products: int
    result: Any

    @property
    def own(self) -> float:
        """Seconds spent outside operator products."""
        return self.total - self.operator

    @property
    def own_fraction(self) -> float:
        """Share of the total spent outside operator products."""
        return self.own / self.total if self.total > 0 else 0.0


def time_split(algorithm: Callable[[CurvatureOperator], Any], operator: CurvatureOperator,
               clock: Callable[[], float] = time.perf_counter) -> TimeSplit:
    """Run ``algorithm(TimedOperator(operator, clock))`` and split its time (module doc)."""
    timed = TimedOperator(operator, clock)
    _synchronize(operator.device)
    started = clock()
    result = algorithm(timed)
    _synchronize(operator.device)
    return TimeSplit(clock() - started, timed.seconds, timed.products, result)
