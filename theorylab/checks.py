"""What a check is: the context it is given, its function type, and its registered form.

The lowest layer of the catalogue: :mod:`theorylab.registry` stores these and
:mod:`theorylab.falsify` builds property checks from them, so neither imports the other's
internals (the registry imports falsify; falsify imports only this module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from theorylab.spec import CheckSpec, Finding, Level
from theorylab.sweep.options import SweepOptions

__all__ = ["CheckContext", "CheckFunction", "RegisteredCheck"]


@dataclass(frozen=True)
class CheckContext:
    """What a check is given: level, seed, backend, device and how to run grids.

    ``rng()`` returns a fresh generator seeded with ``seed`` on every call, so a check is
    deterministic given the seed and independent of the checks run before it. ``sweep``
    says how a grid-shaped check runs its cells (:func:`theorylab.sweep.run_sweep`).
    """

    level: Level = Level.QUICK
    seed: int = 0
    backend: str = "numpy"
    device: str = "cpu"
    sweep: SweepOptions = field(default_factory=SweepOptions)

    def rng(self) -> np.random.Generator:
        """A new ``numpy.random.Generator`` seeded with :attr:`seed`."""
        return np.random.default_rng(self.seed)

    @property
    def full(self) -> bool:
        """Whether this is the paper-scale level."""
        return self.level is Level.FULL


CheckFunction = Callable[[CheckContext], Finding]


@dataclass(frozen=True)
class RegisteredCheck:
    """A check function together with its spec."""

    spec: CheckSpec
    function: CheckFunction
