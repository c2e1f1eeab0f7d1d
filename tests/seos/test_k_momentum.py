"""``seos.k_momentum``: heavy-ball gain, operator, thresholds and checks (oracles named)."""

import numpy as np
import pytest

from theorylab.claims.seos.common import hadamard_ntk, ntk_setting
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.noise_kernel import noise_kernel_norm_delocalised, noise_kernel_norm_hd
from theorylab.solvers.noise_kernel_momentum import (
    momentum_noise_gain,
    momentum_noise_gain_by_iteration,
    noise_kernel_norm_momentum,
)
from theorylab.spec import Level, Verdict


def test_momentum_gain_vs_impulse_response_oracle():
    for mu in (0.0, 0.5, 0.9):
        x = np.array([0.05, 0.5, 1.5])
        np.testing.assert_allclose(
            momentum_noise_gain(x, mu), momentum_noise_gain_by_iteration(x, mu), rtol=1e-9
        )


def test_momentum_reduces_to_hd_at_mu_zero():
    lam = np.array([0.3, 0.7, 1.1])
    value = noise_kernel_norm_momentum(lam, 1.0, 2, 0.0, 10)
    assert value == pytest.approx((1 - 0.2) * noise_kernel_norm_hd(lam, 1.0, 2), rel=1e-12)


def test_momentum_operator_vs_batch_enumeration_oracle():
    """Closed-form heavy-ball W-recursion == average of A_P (x) A_P over every batch."""
    from theorylab.solvers.noise_kernel_momentum import (
        enumerated_momentum_second_moment_operator,
        momentum_second_moment_operator,
    )

    ntk = ntk_setting("flat", 4, 5, np.random.default_rng(3))
    for batch in (1, 2, 4):
        for mu in (0.0, 0.5, 0.9):
            eta = 0.5 / np.linalg.eigvalsh(ntk)[-1]
            np.testing.assert_allclose(
                momentum_second_moment_operator(ntk, eta, batch, mu),
                enumerated_momentum_second_moment_operator(ntk, eta, batch, mu),
                atol=1e-12,
            )


def test_momentum_k_deloc_threshold_vs_dense_eigenvalues_oracle():
    """Hadamard frame (C = 11^T/D): exact K_mom = 1 exactly where max|eig(T_mom)| = 1."""
    from theorylab.solvers.noise_kernel_momentum import (
        momentum_spectral_radius,
        noise_kernel_norm_momentum_delocalised,
    )
    from theorylab.solvers.noise_kernel_simulation import stability_threshold

    lam = np.array([0.4, 0.3, 0.2, 0.1])
    ntk = hadamard_ntk(list(lam))
    for mu in (0.5, 0.9):
        eta = stability_threshold(
            lambda e, m=mu: noise_kernel_norm_momentum_delocalised(lam, e, 1, m, 4),
            2 * (1 + mu) / lam.max(),
        )
        assert momentum_spectral_radius(ntk, eta, 1, mu) == pytest.approx(1.0, abs=1e-8)
        assert momentum_spectral_radius(ntk, 0.99 * eta, 1, mu) < 1
        assert momentum_spectral_radius(ntk, 1.01 * eta, 1, mu) > 1


def test_momentum_k_deloc_limits():
    """mu = 0: the SGD delocalised K; large D, B (tilde beta -> beta): the A.5 HD form."""
    from theorylab.solvers.noise_kernel_momentum import noise_kernel_norm_momentum_delocalised

    lam = np.array([0.3, 0.7, 1.1, 0.2])
    assert noise_kernel_norm_momentum_delocalised(lam, 0.5, 2, 0.0, 4) == pytest.approx(
        noise_kernel_norm_delocalised(lam, 0.5, 2, 4), rel=1e-12
    )
    big = noise_kernel_norm_momentum_delocalised(lam, 0.01, 10**6, 0.9, 10**9)
    assert big == pytest.approx(noise_kernel_norm_momentum(lam, 0.01, 10**6, 0.9, 10**9), rel=1e-5)


def test_momentum_simulated_rate_vs_log_spectral_radius():
    """Direct simulation oracle: population mean-square rate of heavy-ball SGD ~ log rho(T_mom)."""
    from theorylab.solvers.noise_kernel_momentum import momentum_spectral_radius
    from theorylab.solvers.noise_kernel_simulation import simulate_mean_square_rates

    ntk = hadamard_ntk([0.4, 0.3, 0.2, 0.1])
    etas = [0.6, 1.2]
    rates = simulate_mean_square_rates(
        ntk,
        etas,
        1,
        steps=400,
        walkers=64,
        populations=4,
        rng=np.random.default_rng(4),
        momentum=0.5,
    )
    for eta, row in zip(etas, rates, strict=True):
        exact = np.log(momentum_spectral_radius(ntk, eta, 1, 0.5))
        stderr = row.std(ddof=1) / np.sqrt(len(row))
        assert row.mean() == pytest.approx(exact, abs=4 * stderr + 0.01)  # + O(1/walkers) bias


@pytest.mark.parametrize(
    ("claim", "check", "verdict"),
    [
        ("seos.k_momentum", "eq18_vs_simulation", Verdict.HOLDS_APPROX),
        ("seos.k_momentum.corrected", "corrected_vs_simulation", Verdict.HOLDS),
    ],
)
def test_momentum_threshold_checks_vs_simulation(claim, check, verdict):
    """Oracles: simulated heavy-ball SGD and dense rho(T_mom) (cached, computed once)."""
    registered = {c.spec.name: c for c in CATALOG.checks(claim)}
    finding = registered[check].function(CheckContext(level=Level.QUICK, seed=0))
    assert finding.verdict is verdict
    assert finding.figure is not None
