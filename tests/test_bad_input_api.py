"""Bad-input table, API rows: every row is a malformed call that must fail cleanly, and first.

``theorylab.solvers``, ``theorylab.gpu`` and ``theorylab.diagnose`` rows: a typed error, a
subclass of :class:`theorylab.errors.TheorylabError` (the exact class named in the row).
Rows are cheap on purpose (tiny matrices). The CLI rows are in
``tests/test_bad_input_cli.py``, which also checks the size of both tables.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from theorylab import errors
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
