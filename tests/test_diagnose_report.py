"""``theorylab diagnose``'s report (JSON, Markdown, HTML, figures), input hooks and progress.

The report: ``diagnosis.html`` is self-contained (no script, a CSP, every figure embedded under
its part), ``diagnosis.md`` links every PNG, both show every quantity's seconds, and an error
while rendering writes nothing. The hooks: a diagnosis of dict batches (HuggingFace style,
with an integer ``input_ids`` key) through ``forward``/``target`` equals the diagnosis of the
same network and data as one tensor, quantity by quantity, to round-off (tolerance
``p * eps * max(1, |value|)`` for float64). The progress callback: a one-argument callable
gets the stage lines it always got; one with ``event`` gets start/quantity/finish per stage.
"""

from __future__ import annotations

import math
import re

import pytest

torch = pytest.importorskip("torch")

from tests.test_diagnose import tiny_data, tiny_model  # noqa: E402
from theorylab.diagnose import diagnose  # noqa: E402
from theorylab.diagnose.problem import prepare_problem  # noqa: E402
from theorylab.diagnose.progress import ProgressEvent  # noqa: E402
from theorylab.diagnose.render import render_markdown, write_diagnosis  # noqa: E402
from theorylab.diagnose.summary import sections  # noqa: E402
from theorylab.errors import ParameterError, ShapeError  # noqa: E402

EPS = torch.finfo(torch.float64).eps
ARGS = {"loss": "mse", "learning_rate": 0.1, "batch_size": 2}

# ------------------------------------------------------------ a network that takes token ids


