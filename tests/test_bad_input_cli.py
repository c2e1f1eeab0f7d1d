"""Bad-input table, CLI rows: every row is a malformed call that must fail cleanly, and first.

CLI rows (``theorylab.cli.main``; two through a real subprocess): exit code 2, exactly one
readable line on stderr, no ``Traceback`` anywhere, no claim started (stderr would say
``running ...``), and nothing written: the ``--report``/``--json`` targets do not exist
afterwards and the working folder is left as it was. The API rows are in
``tests/test_bad_input_api.py``.

Rows are cheap on purpose (validation-only CLI calls); the one CLI call that gets past
validation uses the smallest claim, ``tpv.trace_inequality --kind symbolic``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test_bad_input_api import API_ROWS, DIAGNOSE_IDS, GPU_IDS
from theorylab.cli import main

SMALL_CLAIM = "tpv.trace_inequality"


# --------------------------------------------------------------------------- CLI


def _a_file(tmp: Path) -> Path:
    path = tmp / "a_file.txt"
    path.write_text("not a folder\n")
    return path


def _a_folder(tmp: Path) -> Path:
    path = tmp / "a_folder"
    path.mkdir()
    return path


def _pickled_weights(tmp: Path) -> Path:
    """A weights file that only loads by unpickling (a non-tensor object, not a state dict)."""
    torch = pytest.importorskip("torch")
    from fractions import Fraction

    path = tmp / "weights.pt"
    torch.save({"0.weight": Fraction(1, 3)}, path)
    return path


# ``theorylab diagnose`` on the tiny model of tests/test_diagnose.py; every row stops at
# validation, before any curvature is computed or the report folder is created.
DIAGNOSE = ["diagnose", "--model", "tests.test_diagnose:tiny_model", "--data",
            "tests.test_diagnose:tiny_data", "--batch-size", "4"]

# The dict-batch network of tests/test_diagnose_report.py, for the --forward/--target rows.
TOKENS_MODULE = "tests.test_diagnose_report"
TOKENS = ["diagnose", "--model", f"{TOKENS_MODULE}:TokenNet", "--data",
          f"{TOKENS_MODULE}:token_batches", "--lr", "0.1", "--batch-size", "2"]


def _html_folder(tmp: Path) -> Path:
    """A report folder whose ``diagnosis.html`` is a folder (cannot be written)."""
    (tmp / "out" / "diagnosis.html").mkdir(parents=True)
    return tmp / "out"


# Each row: id, argv builder (tmp folder -> argv, output targets that must not exist after),
# and a fragment the one stderr line must contain.
CLI_ROWS: list[tuple[str, Callable[[Path], tuple[list[str], list[Path]]], str]] = [
    ("report_under_proc", lambda t: (["verify", SMALL_CLAIM, "--report", "/proc/x"],
                                     [Path("/proc/x")]), "/proc/x"),
    ("json_under_proc", lambda t: (["verify", SMALL_CLAIM, "--json", "/proc/x/r.json"],
                                   [Path("/proc/x/r.json")]), "/proc/x"),
    ("report_under_a_file", lambda t: (["verify", SMALL_CLAIM, "--report",
                                        str(_a_file(t) / "out")], [t / "a_file.txt" / "out"]),
     "is a file"),
    ("json_under_a_file", lambda t: (["verify", SMALL_CLAIM, "--json",
                                      str(_a_file(t) / "r.json")], [t / "a_file.txt" / "r.json"]),
     "is a file"),
    ("report_is_a_file", lambda t: (["verify", SMALL_CLAIM, "--report", str(_a_file(t))], []),
     "not a folder"),
    ("json_is_a_folder", lambda t: (["verify", SMALL_CLAIM, "--json", str(_a_folder(t))], []),
     "is a folder"),
    ("prove_report_under_a_file", lambda t: (["prove", SMALL_CLAIM, "--report",
                                              str(_a_file(t) / "x")], [t / "a_file.txt" / "x"]),
     "is a file"),
    ("report_command_under_a_file",
     lambda t: (["report", str(_a_file(t)), "--report", str(t / "a_file.txt" / "x")],
                [t / "a_file.txt" / "x"]), "is a file"),
    ("seed_negative", lambda t: (["verify", SMALL_CLAIM, "--seed", "-1", "--json",
                                  str(t / "r.json")], [t / "r.json"]), "--seed"),
    ("seed_not_integer", lambda t: (["verify", SMALL_CLAIM, "--seed", "abc"], []), "--seed"),
    ("seed_too_large", lambda t: (["verify", SMALL_CLAIM, "--seed", str(2**32)], []), "--seed"),
    ("prove_seed_negative", lambda t: (["prove", SMALL_CLAIM, "--seed", "-5"], []), "--seed"),
    ("falsify_seed_negative", lambda t: (["falsify", SMALL_CLAIM, "--seed", "-1"], []),
     "--seed"),
    ("falsify_zero_examples", lambda t: (["falsify", SMALL_CLAIM, "--max-examples", "0"], []),
     "--max-examples"),
    ("unknown_id_did_you_mean", lambda t: (["verify", "tpv.trace_inequalty", "--json",
                                            str(t / "r.json")], [t / "r.json"]),
     "did you mean tpv.trace_inequality"),
    ("unknown_glob", lambda t: (["verify", "tvp.*", "--report", str(t / "out")], [t / "out"]),
     "did you mean tpv.*"),
    ("show_unknown_id", lambda t: (["show", "seos.k_theorm"], []), "seos.k_theorem"),
    ("falsify_unknown_id", lambda t: (["falsify", "awd.nope"], []), "theorylab list"),
    ("bad_level", lambda t: (["verify", SMALL_CLAIM, "--level", "extreme"], []), "--level"),
    ("bad_kind", lambda t: (["verify", SMALL_CLAIM, "--kind", "numeric"], []), "--kind"),
    ("no_claims_named", lambda t: (["verify"], []), "--all"),
    ("report_missing_results", lambda t: (["report", str(t / "missing.json")], []),
     "does not exist"),
    ("report_results_not_json", lambda t: (["report", str(_a_file(t))], []), "not valid JSON"),
    ("diagnose_model_not_importable",
     lambda t: (["diagnose", "--model", "no_such_module_xyz:net", *DIAGNOSE[3:], "--lr", "0.1",
                 "--report", str(t / "out")], [t / "out"]), "cannot import"),
    ("diagnose_model_not_module_colon_name",
     lambda t: (["diagnose", "--model", "tests.test_diagnose", *DIAGNOSE[3:], "--lr", "0.1",
                 "--report", str(t / "out")], [t / "out"]), "pkg.module:name"),
    ("diagnose_weights_need_pickle",
     lambda t: ([*DIAGNOSE, "--lr", "0.1", "--weights", str(_pickled_weights(t)),
                 "--report", str(t / "out")], [t / "out"]), "pickled objects are refused"),
    ("diagnose_weights_missing",
     lambda t: ([*DIAGNOSE, "--lr", "0.1", "--weights", str(t / "missing.pt"),
                 "--report", str(t / "out")], [t / "out"]), "no such file"),
    ("diagnose_lr_zero", lambda t: ([*DIAGNOSE, "--lr", "0", "--report", str(t / "out")],
                                    [t / "out"]), "--lr"),
    ("diagnose_lr_nan", lambda t: ([*DIAGNOSE, "--lr", "nan", "--report", str(t / "out")],
                                   [t / "out"]), "--lr"),
    ("diagnose_batch_gt_n", lambda t: ([*DIAGNOSE[:-1], "13", "--lr", "0.1", "--report",
                                        str(t / "out")], [t / "out"]), "batch_size"),
    ("diagnose_missing_lr", lambda t: ([*DIAGNOSE, "--report", str(t / "out")], [t / "out"]),
     "--lr"),
    ("diagnose_unknown_skip", lambda t: ([*DIAGNOSE, "--lr", "0.1", "--skip", "001,hessian",
                                          "--report", str(t / "out")], [t / "out"]), "--skip"),
    ("diagnose_report_under_proc",
     lambda t: ([*DIAGNOSE, "--lr", "0.1", "--report", "/proc/x"], [Path("/proc/x")]),
     "/proc/x"),
    ("diagnose_demo_report_under_a_file",
     lambda t: (["diagnose", "--demo", "--report", str(_a_file(t) / "out")],
                [t / "a_file.txt" / "out"]), "is a file"),
    ("diagnose_forward_not_importable",
     lambda t: ([*DIAGNOSE, "--lr", "0.1", "--forward", "no_such_module_xyz:fn", "--report",
                 str(t / "out")], [t / "out"]), "--forward"),
    ("diagnose_forward_hook_fails",
     lambda t: ([*TOKENS, "--forward", f"{TOKENS_MODULE}:failing_forward", "--report",
                 str(t / "out")], [t / "out"]), "forward hook raised KeyError"),
    ("diagnose_forward_returns_a_dict",
     lambda t: ([*TOKENS, "--forward", f"{TOKENS_MODULE}:dict_forward", "--report",
                 str(t / "out")], [t / "out"]), "as a tensor"),
    ("diagnose_target_drops_a_sample",
     lambda t: ([*TOKENS, "--forward", f"{TOKENS_MODULE}:token_forward", "--target",
                 f"{TOKENS_MODULE}:short_target", "--report", str(t / "out")], [t / "out"]),
     "target hook returned shape"),
    ("diagnose_report_html_is_a_folder",
     lambda t: ([*DIAGNOSE, "--lr", "0.1", "--report", str(_html_folder(t))],
                [t / "out" / "diagnosis.json"]), "it is a folder"),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working folder, so a default ``theorylab-report/`` would be seen."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize(("build", "fragment"), [r[1:] for r in CLI_ROWS],
                         ids=[r[0] for r in CLI_ROWS])
def test_cli_bad_input_exits_2_with_one_line(build, fragment, workdir, capsys):
    argv, targets = build(workdir)
    before = sorted(os.listdir(workdir))
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err  # one line, and no claim was started
    assert lines[0].startswith("theorylab: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in captured.err + captured.out
    for target in targets:
        assert not target.exists(), target
    assert sorted(os.listdir(workdir)) == before  # nothing half-written, no probe left


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", SMALL_CLAIM, "--kind", "symbolic", "--report", "/proc/x"],
        ["verify", SMALL_CLAIM, "--kind", "symbolic", "--seed", "-1"],
    ],
    ids=["subprocess_report_under_proc", "subprocess_seed_negative"],
)
def test_cli_subprocess_bad_input(argv, workdir):
    done = subprocess.run(
        [sys.executable, "-m", "theorylab.cli", *argv],
        capture_output=True, text=True, timeout=120, cwd=workdir, check=False,
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert not Path("/proc/x").exists()
    assert os.listdir(workdir) == []


def test_valid_output_paths_still_run(workdir, capsys):
    """Control: the checks refuse only bad paths (a new nested folder is fine)."""
    target = workdir / "new" / "nested" / "r.json"
    code = main(["verify", SMALL_CLAIM, "--kind", "symbolic", "--json", str(target)])
    assert code == 0, capsys.readouterr().err
    assert target.exists()
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".theorylab-probe")]


def test_row_count():
    assert len(API_ROWS) + len(GPU_IDS) + len(DIAGNOSE_IDS) + len(CLI_ROWS) + 2 >= 30
