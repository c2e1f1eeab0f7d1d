"""Torch smoke test of the paper 001 experiment pipeline (tiny, CPU, float64)."""

import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from theorylab.claims.awd.empirical_alpha_torch import Setting, run_setting  # noqa: E402
from theorylab.claims.awd.paper import single_threaded  # noqa: E402


@single_threaded
def test_cross_entropy_relu_hidden_layer_hessians_are_psd_and_fits_are_consistent():
    # Oracle (closed form): for W2 between two ReLU layers, d^2 f / dW2^2 = 0 almost
    # everywhere, so each per-sample Hessian is the Gauss-Newton term J^T H_out J, PSD for CE.
    row = run_setting(Setting("digits", "mlp", "ce", 3, 12, 4, 60, 0.2, 8), seed=0, device="cpu")
    assert row.parameters == 16 and row.samples == 36
    assert row.not_psd == 0
    assert math.isfinite(row.alpha_measured) and math.isfinite(row.alpha_awd)
    assert row.alpha_measured_ci[0] <= row.alpha_measured_ci[1]
    assert 0.0 <= row.coupling <= 1.0 and 0.0 < row.coupling_p_value <= 1.0
    assert row.window[0] > 0 and row.window[0] <= row.window[1]
