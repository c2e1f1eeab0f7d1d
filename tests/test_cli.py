"""CLI: commands, exit codes, one-line errors, JSON output, resume (toy registry)."""

import json
from pathlib import Path

import pytest

from theorylab import cli, cli_catalogue
from theorylab.console import DEFAULT_REPORT_DIR, report_files, written_line
from theorylab.registry import CheckContext
from theorylab.report import load_report, write_report_dir
from theorylab.spec import CheckKind, Finding, Verdict

from .toy_catalog import build, make_claim


@pytest.fixture
def toy(monkeypatch, tmp_path):
    """The toy registry, run from an empty folder so default outputs land in tmp_path."""
    registry = build()
    monkeypatch.setattr(cli_catalogue, "catalog", lambda *_: registry)
    monkeypatch.chdir(tmp_path)
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
        (["verify", "--all", "--resume", "--no-report"], "--resume needs a results file"),
        (["prove", "--all", "--resume"], "--resume needs a results file"),
        (["verify", "--all", "--no-report", "--json", "x.json"], "--no-report conflicts"),
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


def test_verify_writes_results_and_report_by_default(toy, capsys, tmp_path):
    code, out, _ = run(capsys, "verify", "--all", "--backend", "numpy")
    expected = report_files(DEFAULT_REPORT_DIR)
    assert code == 0 and all((tmp_path / path).is_file() for path in expected)
    assert out.splitlines()[-1] == written_line(expected)
    verdicts = {r.claim.id: r.verdict.value for r in load_report(expected[0]).results}
    assert verdicts["toy.squares_below_one"] == "REFUTED"


def test_report_files_names_what_write_report_dir_writes(toy, tmp_path):
    from theorylab.engine import RunOptions, verify_claims

    report = verify_claims(toy.all(), toy, RunOptions(backend="numpy"))
    written = write_report_dir(report, tmp_path / "r")
    assert list(written.values()) == report_files(tmp_path / "r")


def test_verify_no_report_and_json_only_write_what_they_say(toy, capsys, tmp_path):
    code, out, _ = run(capsys, "verify", "--all", "--backend", "numpy", "--no-report")
    assert code == 0 and list(tmp_path.iterdir()) == [] and "written" not in out
    code, out, _ = run(capsys, "verify", "--all", "--backend", "numpy", "--json", "only.json")
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["only.json"]
    assert out.splitlines()[-1] == written_line([Path("only.json")])


def test_verify_json_stdout_keeps_stdout_pure_json(toy, capsys):
    code, out, err = run(capsys, "verify", "--all", "--backend", "numpy", "--json", "--report", "r")
    assert code == 0 and json.loads(out)["command"] == "verify"
    assert err.splitlines()[-1] == written_line(report_files(Path("r")))


@pytest.fixture
def toy_with_steps(toy):
    """Toy registry plus symbolic checks: one claim with other checks, one with steps only."""
    steps_only = toy.add(make_claim("toy.steps_only"))

    def steps(context: CheckContext) -> Finding:
        import sympy

        x = sympy.Symbol("x", real=True)
        holds = sympy.simplify((x + 1) ** 2 - (x**2 + 2 * x + 1)) == 0
        return Finding(verdict=Verdict.PROVED if holds else Verdict.REFUTED, summary="steps")

    for claim in (toy.get("toy.squares_below_one"), steps_only):
        toy.check(claim, kind=CheckKind.SYMBOLIC, description="sympy")(steps)
    return toy


def test_prove_says_it_judged_the_steps_only(toy_with_steps, capsys):
    code, out, _ = run(capsys, "prove", "--all")
    lines = dict(line.split("\t", 1) for line in out.splitlines()[:-1])
    assert code == 0
    assert lines["toy.squares_below_one"].startswith("steps PROVED\tthe claim's verdict needs")
    assert "stored verify verdict" not in lines["toy.squares_below_one"]
    assert lines["toy.steps_only"].startswith("steps PROVED\tall its checks at level quick")
    assert "symbolic steps only" in out.splitlines()[-1]


def test_prove_reports_a_stored_verify_verdict(toy_with_steps, capsys):
    run(capsys, "verify", "--all", "--backend", "numpy")
    code, out, _ = run(capsys, "prove", "toy.squares_below_one", "--json", "p.json")
    line = out.splitlines()[0]
    stored = f"stored verify verdict: REFUTED (level quick, {DEFAULT_REPORT_DIR / 'results.json'})"
    assert code == 0 and line.startswith("toy.squares_below_one\tsteps PROVED") and stored in line
    assert stored in load_report("p.json").results[0].reason
