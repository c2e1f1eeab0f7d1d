"""Bad-input table: every row is a malformed call that must fail cleanly, and fail first.

* API rows (``theorylab.solvers``, ``theorylab.gpu``): a typed error, a subclass of
  :class:`theorylab.errors.TheorylabError` (the exact class named in the row).
* CLI rows (``theorylab.cli.main``; two through a real subprocess): exit code 2, exactly
  one readable line on stderr, no ``Traceback`` anywhere, no claim started (stderr would say
  ``running ...``), and nothing written: the ``--report``/``--json`` targets do not exist
  afterwards and the working folder is left as it was.

Rows are cheap on purpose (tiny matrices, validation-only CLI calls); the one CLI call that
gets past validation uses the smallest claim, ``tpv.trace_inequality --kind symbolic``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from theorylab import errors
from theorylab.cli import main
from theorylab.solvers import (
    fit_power_law,
    minibatch_selection_moment,
    noise_kernel_norm,
    noise_kernel_norm_hd,
    noise_kernel_norm_trace,
    second_moment_spectral_radius,
    sgd_stationary_covariance,
    sgd_tpv,
    soft_rank,
    tpv_trace,
)

SMALL_CLAIM = "tpv.trace_inequality"
NTK = np.array([[2.0, 1.0], [1.0, 2.0]])  # eigenvalues 1, 3: EOS at eta = 2/3
TEN_CLASS = 0.5 * np.eye(1000)  # 100 samples x 10 outputs, as in the new-user trial


def _nonsymmetric() -> np.ndarray:
    return np.array([[1.0, 0.5], [0.0, 1.0]])


def _rank_deficient() -> np.ndarray:
    jacobian = np.random.default_rng(0).standard_normal((6, 4))  # rank 4 < 6 rows
    return jacobian @ jacobian.T / 4


def _flat(size: int) -> np.ndarray:
    return 0.5 * np.eye(size)


API_ROWS: list[tuple[str, Callable[[], object], type[errors.TheorylabError]]] = [
    # noise kernel norm (paper 002, Eq. 9): shapes, values, units, rank
    ("nk_not_square", lambda: noise_kernel_norm(np.ones((2, 3)), 0.1, 1), errors.ShapeError),
    ("nk_1d", lambda: noise_kernel_norm(np.ones(3), 0.1, 1), errors.ShapeError),
    ("nk_nan", lambda: noise_kernel_norm([[np.nan, 0], [0, 1]], 0.1, 1), errors.NonFiniteError),
    ("nk_inf", lambda: noise_kernel_norm([[np.inf, 0], [0, 1]], 0.1, 1), errors.NonFiniteError),
    ("nk_complex", lambda: noise_kernel_norm(NTK * 1j, 0.1, 1), errors.DtypeError),
    ("nk_not_symmetric", lambda: noise_kernel_norm(_nonsymmetric(), 0.1, 1),
     errors.NotSymmetricError),
    ("nk_not_psd", lambda: noise_kernel_norm(np.diag([1.0, -1.0]), 0.1, 1), errors.NotPSDError),
    ("nk_batch_gt_n", lambda: noise_kernel_norm(NTK, 0.1, 3), errors.ParameterError),
    ("nk_batch_zero", lambda: noise_kernel_norm(NTK, 0.1, 0), errors.ParameterError),
    ("nk_batch_fraction", lambda: noise_kernel_norm(NTK, 0.1, 1.5), errors.ParameterError),
    ("nk_batch_in_rows_10_class",
     lambda: noise_kernel_norm(TEN_CLASS, 0.1, 320, outputs_per_sample=10),
     errors.ParameterError),
    ("nk_rows_not_multiple_of_k",
     lambda: noise_kernel_norm(np.eye(9), 0.1, 1, outputs_per_sample=2), errors.ShapeError),
    ("nk_outputs_per_sample_zero",
     lambda: noise_kernel_norm(NTK, 0.1, 1, outputs_per_sample=0), errors.ParameterError),
    ("nk_lr_zero", lambda: noise_kernel_norm(NTK, 0.0, 1), errors.ParameterError),
    ("nk_lr_negative", lambda: noise_kernel_norm(NTK, -0.1, 1), errors.ParameterError),
    ("nk_lr_nan", lambda: noise_kernel_norm(NTK, float("nan"), 1), errors.NonFiniteError),
    ("nk_lr_past_eos", lambda: noise_kernel_norm(NTK, 0.7, 1), errors.StabilityError),
    ("nk_rank_deficient", lambda: noise_kernel_norm(_rank_deficient(), 0.01, 2),
     errors.RankDeficientError),
    ("nk_bad_reading", lambda: noise_kernel_norm(NTK, 0.1, 1, reading="eq99"),
     errors.ParameterError),
    ("nk_trace_batch_in_rows",
     lambda: noise_kernel_norm_trace(TEN_CLASS, 0.1, 320, outputs_per_sample=10),
     errors.ParameterError),
    ("nk_hd_negative_eigenvalue", lambda: noise_kernel_norm_hd([-1.0, 1.0], 0.1, 1),
     errors.NotPSDError),
    ("selection_moment_strings", lambda: minibatch_selection_moment([["a", "b"]], 1),
     errors.DtypeError),
    # second-moment operator T (Eq. 30): size guards before any work
    ("t_arnoldi_too_large", lambda: second_moment_spectral_radius(_flat(300), 0.1, 5),
     errors.ProblemTooLargeError),
    ("t_dense_too_large",
     lambda: second_moment_spectral_radius(_flat(60), 0.1, 3, method="dense"),
     errors.ProblemTooLargeError),
    ("t_bad_method", lambda: second_moment_spectral_radius(NTK, 0.1, 1, method="lanczos"),
     errors.ParameterError),
    # power-law fit (paper 001, Sec. 4)
    ("fit_negative_c", lambda: fit_power_law([1.0, 2.0, 4.0], [3.0, -12.0, 48.0]),
     errors.ParameterError),
    ("fit_zero_h", lambda: fit_power_law([0.0, 2.0, 4.0], [3.0, 12.0, 48.0]),
     errors.ParameterError),
    ("fit_length_mismatch", lambda: fit_power_law([1.0, 2.0], [1.0]), errors.ShapeError),
    ("fit_confidence", lambda: fit_power_law([1.0, 2.0], [1.0, 4.0], confidence=1.5),
     errors.ParameterError),
    ("fit_top_one", lambda: fit_power_law([1.0, 2.0], [1.0, 4.0], top=1), errors.ParameterError),
    ("fit_nan", lambda: fit_power_law([1.0, np.nan], [1.0, 4.0]), errors.NonFiniteError),
    # other solvers with a learning rate or a matrix
    ("sgd_tpv_lr_zero", lambda: sgd_tpv(1.0, 1.0, 0.0, 2), errors.ParameterError),
    ("sgd_tpv_lr_negative", lambda: sgd_tpv(1.0, 1.0, -1.0, 2), errors.ParameterError),
    ("stationary_lr_past_limit",
     lambda: sgd_stationary_covariance(np.eye(2), np.eye(2), 3.0), errors.StabilityError),
    ("soft_rank_nan", lambda: soft_rank([[np.nan]], 1.0), errors.NonFiniteError),
    ("tpv_trace_shapes", lambda: tpv_trace(np.eye(2), np.eye(3)), errors.ShapeError),
]


@pytest.mark.parametrize(("call", "expected"), [r[1:] for r in API_ROWS],
                         ids=[r[0] for r in API_ROWS])
def test_solver_bad_input_raises_typed_error(call, expected):
    with pytest.raises(expected) as raised:
        call()
    assert isinstance(raised.value, errors.TheorylabError)
    message = str(raised.value)
    assert message and "\n" not in message


# --------------------------------------------------------------------------- theorylab.gpu


def _gpu_rows() -> list[tuple[str, Callable[[], object], type[errors.TheorylabError]]]:
    torch = pytest.importorskip("torch")
    from theorylab.gpu import ntk_gram, output_jacobian

    mlp = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 2, 3), torch.nn.Flatten())
    nan_inputs = torch.ones(4, 3)
    nan_inputs[1, 2] = float("nan")
    return [
        ("jacobian_wrong_width", lambda: output_jacobian(mlp, torch.ones(5, 4)),
         errors.ShapeError),
        ("jacobian_wrong_channels", lambda: output_jacobian(conv, torch.ones(2, 1, 5, 5)),
         errors.ShapeError),
        ("jacobian_nan_inputs", lambda: output_jacobian(mlp, nan_inputs), errors.NonFiniteError),
        ("jacobian_no_samples", lambda: output_jacobian(mlp, torch.zeros(0, 3)),
         errors.ShapeError),
        ("jacobian_over_budget", lambda: output_jacobian(mlp, torch.ones(5, 3), memory_budget=64),
         errors.MemoryBudgetError),
        ("ntk_gram_wrong_width", lambda: ntk_gram(mlp, torch.ones(5, 7)), errors.ShapeError),
    ]


GPU_IDS = [
    "jacobian_wrong_width",
    "jacobian_wrong_channels",
    "jacobian_nan_inputs",
    "jacobian_no_samples",
    "jacobian_over_budget",
    "ntk_gram_wrong_width",
]


@pytest.mark.parametrize("row", GPU_IDS)
def test_gpu_bad_input_raises_typed_error(row):
    rows = {name: (call, expected) for name, call, expected in _gpu_rows()}
    call, expected = rows[row]
    with pytest.raises(expected) as raised:
        call()
    assert isinstance(raised.value, errors.TheorylabError)
    assert "shape" in str(raised.value) or row != "jacobian_wrong_width"


def test_wrong_width_names_expected_and_given_shapes():
    torch = pytest.importorskip("torch")
    from theorylab.gpu import output_jacobian

    mlp = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    with pytest.raises(errors.ShapeError, match=r"\(5, 4\).*expects \(n, \.\.\., 3\)"):
        output_jacobian(mlp, torch.ones(5, 4))


# --------------------------------------------------------------------------- theorylab.diagnose


def _diagnose_rows() -> list[tuple[str, Callable[[], object], type[errors.TheorylabError]]]:
    """Malformed ``theorylab.diagnose`` calls: each is refused before any curvature is taken."""
    torch = pytest.importorskip("torch")
    from theorylab import diagnose

    def mlp(poison: float | None = None) -> object:
        net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                  torch.nn.Linear(4, 1)).double()
        if poison is not None:
            with torch.no_grad():
                net[0].weight[1, 2] = poison
        return net

    inputs = torch.linspace(-1, 1, 18, dtype=torch.float64).reshape(6, 3)
    targets = torch.linspace(-1, 1, 6, dtype=torch.float64).reshape(6, 1)
    wide = torch.ones(6, 5, dtype=torch.float64)

    def call(net: object = None, data: object = None, **change: object) -> Callable[[], object]:
        arguments = {"loss": "mse", "learning_rate": 0.1, "batch_size": 2, **change}
        return lambda: diagnose(mlp() if net is None else net,
                                (inputs, targets) if data is None else data, **arguments)

    return [
        ("diagnose_lr_zero", call(learning_rate=0.0), errors.ParameterError),
        ("diagnose_lr_negative", call(learning_rate=-0.1), errors.ParameterError),
        ("diagnose_lr_nan", call(learning_rate=float("nan")), errors.NonFiniteError),
        ("diagnose_lr_not_a_number", call(learning_rate="0.1"), errors.ParameterError),
        ("diagnose_batch_zero", call(batch_size=0), errors.ParameterError),
        ("diagnose_batch_gt_n", call(batch_size=7), errors.ParameterError),
        ("diagnose_batch_fraction", call(batch_size=1.5), errors.ParameterError),
        ("diagnose_nan_weight", call(net=mlp(float("nan"))), errors.NonFiniteError),
        ("diagnose_inf_weight", call(net=mlp(float("inf"))), errors.NonFiniteError),
        ("diagnose_nan_inputs", call(data=(inputs * float("nan"), targets)),
         errors.NonFiniteError),
        ("diagnose_wrong_input_width", call(data=(wide, targets)), errors.ShapeError),
        ("diagnose_targets_wrong_width", call(data=(inputs, wide[:, :3])), errors.ShapeError),
        ("diagnose_targets_wrong_count", call(data=(inputs, targets[:5])), errors.ShapeError),
        ("diagnose_labels_out_of_range",
         call(data=(inputs, torch.tensor([0, 1, 2, 0, 1, 2])), loss="cross_entropy"),
         errors.ParameterError),
        ("diagnose_inputs_without_targets", call(data=inputs), errors.ShapeError),
        ("diagnose_unknown_level", call(level="extreme"), errors.ParameterError),
        ("diagnose_unknown_loss", call(loss="hinge"), errors.ParameterError),
        ("diagnose_not_a_module", call(net=lambda x: x), errors.ParameterError),
        ("diagnose_over_budget", call(memory_budget=1000), errors.MemoryBudgetError),
        ("diagnose_unknown_skip", call(skip=["paper001"]), errors.ParameterError),
        ("diagnose_skip_a_string", call(skip="001"), errors.ParameterError),
    ]


DIAGNOSE_IDS = [
    "diagnose_lr_zero",
    "diagnose_lr_negative",
    "diagnose_lr_nan",
    "diagnose_lr_not_a_number",
    "diagnose_batch_zero",
    "diagnose_batch_gt_n",
    "diagnose_batch_fraction",
    "diagnose_nan_weight",
    "diagnose_inf_weight",
    "diagnose_nan_inputs",
    "diagnose_wrong_input_width",
    "diagnose_targets_wrong_width",
    "diagnose_targets_wrong_count",
    "diagnose_labels_out_of_range",
    "diagnose_inputs_without_targets",
    "diagnose_unknown_level",
    "diagnose_unknown_loss",
    "diagnose_not_a_module",
    "diagnose_over_budget",
    "diagnose_unknown_skip",
    "diagnose_skip_a_string",
]


@pytest.mark.parametrize("row", DIAGNOSE_IDS)
def test_diagnose_bad_input_raises_typed_error(row):
    rows = {name: (call, expected) for name, call, expected in _diagnose_rows()}
    assert sorted(rows) == sorted(DIAGNOSE_IDS)
    call, expected = rows[row]
    with pytest.raises(expected) as raised:
        call()
    assert isinstance(raised.value, errors.TheorylabError)
    message = str(raised.value)
    assert message and "\n" not in message


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
