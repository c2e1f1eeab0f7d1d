"""Paper 002, Theorem 3.1: the quadratic regression model's exact moments (oracles named)."""

import numpy as np
import pytest

from theorylab.errors import NonFiniteError, ParameterError, ShapeError
from theorylab.solvers.quadratic_regression import (
    eigenvalue_derivatives_formula,
    eq17_printed_batch_gap,
    exact_eigenvalue_derivatives,
    minibatch_masks,
    quadratic_model_curvature,
    random_quadratic_curvature,
    simulate_eigenvalue_derivatives,
    singular_triples,
    two_step_estimates,
)

MINIMAL = [[1.0], [0.0]]


def test_minimal_instance_by_hand():
    """Oracle: hand computation at D = 2, P = 1, J = (1, 0)ᵀ, η = 1 (V = V_z = 1).

    Eq. 16: P V_z tr(JJᵀ/D) η² V / B = 1/2 at B = 1; the exact batch gap is
    -(1 - 1/2)(1/4) σ [(P + 1)σ² - ½ v²(JᵀJ)] = -(1/8)(2 - 1/2) = -3/16; Eq. 17 prints -1/4.
    """
    small = exact_eigenvalue_derivatives(MINIMAL, 1.0, 1)
    full = exact_eigenvalue_derivatives(MINIMAL, 1.0, 2)
    assert small.first == pytest.approx(0.5, abs=1e-14)
    assert full.first == pytest.approx(0.25, abs=1e-14)
    assert small.second - full.second == pytest.approx(-3 / 16, abs=1e-14)
    assert eigenvalue_derivatives_formula(MINIMAL, 1.0, 1) == pytest.approx((0.5, -3 / 16))
    assert eq17_printed_batch_gap(MINIMAL, 1.0, 1) == pytest.approx(-0.25)


@pytest.mark.parametrize("shape", [(2, 3), (3, 2), (4, 3), (3, 4)])
def test_enumeration_matches_closed_forms(shape):
    """Oracle: brute force (every batch pair, exact moments) vs the closed forms."""
    rng = np.random.default_rng(sum(shape))
    jacobian = rng.standard_normal(shape)
    variances = rng.uniform(0.2, 2.0, shape[0])
    for batch in range(1, shape[0] + 1):
        for mode in range(min(shape)):
            kwargs = {"curvature_variances": variances, "residual_variance": 0.7}
            small = exact_eigenvalue_derivatives(jacobian, 0.6, batch, mode, **kwargs)
            full = exact_eigenvalue_derivatives(jacobian, 0.6, shape[0], mode, **kwargs)
            first, gap = eigenvalue_derivatives_formula(jacobian, 0.6, batch, mode, **kwargs)
            assert small.first == pytest.approx(first, rel=1e-10)
            assert small.second - full.second == pytest.approx(gap, rel=1e-9, abs=1e-13)


def test_gap_is_exactly_cubic_in_eta():
    """Oracle: polynomial interpolation in η of the enumerated gap (no η⁴ term)."""
    rng = np.random.default_rng(3)
    jacobian = rng.standard_normal((3, 3))
    etas = np.array([0.25, 0.5, 1.0, 1.5, 2.0])
    gaps = [
        exact_eigenvalue_derivatives(jacobian, eta, 1).second
        - exact_eigenvalue_derivatives(jacobian, eta, 3).second
        for eta in etas
    ]
    coefficients = np.linalg.solve(np.vander(etas, 5, increasing=True), gaps)
    assert np.allclose(coefficients[[0, 1, 2, 4]], 0.0, atol=1e-10)
    assert coefficients[3] == pytest.approx(eigenvalue_derivatives_formula(jacobian, 1.0, 1)[1])


