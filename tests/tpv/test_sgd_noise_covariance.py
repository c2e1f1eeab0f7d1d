"""Minibatch SGD-noise solver (paper 000, App. D.1) against named oracles.

Oracles: full enumeration of minibatches (``enumeration``) and hand-derived closed forms
(``closed form``).
"""


import numpy as np
import pytest

from theorylab.errors import NonFiniteError, ParameterError, ShapeError
from theorylab.solvers.sgd_noise import (
    batch_factor,
    minibatch_covariance_by_enumeration,
    minibatch_noise_covariance,
)

RTOL = 1e-10


@pytest.mark.parametrize("replacement", [True, False])
@pytest.mark.parametrize(("n", "p", "b"), [(1, 2, 1), (4, 3, 1), (5, 2, 3), (6, 4, 2), (3, 3, 3)])
def test_minibatch_covariance_matches_enumeration(n, p, b, replacement):
    rng = np.random.default_rng(n * 10 + b)
    rows, residuals = rng.standard_normal((n, p)), rng.standard_normal(n)
    closed = minibatch_noise_covariance(rows, residuals, b, replacement).covariance
    oracle = minibatch_covariance_by_enumeration(rows, residuals, b, replacement)
    assert np.allclose(closed, oracle, rtol=RTOL, atol=1e-14)


def test_minibatch_closed_form_by_hand():
    # gradients 1 and -2: variance 9/4 (closed form), halved by b = 2 with replacement
    noise = minibatch_noise_covariance([[1.0], [2.0]], [1.0, -1.0], 2)
    assert noise.sample_covariance[0, 0] == pytest.approx(2.25)
    assert noise.covariance[0, 0] == pytest.approx(1.125)
    # without replacement b = n: the batch is the full set, no noise
    assert minibatch_noise_covariance([[1.0], [2.0]], [1.0, -1.0], 2, False).covariance[0, 0] == 0
    assert batch_factor(10, 3, replacement=False) == pytest.approx(7 / 27)


def test_approximation_1_error_is_gradient_outer_product():
    rng = np.random.default_rng(1)
    rows, residuals = rng.standard_normal((9, 3)), rng.standard_normal(9)
    noise = minibatch_noise_covariance(rows, residuals, 4)
    expected = -np.outer(noise.gradient, noise.gradient) / 4
    assert np.allclose(noise.approximation_1_error, expected, atol=1e-15)
    # identical rows, equal residuals: no noise at all, Eq. 47 says 1/b (closed form)
    flat = minibatch_noise_covariance(np.ones((50, 1)), np.ones(50), 1)
    assert flat.covariance[0, 0] == pytest.approx(0.0, abs=1e-15)
    assert flat.diagonal_term[0, 0] == pytest.approx(1.0)


def test_minibatch_validation():
    with pytest.raises(ShapeError):
        minibatch_noise_covariance(np.ones((3, 2)), np.ones(4), 1)
    with pytest.raises(ParameterError):
        minibatch_noise_covariance(np.ones((3, 2)), np.ones(3), 4, replacement=False)
    with pytest.raises(ParameterError):
        minibatch_noise_covariance(np.ones((3, 2)), np.ones(3), 0)
    with pytest.raises(NonFiniteError):
        minibatch_noise_covariance([[np.nan]], [1.0], 1)
