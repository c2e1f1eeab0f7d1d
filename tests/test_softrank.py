"""Example-based tests of paper 004 (soft rank): solvers, models, proofs, torch backend.

Each test names its oracle: hand-computed closed forms, exact rationals, dense linear
algebra, direct Monte Carlo, finite differences, dense autograd, or scipy.
"""

from fractions import Fraction

import numpy as np
import pytest

from theorylab.claims.softrank.models import calibrated_model, curved_model, logistic_model
from theorylab.errors import NonFiniteError, NotPSDError, ParameterError, ShapeError
from theorylab.solvers.generalization_gap import FiniteBernoulliModel, LinearGaussianRidge
from theorylab.solvers.soft_rank import (
    block_diagonal_part,
    error_uncertainty_ratio,
    log_det_complexity,
    soft_rank,
    soft_rank_gap_estimate,
    soft_rank_squared,
    tic_gap,
)

RTOL = 1e-12


def _random_psd(rng, size, rank):
    factor = rng.standard_normal((size, rank))
    return factor @ factor.T


# --------------------------------------------------------------------------- solvers


def test_soft_rank_scalar_matches_exact_rationals():
    """Oracle: exact rationals Σ σ/(σ+λ) on a diagonal S."""
    sigma = [Fraction(0), Fraction(1, 3), Fraction(2), Fraction(7)]
    lam = Fraction(1, 2)
    exact = sum(s / (s + lam) for s in sigma)
    exact2 = sum((s / (s + lam)) ** 2 for s in sigma)
    matrix = np.diag([float(s) for s in sigma])
    assert soft_rank(matrix, float(lam)) == pytest.approx(float(exact), rel=RTOL)
    assert soft_rank_squared(matrix, float(lam)) == pytest.approx(float(exact2), rel=RTOL)


def test_soft_rank_spd_regularizer_matches_dense_trace():
    """Oracle: dense Tr(S(S+Λ)^-1) and Tr((S(S+Λ)^-1)^2) by np.linalg.solve."""
    rng = np.random.default_rng(1)
    matrix = _random_psd(rng, 5, 3)
    base = rng.standard_normal((5, 5))
    lam = base @ base.T + 0.1 * np.eye(5)
    projection = np.linalg.solve((matrix + lam).T, matrix.T).T
    assert soft_rank(matrix, lam) == pytest.approx(np.trace(projection), rel=1e-10)
    assert soft_rank_squared(matrix, lam) == pytest.approx(
        np.trace(projection @ projection), rel=1e-10
    )
    logdet = 0.5 * (np.linalg.slogdet(matrix + lam)[1] - np.linalg.slogdet(lam)[1])
    assert log_det_complexity(matrix, lam) == pytest.approx(logdet, rel=1e-10)


def test_scalar_and_matrix_regularizer_agree():
    """Oracle: λ and λI are the same regulariser."""
    matrix = _random_psd(np.random.default_rng(2), 4, 2)
    assert soft_rank(matrix, 0.3) == pytest.approx(soft_rank(matrix, 0.3 * np.eye(4)), rel=RTOL)


def test_tic_and_gap_estimate_hand_values():
    """Oracle: hand-computed 2×2 diagonal cases (Eq. 1, Eq. 8)."""
    assert tic_gap(np.diag([2.0, 1.0]), np.diag([4.0, 1.0])) == pytest.approx(1.5)
    estimate = soft_rank_gap_estimate(np.diag([2.0, 2.0]), np.diag([1.0, 3.0]), 1.0)
    assert estimate.trace_ratio == pytest.approx(1.0)
    assert estimate.soft_rank == pytest.approx(0.5 + 0.75)
    assert estimate.regularized_tic == pytest.approx(2 / 2 + 2 / 4)


def test_error_uncertainty_ratio_hand_value():
    """Oracle: hand computation, ŷ = (0.75, 0.25) and (0.5, 0.5)."""
    result = error_uncertainty_ratio([[0.75, 0.25], [0.5, 0.5]], [0, 1])
    assert result.mse == pytest.approx((0.125 + 0.5) / 2)
    assert result.uncertainty == pytest.approx((0.375 + 0.5) / 2)
    assert result.max_confidence_gap == pytest.approx(0.5)


