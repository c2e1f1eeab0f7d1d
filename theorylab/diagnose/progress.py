"""Progress of a diagnosis: start / step / finish events per stage and per quantity.

:func:`theorylab.diagnose` takes ``progress``, a callable. A one-argument callable
(``progress(message)``, e.g. ``print``) gets one line before each stage, as it always has. A
callable with an ``event`` parameter (``progress(message, event=None)``) also gets every
:class:`ProgressEvent`: each stage's ``start``; a ``step`` whenever a timed block inside it
ends (live feedback during long stages); one ``quantity`` event per quantity the stage
computed, with its wall time (:attr:`theorylab.diagnose.Quantity.seconds`); and the stage's
``finish``. :class:`TextProgress` draws them as text bars on a stream (the CLI's stderr).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, TextIO

__all__ = ["ProgressEvent", "StageReporter", "TextProgress", "step"]

Kind = Literal["start", "step", "quantity", "finish"]


@dataclass(frozen=True)
class ProgressEvent:
    """One progress event of stage ``index`` of ``total`` (``stage`` is ``curvature`` or a paper).

    ``quantity`` and ``seconds`` are the quantity's name and wall time on ``quantity`` events,
    and the stage's wall time on ``finish``; ``steps`` counts the timed blocks done so far.
    """

    kind: Kind
    stage: str
    index: int
    total: int
    message: str
    quantity: str = ""
    seconds: float = 0.0
    steps: int = 0


_ACTIVE: ContextVar[StageReporter | None] = ContextVar("theorylab_diagnose_stage",
                                                       default=None)


def step() -> None:
    """Report that a timed block of the running stage ended (no-op outside a stage)."""
    reporter = _ACTIVE.get()
    if reporter is not None:
        reporter.step()


def _wants_events(progress: Callable[..., None]) -> bool:
    try:
        return "event" in inspect.signature(progress).parameters
    except (TypeError, ValueError):  # builtins without a signature: one-argument callables
        return False


class StageReporter:
    """Turns stages into calls of a ``progress`` callable (see the module docstring)."""

    def __init__(self, progress: Callable[..., None] | None, total: int) -> None:
        self._progress = progress
        self._events = progress is not None and _wants_events(progress)
        self.total = total
        self._index = 0
        self._stage = ""
        self._steps = 0
        self._start = 0.0

    def _emit(self, event: ProgressEvent) -> None:
        if self._events:
            assert self._progress is not None
            self._progress(event.message, event=event)
        elif self._progress is not None and event.kind == "start":
            self._progress(event.message)

    def _event(self, kind: Kind, message: str, **extra: object) -> ProgressEvent:
        return ProgressEvent(kind=kind, stage=self._stage, index=self._index, total=self.total,
                             message=message, steps=self._steps, **extra)  # type: ignore[arg-type]

    def step(self) -> None:
        """A timed block of the running stage ended."""
        self._steps += 1
        self._emit(self._event("step", f"{self._stage}: step {self._steps}",
                               seconds=time.perf_counter() - self._start))

    @contextmanager
    def stage(self, name: str, message: str) -> Iterator[Callable[[list], None]]:
        """Run one stage; the block calls the yielded function with the stage's quantities."""
        self._index += 1
        self._stage, self._steps, self._start = name, 0, time.perf_counter()
        self._emit(self._event("start", message))
        done: list = []
        token = _ACTIVE.set(self)
        try:
            yield done.extend
        finally:
            _ACTIVE.reset(token)
        for quantity in done:
            self._emit(self._event("quantity", f"{name}: {quantity.symbol or quantity.name}",
                                   quantity=quantity.symbol or quantity.name,
                                   seconds=quantity.seconds))
        self._emit(self._event("finish", f"{name}: done",
                               seconds=time.perf_counter() - self._start))


class TextProgress:
    """Text progress bars on ``stream``: a live bar per stage, a finished bar per quantity.

    On a terminal the running stage's bar is redrawn in place (carriage return) at every step; on a
    pipe only whole lines are written (start, one per quantity, finish).
    """

    WIDTH = 24

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())

    def _bar(self, fraction: float) -> str:
        filled = round(self.WIDTH * min(max(fraction, 0.0), 1.0))
        return "[" + "#" * filled + "." * (self.WIDTH - filled) + "]"

    def __call__(self, message: str, event: ProgressEvent | None = None) -> None:
        """Draw one event (a bare message is written as a line)."""
        if event is None:
            self.stream.write(message + "\n")
        elif event.kind == "start":
            head = self._bar((event.index - 1) / event.total)
            self.stream.write(f"{head} {event.index}/{event.total} {message}\n")
        elif event.kind == "step":
            if self.live:
                spinner = "-\\|/"[event.steps % 4]
                self.stream.write(f"\r  {spinner} {event.stage}: {event.steps} blocks done, "
                                  f"{event.seconds:.1f} s")
        elif event.kind == "quantity":
            clear = "\r\033[K" if self.live else ""
            self.stream.write(f"{clear}  {self._bar(1.0)} {event.quantity:<28} "
                              f"{event.seconds:8.2f} s\n")
        else:
            clear = "\r\033[K" if self.live else ""
            self.stream.write(f"{clear}{self._bar(event.index / event.total)} "
                              f"{event.index}/{event.total} {event.stage} done in "
                              f"{event.seconds:.2f} s\n")
        self.stream.flush()
