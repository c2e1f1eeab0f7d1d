"""Paper 002 (``seos.*``) solvers and claims, example-based; each test names its oracle."""

import numpy as np
import pytest

from theorylab.claims.seos.common import hadamard_ntk, ntk_setting
from theorylab.claims.seos.k_theorem import k_by_boundary
from theorylab.errors import NonFiniteError, NotPSDError, ParameterError, StabilityError
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.noise_kernel import (
    enumerated_selection_moment,
    minibatch_selection_moment,
    noise_kernel_matrices,
    noise_kernel_norm,
    noise_kernel_norm_delocalised,
    noise_kernel_norm_hd,
    noise_kernel_norm_trace,
)
from theorylab.solvers.noise_kernel_momentum import (
    momentum_noise_gain,
    momentum_noise_gain_by_iteration,
    noise_kernel_norm_momentum,
)
from theorylab.solvers.noise_kernel_second_moment import (
    enumerated_second_moment_operator,
    noise_kernel_norm_full,
    second_moment_operator,
    second_moment_spectral_radius,
)
from theorylab.solvers.noise_kernel_simulation import simulate_growth_rates
from theorylab.spec import Level, Verdict

RNG_SEED = 7
FLOAT_TOL = 1e-12


@pytest.fixture
def flat_ntk():
    return ntk_setting("flat", 5, 7, np.random.default_rng(RNG_SEED))


def test_selection_moment_vs_enumeration_oracle():
    matrix = np.random.default_rng(0).standard_normal((5, 5))
    for batch in range(1, 6):
        np.testing.assert_allclose(
            minibatch_selection_moment(matrix, batch),
            enumerated_selection_moment(matrix, batch),
            atol=FLOAT_TOL,
        )


def test_operator_formula_vs_batch_enumeration_oracle(flat_ntk):
    eta = 1.0 / np.linalg.eigvalsh(flat_ntk)[-1]
    for batch in (1, 2, 5):
        np.testing.assert_allclose(
            second_moment_operator(flat_ntk, eta, batch),
            enumerated_second_moment_operator(flat_ntk, eta, batch),
            atol=1e-12,
        )


def test_k_three_ways_agree(flat_ntk):
    """Eig of (I-A)^-1 B, symmetric congruent form, stability boundary of A + sB."""
    eta = 1.2 / np.linalg.eigvalsh(flat_ntk)[-1]
    norm = noise_kernel_norm(flat_ntk, eta, 2)
    parts = noise_kernel_matrices(flat_ntk, eta, 2)
    assert norm.value == pytest.approx(norm.symmetric_value, rel=1e-10)
    assert k_by_boundary(parts.deterministic, parts.stochastic) == pytest.approx(
        norm.value, rel=1e-9
    )


def test_k_closed_form_hadamard():
    """Closed form: C = 11^T/D exactly, K = (1-b~)/B sum x/(2 - b~/b x)."""
    ntk = hadamard_ntk([0.4, 0.3, 0.2, 0.1])
    lam = np.linalg.eigvalsh(ntk)
    assert noise_kernel_norm(ntk, 1.0, 2).value == pytest.approx(
        noise_kernel_norm_delocalised(lam, 1.0, 2, 4), rel=1e-12
    )


def test_paper_ordering_counterexample_hadamard():
    ntk = hadamard_ntk([0.4, 0.3, 0.2, 0.1])
    k = noise_kernel_norm(ntk, 1.0, 2).value
    assert noise_kernel_norm_trace(ntk, 1.0, 2) > k  # K_tr <= K fails
    assert noise_kernel_norm_hd(np.linalg.eigvalsh(ntk), 1.0, 2) > k  # K_HD <= K fails


def test_sgd_a_not_psd_and_theorem_gap():
    """Hand-minimal: A = diag(-1.4, 0.2), ||A|| > 1, yet rho(A+B) < 1 (dense eig oracle)."""
    ntk = np.array([[0.8, 0.4], [0.4, 0.8]])
    parts = noise_kernel_matrices(ntk, 1.0, 1)
    np.testing.assert_allclose(sorted(np.diag(parts.deterministic)), [-1.4, 0.2], atol=1e-12)
    norm = noise_kernel_norm(ntk, 1.0, 1)
    assert norm.deterministic_norm > 1 > norm.diagonal_spectral_radius
    assert norm.value == pytest.approx(0.8, rel=1e-12)


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