def test_block_diagonal_part_keeps_blocks():
    """Oracle: the pinching by hand."""
    matrix = np.arange(16.0).reshape(4, 4)
    pinched = block_diagonal_part(matrix, [1, 3])
    assert pinched[0, 1] == 0 and pinched[1, 2] == matrix[1, 2] and pinched[0, 0] == 0


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: soft_rank([[1.0, 2.0], [2.0, 1.0]], 1.0), NotPSDError),
        (lambda: soft_rank([[1.0]], 0.0), ParameterError),
        (lambda: soft_rank([[1.0]], -1.0), ParameterError),
        (lambda: soft_rank([[1.0, 0.0], [0.0, 1.0]], np.diag([1.0, 0.0])), NotPSDError),
        (lambda: soft_rank([[np.nan]], 1.0), NonFiniteError),
        (lambda: soft_rank([[1.0]], float("nan")), NonFiniteError),
        (lambda: soft_rank(np.eye(2), np.eye(3)), ShapeError),
        (lambda: soft_rank([1.0, 2.0], 1.0), ShapeError),
        (lambda: tic_gap(np.eye(2), np.diag([1.0, -1.0])), NotPSDError),
        (lambda: soft_rank_gap_estimate(np.eye(2), np.zeros((2, 2)), 1.0), ParameterError),
        (lambda: error_uncertainty_ratio([[0.6, 0.6]], [0]), ParameterError),
        (lambda: error_uncertainty_ratio([[1.0, 0.0]], [0]), ParameterError),
        (lambda: error_uncertainty_ratio([[0.5, 0.5]], [2]), ParameterError),
        (lambda: error_uncertainty_ratio([[0.5, 0.5]], [0, 1]), ShapeError),
        (lambda: block_diagonal_part(np.eye(3), [1, 1]), ShapeError),
    ],
)
def test_bad_input_raises_typed_errors(call, error):
    """Oracle: the documented error types."""
    with pytest.raises(error):
        call()


# --------------------------------------------------------------------------- models


def test_gaussian_model_covariance_matches_direct_monte_carlo():
    """Oracle: direct Monte Carlo of E[∇l ∇lᵀ] at θ* (Isserlis closed form)."""
    rng = np.random.default_rng(3)
    model = LinearGaussianRidge(np.diag([2.0, 0.5]), [1.0, -1.0], 1.0, 0.7, 0.2)
    pop = model.population()
    x = rng.multivariate_normal(np.zeros(2), model.sigma_x, size=400_000)
    y = x @ model.beta + rng.standard_normal(400_000)
    grads = -(y - x @ pop.theta_star)[:, None] * x / 0.49
    empirical = grads.T @ grads / len(x)
    assert np.allclose(empirical, pop.gradient_covariance, rtol=0.02, atol=0.02)
    assert np.allclose(grads.mean(0), -model.lam @ pop.theta_star, atol=0.02)  # E g = -Λθ*


def test_bernoulli_model_hessian_matches_finite_differences():
    """Oracle: central finite differences of the exact population gradient."""
    model = curved_model(0.05)
    pop = model.population()

    def gradient(theta):
        g, _ = model._derivatives(model.weights[None], (model.weights * model.p)[None], theta[None])
        return g[0]

    step = 1e-6
    numeric = np.array(
        [
            (gradient(pop.theta_star + step * e) - gradient(pop.theta_star - step * e)) / (2 * step)
            for e in np.eye(1)
        ]
    )
    assert np.allclose(numeric, pop.regularized_hessian, rtol=1e-6)
    assert np.linalg.norm(gradient(pop.theta_star)) < 1e-12


def test_calibrated_model_has_c_f_h_equal_and_gap_limit_soft_rank():
    """Oracle: Prop. 2.2/4.2 equality on the exactly calibrated construction (θ* = 0)."""
    model = calibrated_model(0.3)
    pop = model.population()
    assert np.allclose(pop.gradient_covariance, pop.fisher, atol=1e-14)
    assert np.allclose(pop.hessian, pop.fisher, atol=1e-14)
    assert pop.gap_limit == pytest.approx(soft_rank(pop.fisher, 0.3), rel=1e-12)


def test_refined_and_direct_gap_estimators_agree():
    """Oracle: two unbiased Monte Carlo estimators of n·E[Gap] agree within their CIs."""
    model = logistic_model(calibrated=False, regularization=0.05)
    result = model.simulate(200, 4000, np.random.default_rng(4))
    spread = 4 * np.hypot(result.scaled_gap_stderr, result.scaled_gap_refined_stderr)
    assert abs(result.scaled_gap - result.scaled_gap_refined) < spread
    assert result.max_gradient_norm < 1e-10


def test_simulate_rejects_bad_sizes():
    """Oracle: typed errors for n below the dimension, shapes and probabilities outside [0, 1]."""
    model = LinearGaussianRidge(np.eye(3), [1.0, 0.0, 0.0], 1.0, 1.0, 1.0)
    with pytest.raises(ParameterError):
        model.simulate(2, 10, np.random.default_rng(0))
    with pytest.raises(ShapeError):
        FiniteBernoulliModel([[1.0]], [0.5, 0.5], [0.5], regularization=1.0)
    with pytest.raises(ParameterError):
        FiniteBernoulliModel([[1.0]], [1.0], [1.5], regularization=1.0)