class TokenNet(torch.nn.Module):
    """``(input_ids (n, 3) int, features (n, 2) float) -> (n, 1)``: embedding, tanh, linear."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.embedding = torch.nn.Embedding(5, 2, dtype=torch.float64)
        self.head = torch.nn.Linear(8, 1, dtype=torch.float64)

    def forward(self, input_ids: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        hidden = self.embedding(input_ids).reshape(input_ids.shape[0], -1)
        return self.head(torch.tanh(torch.cat([hidden, features], dim=1)))


class Joined(torch.nn.Module):
    """The same :class:`TokenNet` on one tensor ``[ids as floats | features]`` (tuple batches)."""

    def __init__(self, net: TokenNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x[:, :3].long(), x[:, 3:])


def token_data() -> dict[str, torch.Tensor]:
    """10 samples: ids in [0, 5), features, labels."""
    generator = torch.Generator().manual_seed(2)
    ids = torch.randint(0, 5, (10, 3), generator=generator)
    features = torch.randn(10, 2, generator=generator, dtype=torch.float64)
    return {"input_ids": ids, "features": features,
            "labels": torch.sin(ids.sum(1).double() + features.sum(1))}


def token_batches() -> list[dict[str, torch.Tensor]]:
    """:func:`token_data` as two dict batches (a DataLoader's shape)."""
    data = token_data()
    return [{key: value[:4] for key, value in data.items()},
            {key: value[4:] for key, value in data.items()}]


def token_forward(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The ``--forward`` hook of the CLI tests."""
    return model(batch["input_ids"], batch["features"])


def token_target(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The ``--target`` hook of the CLI tests."""
    return batch["labels"]


def failing_forward(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """A hook with a typo: KeyError."""
    return model(batch["input_idz"], batch["features"])


def dict_forward(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict:
    """A hook returning a dict (a ModelOutput), not the outputs tensor."""
    return {"logits": token_forward(model, batch)}


def short_target(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """A target hook that drops a sample."""
    return batch["labels"][1:]


def _leaves(diagnosis) -> dict[str, float]:
    """Every number of a diagnosis but timings, keyed by its path."""
    found: dict[str, float] = {}

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key != "seconds":
                    walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
        elif isinstance(value, float):
            found[path] = value

    walk(diagnosis.model_dump(exclude={"setting"}), "")
    return found


@pytest.mark.parametrize("hooks", ["forward_and_target", "forward_only", "defaults"])
def test_dict_batches_equal_the_tuple_batches(hooks):
    """Dict batches through the hooks == one-tensor batches, every number, to round-off."""
    data = token_data()
    packed = torch.cat([data["input_ids"].double(), data["features"]], dim=1)
    reference = diagnose(Joined(TokenNet()), (packed, data["labels"]), **ARGS)
    net = TokenNet()
    if hooks == "defaults":  # model(**inputs), "labels" as the targets
        got = diagnose(net, token_batches(), **ARGS)
    else:
        target = token_target if hooks == "forward_and_target" else None
        got = diagnose(net, token_batches(), forward=token_forward, target=target, **ARGS)
    expected, actual = _leaves(reference), _leaves(got)
    assert expected.keys() == actual.keys()
    p = reference.setting["parameters"]
    for path, value in expected.items():
        other = actual[path]
        if math.isnan(value):
            assert math.isnan(other), path
        else:
            assert abs(other - value) <= p * EPS * max(1.0, abs(value)), (path, value, other)


def test_dict_rows_are_sliced_per_key_and_cast_back():
    problem = prepare_problem(TokenNet(), token_batches(), forward=token_forward, **ARGS)
    unpacked = problem.hooks.layout.unpack(problem.inputs[3:7])
    data = token_data()
    assert unpacked["input_ids"].dtype == torch.int64
    assert torch.equal(unpacked["input_ids"], data["input_ids"][3:7])
    assert torch.equal(unpacked["features"], data["features"][3:7])
    assert torch.equal(problem.targets, data["labels"])
    assert problem.functional.names == ("model.embedding.weight", "model.head.weight",
                                        "model.head.bias")
    head = prepare_problem(TokenNet(), token_batches(), forward=token_forward,
                           parameters="head", **ARGS)  # selections keep the user's names
    assert head.num_parameters == 9


@pytest.mark.parametrize(("data", "hooks", "error", "fragment"), [
    ({"input_ids": torch.zeros(4, 3, dtype=torch.long), "labels": torch.zeros(5)}, {},
     ShapeError, "leading sample axis"),
    ({"input_ids": torch.zeros(4, 3, dtype=torch.long)}, {}, ParameterError, "'labels'"),
    ([{"input_ids": torch.zeros(2, 3, dtype=torch.long), "labels": torch.zeros(2)},
      {"input_ids": torch.zeros(2, 4, dtype=torch.long), "labels": torch.zeros(2)}], {},
     ShapeError, "pad every batch"),
    ("batches", {"forward": failing_forward}, ParameterError, "forward hook raised KeyError"),
    ("batches", {"forward": dict_forward}, ShapeError, "must return the outputs as a tensor"),
    ("batches", {"forward": token_forward, "target": short_target}, ShapeError, "target hook"),
    ("batches", {"forward": token_forward, "target": "labels"}, ParameterError, "callable"),
])
def test_bad_dict_batches_and_hooks_are_typed_errors(data, hooks, error, fragment):
    data = token_batches() if isinstance(data, str) else data
    with pytest.raises(error, match=re.escape(fragment)):
        prepare_problem(TokenNet(), data, **ARGS, **hooks)


def test_integers_not_exact_in_the_dtype_are_refused():
    data = token_data()
    data["input_ids"] = data["input_ids"] + 2**25  # above float32's 2^24
    with pytest.raises(ParameterError, match="float64"):
        prepare_problem(TokenNet().float(), data, forward=token_forward, dtype=torch.float32,
                        **ARGS)


# ------------------------------------------------------------ progress


def test_progress_events_and_the_one_argument_callable():
    lines: list[str] = []
    events: list[ProgressEvent] = []

    def record(message: str, event: ProgressEvent | None = None) -> None:
        events.append(event)

    first = diagnose(tiny_model(), tiny_data(), progress=lines.append, **ARGS)
    second = diagnose(tiny_model(), tiny_data(), progress=record, skip=["001"], **ARGS)
    assert [line.split(":")[0] for line in lines] == [  # one line per stage, as before
        "curvature", *(f"paper {part.paper}" for part in first.papers)]
    starts = [e for e in events if e.kind == "start"]
    finishes = [e for e in events if e.kind == "finish"]
    stages = [part for part in sections(second) if part.paper != "001"]  # every stage run
    assert [e.stage for e in starts] == [e.stage for e in finishes] == [
        part.paper for part in stages]
    assert [e.index for e in starts] == list(range(1, len(stages) + 1))
    assert all(e.total == len(stages) for e in events)
    for part in stages:  # one quantity event per quantity, with its own seconds
        got = [(e.quantity, e.seconds) for e in events
               if e.kind == "quantity" and e.stage == part.paper]
        assert got == [(q.symbol or q.name, q.seconds) for q in part.quantities]
    assert any(e.kind == "step" for e in events)


# ------------------------------------------------------------ the report files


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    from theorylab.cli import main

    folder = tmp_path_factory.mktemp("diagnosis") / "out"
    code = main(["diagnose", "--model", "tests.test_diagnose_report:TokenNet", "--data",
                 "tests.test_diagnose_report:token_batches", "--forward",
                 "tests.test_diagnose_report:token_forward", "--target",
                 "tests.test_diagnose_report:token_target", "--lr", "0.1", "--batch-size",
                 "2", "--report", str(folder)])
    assert code == 0
    from theorylab.diagnose.model import Diagnosis

    return folder, Diagnosis.model_validate_json((folder / "diagnosis.json").read_text())


def test_html_is_self_contained_with_every_figure_under_its_part(written):
    folder, diagnosis = written
    page = (folder / "diagnosis.html").read_text()
    assert "<script" not in page.lower() and "Content-Security-Policy" in page
    assert not re.search(r'(src|href)="(?!data:|#)', page)  # nothing fetched from outside
    parts = sections(diagnosis)
    assert {"curvature", "000", "001", "002"} <= {p.paper for p in parts if p.figures}
    for part in parts:
        start = page.index(f'<section id="part-{part.paper}">')
        body = page[start:page.index("</section>", start)]
        for index in range(len(part.figures)):
            name = f"figure-{part.paper}-{index + 1}.png"
            assert (folder / name).read_bytes().startswith(b"\x89PNG")
            assert f'<figure id="{name}"><img' in body and "data:image/png;base64," in body
        for quantity in part.quantities:
            assert f"<td>{quantity.seconds:.2f}</td>" in body


def test_markdown_links_every_figure_and_shows_every_seconds(written):
    folder, diagnosis = written
    markdown = (folder / "diagnosis.md").read_text()
    assert markdown == render_markdown(diagnosis, {})  # JSON round trip renders the same
    for part in sections(diagnosis):
        section = markdown.split(f": {part.title}\n", 1)[1].split("\n## ", 1)[0]
        for index, figure in enumerate(part.figures):
            assert f"![{figure.title}](figure-{part.paper}-{index + 1}.png)" in section
        for quantity in part.quantities:
            assert f"{quantity.seconds:.2f} s, {quantity.matvecs} mv" in section


def test_an_error_while_rendering_writes_nothing(written, tmp_path, monkeypatch):
    import theorylab.diagnose.render as render

    _, diagnosis = written
    old = tmp_path / "diagnosis.json"
    old.write_text("previous\n")

    def fail(*args: object) -> str:
        raise RuntimeError("disk gone")

    monkeypatch.setattr(render, "render_html", fail)
    with pytest.raises(RuntimeError):
        write_diagnosis(diagnosis, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagnosis.json"]
    assert old.read_text() == "previous\n"
    monkeypatch.undo()
    (tmp_path / "figure-000-1.png").mkdir()  # a target that is a folder: refused up front
    with pytest.raises(IsADirectoryError):
        write_diagnosis(diagnosis, tmp_path)
    assert old.read_text() == "previous\n" and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("terminal", [False, True])
def test_text_progress_draws_a_bar_per_stage_and_quantity(terminal):
    import io

    from theorylab.diagnose.progress import TextProgress

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return terminal

    stream = Stream()
    diagnose(tiny_model(), tiny_data(), progress=TextProgress(stream),
             skip=["000", "001", "002"], **ARGS)
    text = stream.getvalue()
    assert text.startswith("[" + "." * TextProgress.WIDTH + "] 1/")
    assert "λ_k(∇²L)" in text and "curvature done in" in text
    assert ("\r" in text) == terminal  # redrawn in place only on a terminal
