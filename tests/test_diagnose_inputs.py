"""``theorylab.diagnose`` inputs: typed errors on bad arguments, data forms, memory, the CLI.

Runs on the tiny model of ``tests/test_diagnose.py`` (``tiny_model``/``tiny_data``, also the
CLI's ``--model``/``--data``); the quantities themselves are tested there.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from tests.test_diagnose import tiny_data, tiny_model  # noqa: E402
from theorylab.diagnose.problem import prepare_problem  # noqa: E402
from theorylab.errors import MemoryBudgetError, NonFiniteError, ParameterError, ShapeError  # noqa: E402

# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("change", "error"), [
    ({"learning_rate": 0.0}, ParameterError),
    ({"learning_rate": -1.0}, ParameterError),
    ({"learning_rate": float("nan")}, NonFiniteError),
    ({"learning_rate": float("inf")}, NonFiniteError),
    ({"batch_size": 13}, ParameterError),
    ({"batch_size": 0}, ParameterError),
    ({"level": "huge"}, ParameterError),
])
def test_bad_arguments_are_typed_errors(change, error):
    arguments = {"loss": "mse", "learning_rate": 0.1, "batch_size": 4, **change}
    with pytest.raises(error):
        prepare_problem(tiny_model(), tiny_data(), **arguments)


def test_batches_and_a_loader_callable_give_the_same_problem():
    """Data as (inputs, targets), as a callable, or as DataLoader-style (x, y) batches."""
    inputs, targets = tiny_data()
    batches = [(inputs[:5], targets[:5]), (inputs[5:], targets[5:])]
    for data in (tiny_data, batches, [list(b) for b in batches], torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(inputs, targets), batch_size=5)):
        problem = prepare_problem(tiny_model(), data, loss="mse", learning_rate=0.1,
                                  batch_size=4)
        assert torch.equal(problem.inputs, inputs) and torch.equal(problem.targets, targets)


def test_non_finite_weights_and_shape_mismatches_are_typed_errors():
    model = tiny_model()
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    with pytest.raises(NonFiniteError):
        prepare_problem(model, tiny_data(), loss="mse", learning_rate=0.1, batch_size=4)
    inputs, _ = tiny_data()
    with pytest.raises(ShapeError):  # 3 targets per sample for 1 output
        prepare_problem(tiny_model(), (inputs, torch.zeros(12, 3, dtype=torch.float64)),
                        loss="mse", learning_rate=0.1, batch_size=4)
    with pytest.raises(ShapeError):  # inputs of the wrong width
        prepare_problem(tiny_model(), (torch.zeros(12, 5), torch.zeros(12)), loss="mse",
                        learning_rate=0.1, batch_size=4)


def test_memory_is_checked_before_allocating():
    """A budget below the Lanczos basis (p x steps float64) stops before any product."""
    with pytest.raises(MemoryBudgetError, match="MiB"):
        __import__("theorylab").diagnose(tiny_model(), tiny_data(), loss="mse",
                                         learning_rate=0.1, batch_size=2, memory_budget=1000)


def test_cli_bad_input_exits_2_without_writing(tmp_path, capsys):
    from theorylab.cli import main

    report = tmp_path / "out"
    base = ["diagnose", "--model", "tests.test_diagnose:tiny_model", "--data",
            "tests.test_diagnose:tiny_data", "--batch-size", "4", "--report", str(report)]
    assert main([*base, "--lr", "0"]) == 2
    assert main([*base[:2], "no_such_module_xyz:f", *base[3:], "--lr", "0.1"]) == 2
    pickled = tmp_path / "model.pt"
    torch.save(tiny_model(), pickled)  # a whole pickled module, not a state dict
    assert main([*base, "--lr", "0.1", "--weights", str(pickled)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not report.exists()


def test_cli_runs_a_user_model_with_safe_weights(tmp_path):
    from theorylab.cli import main

    weights = tmp_path / "state.pt"
    torch.save(tiny_model().state_dict(), weights)
    report = tmp_path / "out"
    code = main(["diagnose", "--model", "tests.test_diagnose:tiny_model", "--weights",
                 str(weights), "--data", "tests.test_diagnose:tiny_data", "--lr", "0.1",
                 "--batch-size", "2", "--report", str(report)])
    assert code == 0
    assert (report / "diagnosis.json").is_file() and (report / "diagnosis.md").is_file()


def test_cli_demo_prints_a_summary_and_writes_the_report(tmp_path, capsys):
    """``theorylab diagnose --demo``: summary table, JSON, Markdown and one figure per paper."""
    from theorylab.cli import main

    assert main(["diagnose", "--demo", "--report", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "near_stationary_point" in out and "K_full" in out
    written = {path.name for path in (tmp_path / "demo").iterdir()}
    assert {"diagnosis.json", "diagnosis.md", "figure-curvature-1.png", "figure-000-1.png",
            "figure-001-1.png", "figure-002-1.png"} <= written