# --------------------------------------------------------------------------- proofs


def test_printed_proofs_fail_exactly_where_expected():
    """Oracle: the paper's printed steps (Eq. 12 signs, G.4 factor, G.6 H = F, G.7 typo)."""
    from theorylab.proofs import softrank as proofs

    failing = {
        "prop41": [s.name for s in proofs.prop41_derivation() if not s.holds],
        "prop42": [s.name for s in proofs.prop42_derivation() if not s.holds],
        "prop53": [s.name for s in proofs.prop53_derivation() if not s.holds],
        "prop54": [s.name for s in proofs.prop54_derivation() if not s.holds],
        "rank2": [s.name for s in proofs.rank2_concavity_derivation() if not s.holds],
    }
    assert failing == {
        "prop41": ["eq12_first_inequality", "eq12_lemma_e1"],
        "prop42": ["printed_mixed_factor"],
        "prop53": ["first_line_hessian_replaced"],
        "prop54": ["printed_sum_bounded"],
        "rank2": ["rank2_generator_concave"],
    }
    for function in (
        proofs.prop41_derivation,
        proofs.prop42_derivation,
        proofs.prop53_derivation,
        proofs.prop54_derivation,
        proofs.rank2_concavity_derivation,
    ):
        assert all(step.holds for step in function(corrected=True))
    for function in (
        proofs.eq3_limit_derivation,
        proofs.trace_function_derivation,
        proofs.information_equality_derivation,
        proofs.prop51_derivation,
    ):
        assert all(step.holds for step in function())


# --------------------------------------------------------------------------- torch


def test_fisher_spectrum_and_kfac_match_dense_autograd():
    """Oracle: dense Fisher from per-sample torch.func Jacobians; KFAC exact for one sample."""
    torch = pytest.importorskip("torch")
    from theorylab.gpu import MLP, fisher_spectrum, kfac_factors, output_jacobian

    model = MLP(3, 4, 1, output_dim=3, seed=0).double()
    inputs = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    jacobian = output_jacobian(model, inputs, dtype=torch.float64).numpy()
    probs = torch.softmax(model(inputs), -1).detach().numpy()
    sigma = np.stack([np.diag(p) - np.outer(p, p) for p in probs])
    fisher = np.einsum("nkp,nkl,nlq->pq", jacobian, sigma, jacobian) / 5
    assert soft_rank(fisher, 1e-2) == pytest.approx(
        fisher_spectrum(model, inputs).soft_rank(1e-2), rel=1e-10
    )
    single = kfac_factors(model, inputs[:1])
    one = np.einsum("kp,kl,lq->pq", jacobian[0], sigma[0], jacobian[0])
    first = 3 * 4 + 4
    assert np.allclose(
        np.sort(single.eigenvalues().numpy()[:first]),
        np.sort(np.linalg.eigvalsh(one[:first, :first])),
        atol=1e-12,
    )
    diagonal = kfac_factors(model, inputs).diagonal().numpy()
    order = [o * 4 + j for o in range(4) for j in range(3)] + [o * 4 + 3 for o in range(4)]
    assert np.allclose(diagonal[:first][order], np.diag(fisher)[:first], atol=1e-14)


def test_slq_soft_rank_within_four_stderr():
    """Oracle: exact eigen-sum vs SLQ (theorylab.gpu.slq_trace) on the stored factor."""
    torch = pytest.importorskip("torch")
    from theorylab.gpu import MLP, fisher_soft_rank_slq, fisher_spectrum

    model = MLP(4, 6, 1, output_dim=3, seed=1).double()
    inputs = torch.randn(20, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    labels = torch.randint(0, 3, (20,), generator=torch.Generator().manual_seed(2))
    exact = fisher_spectrum(model, inputs).soft_rank(1e-2)
    estimate = fisher_soft_rank_slq(model, inputs, labels, 1e-2, probes=20, steps=60)
    assert abs(estimate.value - exact) <= 4 * estimate.stderr + 1e-8


def test_vectorised_kendall_matches_scipy():
    """Oracle: scipy.stats.kendalltau (τ_b, ties included)."""
    from scipy.stats import kendalltau

    from theorylab.claims.softrank.empirical import kendall_tau_b

    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, (20, 7)).astype(float)
    y = rng.standard_normal((20, 7))
    expected = [kendalltau(a, b).statistic for a, b in zip(x, y, strict=True)]
    assert np.allclose(kendall_tau_b(x, y), expected, equal_nan=True)
