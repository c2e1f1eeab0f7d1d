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


def test_nonzero_mean_residuals_closed_form_matches_enumeration():
    # premise audit: i.i.d. residuals uniform on {0, 2} (mean 1), bias + feature rows
    from theorylab.claims.tpv.sgd_noise_covariance.premises import (
        enumerated_expected_trace,
        expected_trace_two_point,
    )

    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 8):
        rows = np.column_stack([np.ones(n), rng.standard_normal(n)])
        closed = expected_trace_two_point(rows, (0.0, 2.0), 2)
        brute = enumerated_expected_trace(rows, (0.0, 2.0), 2)
        assert closed == pytest.approx(brute, rel=16 * 2**n * n * np.finfo(float).eps)


def test_nonzero_mean_minimal_counterexample_in_fractions():
    from fractions import Fraction

    from theorylab.claims.tpv.sgd_noise_covariance.premises import minimal_bias_instance
    from theorylab.errata.exact.tpv import CHECKS
    from theorylab.spec import Counterexample

    instance, claimed, actual = minimal_bias_instance()
    assert (claimed, actual) == (Fraction(2), Fraction(1, 2))  # relative error (n+1)/(n-1) = 3
    stored = CHECKS[("tpv.sgd_noise_covariance", "approximation_2_nonzero_mean")](
        Counterexample(instance=instance, message="")
    )
    assert stored.refutes and stored.actual.startswith("E Tr Sigma_xi = 1/2")
    # zero-mean residuals {-1, 1} on the same rows: E Tr = 1/2, Eq. 54 = 1 (error 1/(n-1) = 1)
    zero_mean = CHECKS[("tpv.sgd_noise_covariance", "approximation_2_nonzero_mean")](
        Counterexample(instance={**instance, "residual_values": [-1, 1]}, message="")
    )
    assert zero_mean.actual.startswith("E Tr Sigma_xi = 1/2 (relative error 1)")


def test_nonzero_mean_check_refutes_the_error_law():
    from theorylab.checks import CheckContext
    from theorylab.claims.tpv.sgd_noise_covariance.premises import approximation_2_nonzero_mean
    from theorylab.spec import Verdict

    finding = approximation_2_nonzero_mean(CheckContext(seed=0))
    assert finding.verdict is Verdict.REFUTED
    assert finding.counterexample.actual == "1/2"
    assert finding.details["errors"][-1] == pytest.approx(1 / 3, rel=0.1)
