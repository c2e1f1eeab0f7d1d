"""Torch smoke test of the paper 001 experiment pipeline (tiny, CPU, float64)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from theorylab.claims.awd.empirical_alpha.seeds import run_seeded_setting  # noqa: E402
from theorylab.claims.awd.empirical_alpha.settings import BOOTSTRAP, Setting, training_seeds  # noqa: E402
from theorylab.claims.awd.empirical_alpha.torch import run_setting  # noqa: E402
from theorylab.claims.awd.paper import single_threaded  # noqa: E402

TINY = Setting("digits", "mlp", "ce", 3, 12, 4, 60, 0.2, 8)


@single_threaded
def test_cross_entropy_relu_hidden_layer_hessians_are_psd_and_fits_are_consistent():
    # Oracle (closed form): for W2 between two ReLU layers, d^2 f / dW2^2 = 0 almost
    # everywhere, so each per-sample Hessian is the Gauss-Newton term J^T H_out J, PSD for CE.
    row = run_setting(TINY, seed=0, device="cpu")
    assert row.parameters == 16 and row.samples == 36 and row.seed == 0
    assert row.not_psd == 0
    assert math.isfinite(row.alpha_measured) and math.isfinite(row.alpha_awd)
    assert row.alpha_measured_ci[0] <= row.alpha_measured_ci[1]
    assert 0.0 <= row.coupling <= 1.0 and 0.0 < row.coupling_p_value <= 1.0
    assert row.window[0] > 0 and row.window[0] <= row.window[1]
    # the samples-only interval is the percentile interval of the stored paired draws
    assert row.alpha_draws.shape == (BOOTSTRAP, 2)
    assert row.alpha_measured_ci == (
        float(np.quantile(row.alpha_draws[:, 0], 0.025)),
        float(np.quantile(row.alpha_draws[:, 0], 0.975)),
    )


@single_threaded
def test_seeded_setting_first_run_is_the_single_seed_run_and_intervals_combine_seeds():
    # Oracles: runs[0] reproduces run_setting(seed) exactly (determinism); the point estimate
    # and spread are the plain mean / standard deviation (ddof=1) over the per-seed fits; the
    # seed + sample interval is the two-level bootstrap of the stored within-seed draws.
    seeds = training_seeds(0, False, TINY)
    assert seeds == (0, 1000)
    checkpoint = Setting("digits", "mlp", "mse", 3, 12, 4, 5, 0.2, 8, checkpoint=True)
    assert training_seeds(7, True, TINY) == (7, 1007, 2007)
    assert training_seeds(7, True, checkpoint) == (7,)
    row = run_seeded_setting(TINY, seeds, "cpu", np.random.default_rng(0))
    single = run_setting(TINY, seed=0, device="cpu")
    assert row.runs[0].alpha_measured == single.alpha_measured
    assert row.runs[0].alpha_measured_ci == single.alpha_measured_ci
    assert row.runs[0].suppression and not row.runs[1].suppression
    per_seed = [run.alpha_measured for run in row.runs]
    assert row.alpha_measured == pytest.approx(np.mean(per_seed), rel=1e-12)
    assert row.exponents.between_seed_std[0] == pytest.approx(np.std(per_seed, ddof=1))
    assert row.exponents.replicates.shape == (2, BOOTSTRAP, 2)
    assert row.exponents.samples_only_interval(1, 0) == row.runs[1].alpha_measured_ci
    low, high = row.alpha_measured_ci
    assert low <= high and row.alpha_awd_ci[0] <= row.alpha_awd_ci[1]
    assert row.difference_ci[0] <= row.difference_ci[1]
    draws = row.exponents.replicates[:, :, 0]
    assert draws.min() <= low and high <= draws.max()