def test_moment_rule_premise_degree_at_most_three():
    """Oracle: 4th finite differences of Δ2σ̂ along lines in z and in Q vanish (degree ≤ 3)."""
    rng = np.random.default_rng(4)
    jacobian = rng.standard_normal((3, 4))
    left = singular_triples(jacobian)[0]
    masks = minibatch_masks(3, 1)
    direction_q = quadratic_model_curvature(left, rng.standard_normal((3, 4, 4)))
    direction_z = rng.standard_normal(3)
    base_z = rng.standard_normal(3)
    steps = np.arange(5.0)

    def along_z(t):
        return two_step_estimates(
            jacobian, direction_q, (base_z + t * direction_z)[None], masks, masks, 0.7, 1, 0
        )[1]

    def along_q(t):
        return two_step_estimates(jacobian, t * direction_q, base_z[None], masks, masks, 0.7, 1, 0)[
            1
        ]

    for curve in (along_z, along_q):
        values = np.array([curve(t) for t in steps])
        fourth = values[4] - 4 * values[3] + 6 * values[2] - 4 * values[1] + values[0]
        assert np.max(np.abs(fourth)) < 1e-9 * (1 + np.max(np.abs(values)))


def test_monte_carlo_agrees_with_enumeration():
    """Oracle: direct simulation (Gaussian Q and z, sampled batches) within 4 stderr."""
    rng = np.random.default_rng(5)
    jacobian = rng.standard_normal((3, 2))
    exact = exact_eigenvalue_derivatives(jacobian, 0.8, 2)
    sampled = simulate_eigenvalue_derivatives(jacobian, 0.8, 2, 0, 40_000, rng)
    assert abs(sampled.first - exact.first) < 4 * sampled.first_stderr
    assert abs(sampled.second - exact.second) < 4 * sampled.second_stderr


def test_bad_inputs_raise_typed_errors():
    with pytest.raises(ParameterError):
        exact_eigenvalue_derivatives(MINIMAL, 1.0, 0)
    with pytest.raises(ParameterError):
        exact_eigenvalue_derivatives(MINIMAL, 1.0, 1, mode=1)
    with pytest.raises(ParameterError):
        eigenvalue_derivatives_formula(MINIMAL, -1.0, 1)
    with pytest.raises(ParameterError):
        eigenvalue_derivatives_formula(MINIMAL, 1.0, 1, curvature_variances=[-1.0, 1.0])
    with pytest.raises(NonFiniteError):
        eigenvalue_derivatives_formula([[np.nan], [0.0]], 1.0, 1)
    with pytest.raises(ShapeError):
        eigenvalue_derivatives_formula(MINIMAL, 1.0, 1, curvature_variances=[1.0])
    with pytest.raises(ParameterError, match="too large"):
        exact_eigenvalue_derivatives(np.ones((12, 12)), 1.0, 6)
    with pytest.raises(ParameterError):
        simulate_eigenvalue_derivatives(MINIMAL, 1.0, 1, 0, 1, np.random.default_rng(0))


def test_trajectories_match_a_plain_loop_at_full_batch():
    """Oracle: a per-model loop of Eq. 12 written out directly (B = D is deterministic)."""
    from theorylab.solvers.quadratic_regression import ntk_top_eigenvalue_trajectories

    rng = np.random.default_rng(6)
    jacobians = rng.standard_normal((3, 4, 5)) / np.sqrt(5)
    curvatures = 0.1 * rng.standard_normal((3, 4, 5, 5))
    curvatures = curvatures + curvatures.transpose(0, 1, 3, 2)
    residuals = rng.standard_normal((3, 4))
    out = ntk_top_eigenvalue_trajectories(jacobians, curvatures, residuals, 0.3, 4, 3, rng)
    for model in range(3):
        j0, q, z0 = jacobians[model], curvatures[model], residuals[model]
        theta = np.zeros(5)
        for step in range(4):
            jacobian = j0 + np.einsum("dpq,q->dp", q, theta)
            top = np.linalg.eigvalsh(jacobian @ jacobian.T / 4)[-1]
            assert out[step, model] == pytest.approx(top, rel=1e-12)
            residual = z0 + j0 @ theta + 0.5 * np.einsum("dpq,p,q->d", q, theta, theta)
            theta = theta - 0.3 / 4 * jacobian.T @ residual
    with pytest.raises(ShapeError):
        ntk_top_eigenvalue_trajectories(jacobians, curvatures[:2], residuals, 0.3, 4, 3, rng)
    with pytest.raises(ParameterError):
        ntk_top_eigenvalue_trajectories(jacobians, curvatures, residuals, 0.3, 4, -1, rng)
    with pytest.raises(ParameterError):
        random_quadratic_curvature(np.eye(2), [1.0, -1.0], 3, rng)
