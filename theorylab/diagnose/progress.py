"""Progress of a diagnosis: start / begin / step / finish events per stage and per quantity.

:func:`theorylab.diagnose` takes ``progress``, a callable. A one-argument callable
(``progress(message)``, e.g. ``print``) gets one line before each stage, as it always has. A
callable with an ``event`` parameter (``progress(message, event=None)``) also gets every
:class:`ProgressEvent`, live, in this order per stage:

* ``start``: the stage begins (``message`` says what it computes);
* ``begin``: a timed block (:class:`theorylab.diagnose.problem.Timer`) starts computing a
  quantity, named by ``quantity`` (its symbol or name: ``"paper 001: computing α …"``);
* ``step``: that block ended, ``quantity`` its name and ``seconds`` its wall time;
* ``quantity``: once the stage is done, one per quantity it reports, with the quantity's wall
  time (:attr:`theorylab.diagnose.Quantity.seconds`, which may add up several blocks);
* ``finish``: the stage's wall time.

Every event carries ``elapsed``, the seconds since its stage started. :class:`TextProgress`
draws the events as text on a stream (the CLI's stderr): on a terminal a live line, redrawn in
place, names the quantity being computed; on a pipe only whole lines are written, at most one
per quantity.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, TextIO

__all__ = ["ProgressEvent", "StageReporter", "TextProgress", "begin", "step"]

Kind = Literal["start", "begin", "step", "quantity", "finish"]


@dataclass(frozen=True)
class ProgressEvent:
    """One progress event of stage ``index`` of ``total`` (``stage`` is ``curvature`` or a paper).

    ``quantity`` names the quantity on ``begin``, ``step`` and ``quantity`` events (empty for
    an unnamed timed block); ``seconds`` is the wall time of the block on ``step``, of the
    quantity on ``quantity`` and of the stage on ``finish``; ``steps`` counts the timed blocks
    done so far and ``elapsed`` the seconds since the stage started.
    """

    kind: Kind
    stage: str
    index: int
    total: int
    message: str
    quantity: str = ""
    seconds: float = 0.0
    steps: int = 0
    elapsed: float = 0.0


_ACTIVE: ContextVar[StageReporter | None] = ContextVar("theorylab_diagnose_stage",
                                                       default=None)


def begin(label: str = "") -> None:
    """Report that a timed block computing ``label`` started (no-op outside a stage)."""
    reporter = _ACTIVE.get()
    if reporter is not None:
        reporter.begin(label)


def step(label: str = "", seconds: float = 0.0) -> None:
    """Report that the timed block ``label`` ended after ``seconds`` (no-op outside a stage)."""
    reporter = _ACTIVE.get()
    if reporter is not None:
        reporter.step(label, seconds)


def _wants_events(progress: Callable[..., None]) -> bool:
    try:
        return "event" in inspect.signature(progress).parameters
    except (TypeError, ValueError):  # builtins without a signature: one-argument callables
        return False


def _title(stage: str) -> str:
    """``"paper 001"`` for a paper's stage, the name itself otherwise (``"curvature"``)."""
    return f"paper {stage}" if stage.isdigit() else stage


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
                             message=message, steps=self._steps,
                             elapsed=time.perf_counter() - self._start,
                             **extra)  # type: ignore[arg-type]

    def begin(self, label: str = "") -> None:
        """A timed block of the running stage started computing the quantity ``label``."""
        what = label or f"block {self._steps + 1}"
        self._emit(self._event("begin", f"{_title(self._stage)}: computing {what} …",
                               quantity=label))

    def step(self, label: str = "", seconds: float = 0.0) -> None:
        """A timed block of the running stage ended: ``label`` took ``seconds``."""
        self._steps += 1
        what = label or f"step {self._steps}"
        self._emit(self._event("step", f"{_title(self._stage)}: {what} done in {seconds:.2f} s",
                               quantity=label, seconds=seconds))

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
    """Text progress on ``stream``: a bar per stage, the running quantity, a bar per quantity.

    On a terminal a live line, redrawn in place (carriage return), names the quantity being
    computed and the stage's seconds so far; each quantity gets a finished bar when its stage
    ends. On a pipe only whole lines are written, at most one per quantity: the stage's start,
    ``… <quantity>`` when a quantity is first computed, and the stage's finish.
    """

    WIDTH = 24

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = bool(getattr(stream, "isatty", lambda: False)())
        self._announced: set[str] = set()

    def _bar(self, fraction: float) -> str:
        filled = round(self.WIDTH * min(max(fraction, 0.0), 1.0))
        return "[" + "#" * filled + "." * (self.WIDTH - filled) + "]"

    def _live_line(self, event: ProgressEvent) -> str:
        spinner = "-\\|/"[event.steps % 4]
        if event.kind == "begin":
            what = f"computing {event.quantity or f'block {event.steps + 1}'} …"
        else:
            what = f"{event.quantity} done" if event.quantity else f"{event.steps} blocks done"
        return f"\r\033[K  {spinner} {_title(event.stage)}: {what} {event.elapsed:.1f} s"

    def _line(self, event: ProgressEvent, message: str) -> str:
        """The text of one event ("" when it writes nothing)."""
        clear = "\r\033[K" if self.live else ""
        if event.kind == "start":
            self._announced.clear()
            head = self._bar((event.index - 1) / event.total)
            return f"{head} {event.index}/{event.total} {message}\n"
        if event.kind in ("begin", "step"):
            if self.live:
                return self._live_line(event)
            if event.kind == "begin" and event.quantity not in self._announced:
                self._announced.add(event.quantity)
                return f"  … {event.quantity}\n" if event.quantity else ""
            return ""
        if event.kind == "quantity":
            if not self.live:  # the pipe named each quantity when it began
                return ""
            return f"{clear}  {self._bar(1.0)} {event.quantity:<28} {event.seconds:8.2f} s\n"
        return (f"{clear}{self._bar(event.index / event.total)} {event.index}/{event.total} "
                f"{event.stage} done in {event.seconds:.2f} s\n")

    def __call__(self, message: str, event: ProgressEvent | None = None) -> None:
        """Draw one event (a bare message is written as a line)."""
        text = message + "\n" if event is None else self._line(event, message)
        if text:
            self.stream.write(text)
            self.stream.flush()
