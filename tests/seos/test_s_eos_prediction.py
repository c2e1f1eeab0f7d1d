"""``seos.s_eos_prediction``: K_full, max|lambda(T)| and simulated growth (oracles named)."""

import numpy as np
import pytest

from theorylab.claims.seos.common import ntk_setting
from theorylab.solvers.noise_kernel import noise_kernel_norm
from theorylab.solvers.noise_kernel_second_moment import (
    noise_kernel_norm_full,
    second_moment_spectral_radius,
)
from theorylab.solvers.noise_kernel_simulation import simulate_growth_rates


def test_full_criterion_vs_dense_eigenvalues_and_k_lower_bound(flat_ntk):
    top = np.linalg.eigvalsh(flat_ntk)[-1]
    for fraction in (0.2, 0.6, 0.95):
        eta = 2 * fraction / top
        dense = second_moment_spectral_radius(flat_ntk, eta, 1, method="dense").spectral_radius
        assert (dense < 1) == (noise_kernel_norm_full(flat_ntk, eta, 1) < 1)
        assert (
            noise_kernel_norm(flat_ntk, eta, 1).value
            <= noise_kernel_norm_full(flat_ntk, eta, 1) + 1e-12
        )


def test_matrix_free_spectral_radius_vs_dense(flat_ntk):
    eta = 1.5 / np.linalg.eigvalsh(flat_ntk)[-1]
    free = second_moment_spectral_radius(flat_ntk, eta, 2)
    dense = second_moment_spectral_radius(flat_ntk, eta, 2, method="dense")
    assert free.spectral_radius == pytest.approx(dense.spectral_radius, rel=1e-8)
    assert free.residual < 1e-8


def test_simulation_growth_matches_log_spectral_radius():
    """Monte Carlo oracle: far from threshold, mean-square growth ~ log max|lambda(T)|."""
    ntk = ntk_setting("flat", 12, 16, np.random.default_rng(1))
    eta = 1.6 / np.linalg.eigvalsh(ntk)[-1]
    rates = simulate_growth_rates(ntk, eta, 1, steps=400, seeds=64, rng=np.random.default_rng(2))
    radius = second_moment_spectral_radius(ntk, eta, 1, method="dense").spectral_radius
    assert np.log(radius) > 0 and rates.typical > 0


def test_grid_simulation_reproduces_single_eta_at_mu_zero():
    """The vectorised grid with one eta is the same computation as simulate_growth_rates."""
    from theorylab.solvers.noise_kernel_simulation import simulate_growth_rate_grid

    ntk = ntk_setting("flat", 6, 8, np.random.default_rng(1))
    single = simulate_growth_rates(ntk, 0.3, 2, steps=50, seeds=8, rng=np.random.default_rng(5))
    grid = simulate_growth_rate_grid(ntk, [0.3], 2, steps=50, seeds=8, rng=np.random.default_rng(5))
    np.testing.assert_allclose(single.per_seed, grid[0], rtol=1e-12)
