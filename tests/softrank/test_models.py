"""Example-based tests of paper 004's solvable models (:mod:`theorylab.claims.softrank.models`).

Each test names its oracle: direct Monte Carlo, finite differences or an exact identity.
"""

import numpy as np
import pytest

from theorylab.claims.softrank.models import calibrated_model, curved_model, logistic_model
from theorylab.errors import ParameterError, ShapeError
from theorylab.solvers.generalization_gap import FiniteBernoulliModel, LinearGaussianRidge
from theorylab.solvers.soft_rank import soft_rank


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