def test_simulation_growth_matches_log_spectral_radius():
    """Monte Carlo oracle: far from threshold, mean-square growth ~ log max|lambda(T)|."""
    ntk = ntk_setting("flat", 12, 16, np.random.default_rng(1))
    eta = 1.6 / np.linalg.eigvalsh(ntk)[-1]
    rates = simulate_growth_rates(ntk, eta, 1, steps=400, seeds=64, rng=np.random.default_rng(2))
    radius = second_moment_spectral_radius(ntk, eta, 1, method="dense").spectral_radius
    assert np.log(radius) > 0 and rates.typical > 0


@pytest.mark.parametrize(
    ("ntk", "eta", "batch", "error"),
    [
        ([[1.0, 2.0], [2.0, 1.0]], 0.1, 1, NotPSDError),
        ([[1.0, 0.0], [0.0, np.nan]], 0.1, 1, NonFiniteError),
        (np.eye(2), 0.0, 1, ParameterError),
        (np.eye(2), 0.1, 3, ParameterError),
        (np.eye(2), 0.1, 0, ParameterError),
        (np.eye(2), 2.5, 1, StabilityError),
    ],
)
def test_bad_input_raises_typed_errors(ntk, eta, batch, error):
    for solver in (
        noise_kernel_norm,
        second_moment_operator,
        second_moment_spectral_radius,
        noise_kernel_norm_full,
    ):
        with pytest.raises(error):
            solver(ntk, eta, batch)


def test_zero_mode_makes_k_undefined():
    with pytest.raises(StabilityError):
        noise_kernel_norm(np.diag([1.0, 0.0]), 0.5, 1)


@pytest.mark.parametrize(
    ("claim", "check", "verdict"),
    [
        ("seos.second_moment_dynamics", "operator_enumeration", Verdict.REFUTED),
        ("seos.second_moment_dynamics.corrected", "corrected_enumeration", Verdict.HOLDS),
        ("seos.k_theorem", "sgd_matrices", Verdict.REFUTED),
        ("seos.k_full_batch", "full_batch", Verdict.HOLDS),
        ("seos.k_approximations", "ordering_minimal", Verdict.REFUTED),
        ("seos.k_momentum", "printed_gain", Verdict.REFUTED),
        ("seos.k_momentum.corrected", "corrected_gain", Verdict.HOLDS),
        ("seos.s_eos_prediction", "k_versus_full_operator", Verdict.REFUTED),
        ("seos.s_eos_prediction.corrected", "full_criterion", Verdict.HOLDS),
    ],
)
def test_claim_checks_give_expected_verdicts(claim, check, verdict):
    registered = {c.spec.name: c for c in CATALOG.checks(claim)}
    finding = registered[check].function(CheckContext(level=Level.QUICK, seed=0))
    assert finding.verdict is verdict
    if verdict is Verdict.REFUTED:
        assert finding.counterexample is not None


# --- heavy-ball momentum: exact second-moment operator, K_mom thresholds, simulated SGD ---


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


def test_grid_simulation_reproduces_single_eta_at_mu_zero():
    """The vectorised grid with one eta is the same computation as simulate_growth_rates."""
    from theorylab.solvers.noise_kernel_simulation import simulate_growth_rate_grid

    ntk = ntk_setting("flat", 6, 8, np.random.default_rng(1))
    single = simulate_growth_rates(ntk, 0.3, 2, steps=50, seeds=8, rng=np.random.default_rng(5))
    grid = simulate_growth_rate_grid(ntk, [0.3], 2, steps=50, seeds=8, rng=np.random.default_rng(5))
    np.testing.assert_allclose(single.per_seed, grid[0], rtol=1e-12)


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
