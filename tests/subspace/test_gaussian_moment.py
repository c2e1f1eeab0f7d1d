"""``subspace.gaussian_moment``: Eq. 15 by hand, against quadrature and Monte Carlo."""

import numpy as np
import pytest

from theorylab.solvers import gaussian_moment_criterion
from theorylab.solvers.subspace_probing import quadratic_monte_carlo
from theorylab.solvers.subspace_sequences import gauss_hermite_criterion


def test_gaussian_moment_hand_case():
    # closed form by hand: a=1, c=(1,), B=[[2]], sigma=1: 1 + 2 + 1 + (8+4)/4 = 7
    assert gaussian_moment_criterion(1.0, [1.0], [[2.0]], 1.0) == pytest.approx(7.0)


def test_gaussian_moment_matches_quadrature_oracle():
    # oracle: tensor Gauss-Hermite quadrature (exact for the quartic integrand)
    rng = np.random.default_rng(1)
    raw = rng.standard_normal((3, 3))
    gap, gradient, hessian, sigma = 0.3, rng.standard_normal(3), raw + raw.T, 0.7

    def surrogate(z):
        return gap + z @ gradient + 0.5 * np.einsum("ri,ij,rj->r", z, hessian, z)

    exact = gauss_hermite_criterion(surrogate, np.zeros(3), np.eye(3), sigma, 3)
    assert gaussian_moment_criterion(gap, gradient, hessian, sigma) == pytest.approx(exact, 1e-12)


def test_quadratic_monte_carlo_within_five_stderr():
    # oracle: Monte Carlo of Eq. 13 vs the closed form
    rng = np.random.default_rng(2)
    estimate = quadratic_monte_carlo(0.5, [1.0, -1.0], [[1.0, 0.5], [0.5, -2.0]], 0.5, 20000, rng)
    closed = gaussian_moment_criterion(0.5, [1.0, -1.0], [[1.0, 0.5], [0.5, -2.0]], 0.5)
    assert abs(estimate.mean - closed) <= 5 * estimate.stderr
