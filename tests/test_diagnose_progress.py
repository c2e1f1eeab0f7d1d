"""Live, named progress of ``theorylab.diagnose`` (:mod:`theorylab.diagnose.progress`).

Every ``Timer(label)`` inside a stage reports a ``begin`` event naming the quantity it computes
and a ``step`` with the same name and its seconds, in order, before the stage's ``finish``; the
label is the symbol (or name) of exactly one quantity the stage reports. A one-argument
callable still gets one line per stage. :class:`TextProgress` on a pipe writes whole lines only
(no carriage return), at most one per quantity; on a terminal it redraws a live line naming the
quantity.
"""

from __future__ import annotations

import io

import pytest

torch = pytest.importorskip("torch")

from tests.test_diagnose import tiny_data, tiny_model  # noqa: E402
from theorylab.diagnose import diagnose  # noqa: E402
from theorylab.diagnose.model import Quantity  # noqa: E402
from theorylab.diagnose.problem import Timer  # noqa: E402
from theorylab.diagnose.progress import ProgressEvent, StageReporter, TextProgress  # noqa: E402
from theorylab.diagnose.summary import sections  # noqa: E402

ARGS = {"loss": "mse", "learning_rate": 0.1, "batch_size": 2}


class Stream(io.StringIO):
    """A text stream that says whether it is a terminal."""

    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.fixture(scope="module")
def recorded():
    """A full tiny diagnosis (every stage, so every Timer call site runs) and its events."""
    events: list[ProgressEvent] = []

    def record(message: str, event: ProgressEvent | None = None) -> None:
        assert event is not None and message == event.message
        events.append(event)

    generator = torch.Generator().manual_seed(2)
    held = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    following = torch.randn(4, 4, generator=generator, dtype=torch.float64)
    diagnosis = diagnose(tiny_model(), tiny_data(), progress=record,
                         held_out=(held, torch.zeros(5, dtype=torch.float64)),
                         next_batch=(following, torch.sin(following.sum(1))), **ARGS)
    return diagnosis, events


def test_named_begin_and_step_events_precede_each_stage_finish(recorded):
    diagnosis, events = recorded
    stages = sections(diagnosis)
    assert [e.stage for e in events if e.kind == "start"] == [part.paper for part in stages]
    for part in stages:
        mine = [e for e in events if e.stage == part.paper]
        kinds = [e.kind for e in mine]
        assert kinds[0] == "start" and kinds[-1] == "finish" and kinds.count("finish") == 1
        first_quantity = kinds.index("quantity") if "quantity" in kinds else len(kinds) - 1
        blocks = [e for e in mine if e.kind in ("begin", "step")]
        assert all(kind not in ("begin", "step") for kind in kinds[first_quantity:])  # live
        assert len(blocks) % 2 == 0
        assert blocks or not any(q.seconds > 0 for q in part.quantities)  # timed ones report
        def named(label: str, part=part) -> int:
            return sum(label in (q.symbol, q.name) for q in part.quantities)

        for index, (opened, closed) in enumerate(zip(blocks[::2], blocks[1::2], strict=True)):
            # no Timer is nested in another: each begin is closed by its own step, in order
            assert (opened.kind, closed.kind) == ("begin", "step")
            assert opened.quantity == closed.quantity != ""
            assert named(opened.quantity) == 1, (part.paper, opened.quantity)  # one quantity
            assert closed.steps == index + 1
            assert opened.message == (f"{'paper ' if part.paper.isdigit() else ''}{part.paper}: "
                                      f"computing {opened.quantity} …")
            assert 0.0 <= closed.seconds <= closed.elapsed  # the block lies inside its stage
    assert {e.stage for e in events if e.kind == "begin"} == {p.paper for p in stages}
    assert "diagnosis" not in {e.quantity for e in events}  # the total Timer: outside stages


def test_a_one_argument_callable_still_gets_one_line_per_stage():
    lines: list[str] = []
    skip = ["000", "001", "002"]
    diagnosis = diagnose(tiny_model(), tiny_data(), progress=lines.append, skip=skip, **ARGS)
    assert [line.split(":")[0] for line in lines] == [
        "curvature", *(f"paper {p.paper}" for p in diagnosis.papers if p.paper not in skip)]


def _stage_run(progress: TextProgress) -> None:
    """One paper stage of two timed blocks of α and one of β, through the real reporter."""
    reporter = StageReporter(progress, total=2)
    with reporter.stage("001", "paper 001: α and β") as done:
        for label in ("α", "α", "β"):
            with Timer(label):
                pass
        done([Quantity(name="alpha", symbol="α", value=1.0),
              Quantity(name="beta", symbol="β", value=2.0),
              Quantity(name="gamma", symbol="γ", value=3.0)])


def test_text_progress_on_a_pipe_writes_whole_lines_at_most_one_per_quantity():
    stream = Stream(terminal=False)
    _stage_run(TextProgress(stream))
    text = stream.getvalue()
    assert "\r" not in text and "\033" not in text and text.endswith("\n")
    lines = text.splitlines()
    assert lines[0].endswith("1/2 paper 001: α and β")
    assert [line for line in lines if line.startswith("  ")] == ["  … α", "  … β"]
    assert lines[-1].endswith("1/2 001 done in " + lines[-1].rsplit(" in ", 1)[1])
    assert len(lines) == 4


def test_text_progress_on_a_terminal_names_the_running_quantity_in_place():
    stream = Stream(terminal=True)
    _stage_run(TextProgress(stream))
    text = stream.getvalue()
    live = [chunk for chunk in text.split("\r\033[K") if chunk.startswith("  ") and
            not chunk.endswith("\n")]
    assert [chunk.split(": ", 1)[1].rsplit(" ", 2)[0] for chunk in live] == [
        "computing α …", "α done", "computing α …", "α done", "computing β …", "β done"]
    for symbol in ("α", "β", "γ"):  # the finished bar of every quantity, as before
        assert any(line.split("] ", 1)[-1].startswith(symbol + " ")
                   for line in text.splitlines())


def test_text_progress_on_a_pipe_during_a_diagnosis_has_no_carriage_return():
    stream = Stream(terminal=False)
    diagnose(tiny_model(), tiny_data(), progress=TextProgress(stream),
             skip=["000", "001", "002"], **ARGS)
    text = stream.getvalue()
    assert "\r" not in text
    announced = [line for line in text.splitlines() if line.startswith("  … ")]
    assert "  … λ_k(∇²L)" in announced
    assert len(announced) == len(set(announced))  # one line per quantity at most
