"""A grid cell: one configuration × seed, a pure function of its inputs, and its record.

A :class:`Cell` names its function by import path (``"package.module:function"``), so it
travels to a loky or Dask worker — on this machine or another — as a few bytes of JSON,
and its :attr:`Cell.key` (a SHA-256 of the canonical JSON of function, parameters and seed)
identifies its result in the cell store across runs. The function is called as
``function(**params, seed=seed)`` and returns a pydantic model (the typed result) or plain
JSON data; :func:`execute` returns it as a :class:`CellRecord` whose ``value`` is the
result's JSON form, so a result computed now and one read back from the store are the same.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import socket
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from theorylab.errors import ParameterError
from theorylab.sweep.pinning import single_threaded

__all__ = [
    "Cell",
    "CellRecord",
    "canonical_json",
    "execute",
    "function_path",
    "json_round_trip",
]


def _plain(value: Any) -> Any:
    """NumPy/torch scalars and arrays (anything with ``tolist``) as plain Python."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def canonical_json(value: Any) -> str:
    """Sorted-key, whitespace-free JSON; the same data always gives the same text.

    >>> canonical_json({"b": (1, 2.5), "a": None})
    '{"a":null,"b":[1,2.5]}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_plain)


def json_round_trip(value: Any) -> Any:
    """``value`` as JSON gives it back: key order kept, tuples as lists, NumPy as plain.

    >>> json_round_trip({"b": (1, 2.5), "a": None})
    {'b': [1, 2.5], 'a': None}
    """
    return json.loads(json.dumps(value, default=_plain))


def function_path(function: Callable[..., Any]) -> str:
    """``"module:qualname"`` of a module-level function, checked to import back to it.

    Raises
    ------
    ParameterError
        For a lambda, a closure or anything else a worker could not import by name.
    """
    path = f"{function.__module__}:{function.__qualname__}"
    if "<" in path or _resolve(path) is not function:
        raise ParameterError(f"cell function {path} is not importable by name")
    return path


def _resolve(path: str) -> Callable[..., Any]:
    module_name, _, qualname = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


class Cell(BaseModel):
    """One grid cell: ``function(**params, seed=seed)``; ``label`` is for display only."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    function: str = Field(pattern=r"^[\w.]+:[\w.]+$")
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0
    label: str = ""

    @field_validator("params", mode="before")
    @classmethod
    def _json_params(cls, value: Any) -> Any:
        """Parameters as their JSON round trip (tuples become lists), as a worker sees them."""
        try:
            return json_round_trip(value)
        except TypeError as exc:
            raise ValueError(f"cell parameters must be JSON data: {exc}") from exc

    @classmethod
    def of(
        cls, function: Callable[..., Any], params: dict[str, Any], seed: int = 0, label: str = ""
    ) -> Cell:
        """The cell calling ``function`` (a module-level function) on ``params`` and ``seed``."""
        return cls(function=function_path(function), params=params, seed=seed, label=label)

    @cached_property
    def key(self) -> str:
        """Stable identity: SHA-256 of the canonical JSON of function, params and seed."""
        text = canonical_json({"function": self.function, "params": self.params, "seed": self.seed})
        return hashlib.sha256(text.encode()).hexdigest()[:32]


class CellRecord(BaseModel):
    """A finished cell as the store keeps it: inputs, JSON result, timing and where it ran.

    NaN and ±inf are written as the JSON constants ``NaN`` / ``Infinity`` (not ``null``), so a
    diverged run's value reads back as the float it was.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="constants")
    key: str
    cell: Cell
    value: Any
    seconds: float = Field(ge=0)
    attempt: int = Field(default=1, ge=1, description="1 + resubmissions after worker loss")
    worker: str = ""


def execute(cell: Cell, attempt: int = 1) -> CellRecord:
    """Run one cell single-threaded (:func:`~theorylab.sweep.pinning.single_threaded`).

    This is what every executor ships to a worker; exceptions from the cell propagate.
    """
    function = _resolve(cell.function)  # imports the cell's module (and torch) first
    with single_threaded():
        started = time.perf_counter()
        result = function(**cell.params, seed=cell.seed)
        seconds = time.perf_counter() - started
    value = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    return CellRecord(
        key=cell.key,
        cell=cell,
        value=json_round_trip(value),
        seconds=seconds,
        attempt=attempt,
        worker=f"{socket.gethostname()}:{os.getpid()}",
    )
