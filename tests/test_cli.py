"""CLI: commands, exit codes, one-line errors, JSON output, resume (toy registry)."""

import json

import pytest

from theorylab import cli
from theorylab.report import load_report

from .toy_catalog import build


@pytest.fixture
def toy(monkeypatch):
    registry = build()
    monkeypatch.setattr(cli, "_catalog", lambda: registry)
    return registry


def run(capsys, *argv):
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_and_show(toy, capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and "toy.squares_nonnegative" in out
    code, out, _ = run(capsys, "show", "toy.squares_below_one")
    assert code == 0 and "statement:" in out
    code, out, _ = run(capsys, "show", "toy.squares_below_one", "--json")
    assert json.loads(out)["id"] == "toy.squares_below_one"


def test_verify_plain_lines_and_json_file(toy, capsys, tmp_path):
    results = tmp_path / "out.json"
    code, out, _ = run(capsys, "verify", "--all", "--backend", "numpy", "--json", str(results))
    assert code == 0
    assert "toy.squares_below_one\tREFUTED" in out
    assert "toy.squares_nonnegative\tHOLDS" in out
    report = load_report(results)
    assert {r.claim.id: r.verdict.value for r in report.results} == {
        "toy.squares_nonnegative": "HOLDS",
        "toy.squares_below_one": "REFUTED",
    }


def test_verify_json_to_stdout(toy, capsys):
    code, out, _ = run(capsys, "verify", "toy.squares_nonnegative", "--backend", "numpy", "--json")
    assert code == 0
    assert json.loads(out)["results"][0]["verdict"] == "HOLDS"


def test_fail_on_refuted_exits_1(toy, capsys):
    code, _, _ = run(capsys, "verify", "toy", "--backend", "numpy", "--fail-on", "refuted")
    assert code == 1
    code, _, _ = run(
        capsys, "verify", "toy.squares_nonnegative", "--backend", "numpy", "--fail-on", "refuted"
    )
    assert code == 0


def test_report_directory_and_report_command(toy, capsys, tmp_path):
    code, _, _ = run(
        capsys, "verify", "--all", "--backend", "numpy", "--report", str(tmp_path / "r")
    )
    assert code == 0
    assert (tmp_path / "r" / "report.html").exists()
    code, _out, _ = run(
        capsys, "report", str(tmp_path / "r" / "results.json"), "--report", str(tmp_path / "s")
    )
    assert code == 0 and (tmp_path / "s" / "report.md").exists()


def test_resume_keeps_earlier_results(toy, capsys, tmp_path):
    results = tmp_path / "out.json"
    run(capsys, "verify", "toy.squares_nonnegative", "--backend", "numpy", "--json", str(results))
    before = load_report(results).results[0]
    code, _, _ = run(
        capsys, "verify", "--all", "--backend", "numpy", "--json", str(results), "--resume"
    )
    after = load_report(results)
    by_id = {result.claim.id: result for result in after.results}
    assert code == 0 and by_id[before.claim.id] == before and len(after.results) == 2
    code, _, err = run(capsys, "verify", "--all", "--seed", "3", "--json", str(results), "--resume")
    assert code == 2 and "cannot resume" in err


def test_falsify_prints_shrunk_counterexample(toy, capsys):
    code, out, _ = run(capsys, "falsify", "toy.squares_below_one", "--max-examples", "200")
    assert code == 0 and "COUNTEREXAMPLE" in out and '"message": "x=' in out
    code, _, _ = run(capsys, "falsify", "toy.squares_below_one", "--fail-on", "refuted")
    assert code == 1


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["verify", "nope.claim"], "no claim matches"),
        (["show", "nope.claim"], "unknown claim id"),
        (["verify"], "--all"),
        (["falsify", "toy.squares_nonnegative"], "no counterexample search"),
        (["verify", "--all", "--level", "huge"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
        (["verify", "--all", "--resume"], "--resume needs --json FILE"),
    ],
)
def test_bad_usage_exits_2_with_one_line(toy, capsys, argv, words):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"format": "other/1"}', "format"),
    ],
)
def test_malformed_results_file_exits_2(tmp_path, capsys, content, words):
    path = tmp_path / "results.json"
    path.write_text(content)
    code, _, err = run(capsys, "report", str(path))
    assert code == 2 and words in err and err.count("\n") == 1


def test_schema_prints_claim_json_schema(capsys):
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and "id" in schema["properties"] and "statement" in schema["properties"]
