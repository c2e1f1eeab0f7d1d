"""Lyapunov and linearised-SGD solvers (paper 000, App. D.3) against named oracles.

Oracles: scipy's Lyapunov solvers (``scipy``), a dense Kronecker solve (``kronecker``),
enumeration of minibatches (``enumeration``), hand-derived scalar closed forms
(``closed form``) and SGD simulation (``monte carlo``).
"""

import itertools

import numpy as np
import pytest
import scipy.linalg

from theorylab.claims.tpv.sgd_lyapunov.exact import simulate_linearised_sgd
from theorylab.errors import NotPSDError, ParameterError, StabilityError
from theorylab.solvers.lyapunov import (
    linearised_sgd_stationary,
    quantization_tpv,
    second_moment_operator,
    sgd_stationary_covariance,
    sgd_tpv,
    slowest_covariance_mode,
)


@pytest.mark.parametrize("fraction", [0.01, 0.5, 1.9])
def test_lyapunov_matches_scipy(fraction):
    rng = np.random.default_rng(3)
    factor = rng.standard_normal((5, 5))
    hessian, noise = factor @ factor.T, np.cov(rng.standard_normal((5, 40)))
    rate = fraction / np.linalg.eigvalsh(hessian)[-1]
    transition = np.eye(5) - rate * hessian
    discrete = sgd_stationary_covariance(hessian, noise, rate).covariance
    continuous = sgd_stationary_covariance(hessian, noise, rate, "continuous").covariance
    scale = np.abs(discrete).max()
    reference = scipy.linalg.solve_discrete_lyapunov(transition, rate**2 * noise)
    assert np.allclose(discrete, reference, rtol=1e-8, atol=1e-9 * scale)
    reference = scipy.linalg.solve_continuous_lyapunov(hessian, rate * noise)
    assert np.allclose(continuous, reference, rtol=1e-8, atol=1e-9 * scale)


def test_lyapunov_scalar_closed_form_and_stability():
    assert sgd_stationary_covariance([[2.0]], [[1.0]], 0.25).covariance[0, 0] == pytest.approx(
        1 / 12)
    with pytest.raises(StabilityError):
        sgd_stationary_covariance([[2.0]], [[1.0]], 1.0)
    with pytest.raises(NotPSDError):
        sgd_stationary_covariance([[1.0]], [[-1.0]], 0.1)
    with pytest.raises(ParameterError):
        sgd_stationary_covariance([[1.0]], [[1.0]], 0.1, kind="euler")


def test_singular_hessian_null_space_noise():
    hessian, noise = np.diag([1.0, 0.0]), np.eye(2)
    with pytest.raises(StabilityError):
        sgd_stationary_covariance(hessian, noise, 0.1)
    restricted = sgd_stationary_covariance(hessian, noise, 0.1, null_space="restrict")
    # range block: eta/(2 - eta) (closed form), zero elsewhere (kronecker oracle on the range)
    assert restricted.covariance[0, 0] == pytest.approx(0.1 / 1.9)
    assert np.count_nonzero(restricted.covariance[1]) == 0
    on_range = sgd_stationary_covariance(hessian, np.diag([1.0, 0.0]), 0.1)
    assert on_range.covariance[0, 0] == pytest.approx(0.1 / 1.9)


def test_second_moment_operator_matches_enumeration():
    rng = np.random.default_rng(5)
    rows, rate, b = rng.standard_normal((4, 3)), 0.1, 2
    covariance = np.cov(rng.standard_normal((3, 10)))
    operator = second_moment_operator(rows, rate, b)
    enumerated = np.zeros((3, 3))
    for index in itertools.product(range(4), repeat=b):
        chosen = list(index)
        transition = np.eye(3) - rate * rows[chosen].T @ rows[chosen] / b
        enumerated += transition @ covariance @ transition.T / 4**b
    assert np.allclose((operator @ covariance.ravel()).reshape(3, 3), enumerated, atol=1e-14)


def test_zero_loss_stationary_covariance_is_zero_and_mode_decays():
    rng = np.random.default_rng(7)
    rows = rng.standard_normal((8, 3))
    result = linearised_sgd_stationary(rows, np.zeros(8), 0.05, 2)
    assert result.tpv_train == 0.0 and result.residual_variance == 0.0
    rate, mode = slowest_covariance_mode(rows, 0.05, 2)
    assert 0 < rate < 1 and np.trace(mode) == pytest.approx(1.0)
    assert np.linalg.eigvalsh(mode)[0] > -1e-12


def test_linearised_sgd_stationary_matches_monte_carlo():
    rng = np.random.default_rng(11)
    rows, targets = rng.standard_normal((6, 2)), rng.standard_normal(6)
    residuals = rows @ np.linalg.lstsq(rows, targets, rcond=None)[0] - targets
    exact = linearised_sgd_stationary(rows, residuals, 0.2, 2)
    _, averages = simulate_linearised_sgd(rows, residuals, 0.2, 2, rng=rng, replicas=2000,
                                          steps=500, record_from=200)
    stderr = np.std(averages, ddof=1) / np.sqrt(2000)
    assert abs(np.mean(averages) - exact.tpv_train) <= 4 * stderr


def test_linearised_sgd_rejects_non_minimiser_and_unstable():
    with pytest.raises(ParameterError):
        linearised_sgd_stationary(np.ones((2, 1)), np.ones(2), 0.1, 1)
    with pytest.raises(StabilityError):
        linearised_sgd_stationary(np.eye(2) * 2, np.zeros(2), 0.99, 1)


def test_closed_forms_by_hand():
    assert sgd_tpv(4.0, 0.5, 0.1, 2) == pytest.approx(0.05)
    assert quantization_tpv(3.0, 2.0) == pytest.approx(1.0)
