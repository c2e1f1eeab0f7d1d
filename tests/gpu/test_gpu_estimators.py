import pytest

torch = pytest.importorskip("torch")

from gpu_oracles import cross_entropy_per_sample, dense_hessian, mean_of, random_matrix  # noqa: E402

from theorylab.errors import ParameterError, ShapeError  # noqa: E402
from theorylab.gpu import (  # noqa: E402
    EffectiveCurvatureOperator,
    GGNOperator,
    GradientCovarianceOperator,
    HessianOperator,
    OutputJacobianOperator,
    exact_trace,
    hutchinson_trace,
    hutchpp_trace,
    lanczos_eigenpairs,
    power_iteration_eigenpairs,
    slq_spectral_density,
    slq_trace,
    top_hessian_eigenpairs,
)

F64 = torch.float64
@pytest.fixture(scope="module")
def hessian(problem):
    model, X, y = problem
    operator = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=F64)
    return operator, operator.to_dense()


@pytest.mark.parametrize("cls", [EffectiveCurvatureOperator, GGNOperator])
def test_exact_trace_equals_dense_trace_oracle(problem, cls):
    model, X, y = problem
    operator = cls.from_model(model, X, y, loss="cross_entropy", dtype=F64, chunk_size=5)
    result = exact_trace(operator)
    expected = float(torch.trace(operator.to_dense()))
    assert abs(result.value - expected) <= 1e-10 * expected
    assert (result.stderr, result.method) == (0.0, "exact")


def test_exact_trace_of_scaled_covariance_equals_dense_trace_oracle(problem):
    model, X, y = problem
    operator = GradientCovarianceOperator.from_model(
        model, X, y, loss="cross_entropy", dtype=F64, batch_size=4, replacement=False
    )
    expected = float(torch.trace(operator.to_dense()))
    assert abs(exact_trace(operator).value - expected) <= 1e-10 * expected


def test_exact_trace_generic_fallback_uses_p_matvecs(hessian):
    operator, dense = hessian
    result = exact_trace(operator)
    assert abs(result.value - float(torch.trace(dense))) <= 1e-10 * abs(float(torch.trace(dense)))
    assert result.matvecs == operator.shape[0]


def test_hutchinson_converges_within_400_matvecs_monte_carlo_oracle(hessian):
    """Oracle: dense trace; the error must lie within 4 standard errors and 10%."""
    operator, dense = hessian
    truth = float(torch.trace(dense))
    result = hutchinson_trace(operator, matvecs=400, seed=3)
    assert result.matvecs == 400
    assert abs(result.value - truth) <= 4 * result.stderr
    assert abs(result.value - truth) <= 0.1 * abs(truth)


def test_hutchinson_adaptive_stops_at_relative_stderr(problem):
    model, X, _ = problem
    operator = EffectiveCurvatureOperator.from_model(model, X, dtype=F64)
    result = hutchinson_trace(operator, matvecs=300, seed=4, relative_tolerance=0.1)
    assert result.stderr <= 0.1 * abs(result.value)
    assert result.matvecs < 300


def test_hutchpp_is_exact_on_low_rank_effective_curvature_within_30_matvecs(problem):
    """Oracle: dense trace. H_eff has rank <= n K = 6 < matvecs/3, so Hutch++ is exact."""
    model, X, _ = problem
    operator = EffectiveCurvatureOperator.from_model(model, X[:2], dtype=F64)
    truth = float(torch.trace(operator.to_dense()))
    result = hutchpp_trace(operator, matvecs=30, seed=5)
    assert abs(result.value - truth) <= 1e-9 * truth
    assert result.matvecs == 30


def test_estimators_are_deterministic_given_seed(hessian):
    operator, _ = hessian
    assert hutchinson_trace(operator, matvecs=20, seed=7) == hutchinson_trace(
        operator, matvecs=20, seed=7
    )
    first, second = (lanczos_eigenpairs(operator, 2, seed=8) for _ in range(2))
    assert torch.equal(first.eigenvalues, second.eigenvalues)


def test_lanczos_top_k_matches_dense_eigh_oracle_with_small_residuals(hessian):
    operator, dense = hessian
    result = lanczos_eigenpairs(operator, 4, tolerance=1e-8, seed=9)
    expected = torch.linalg.eigvalsh(dense).flip(0)[:4]
    assert torch.allclose(result.eigenvalues, expected, rtol=1e-8, atol=0)
    assert result.converged
    assert bool((result.relative_residuals <= 1e-7).all())
    assert torch.all(result.eigenvalues[:-1] >= result.eigenvalues[1:])
    gram = result.eigenvectors.T @ result.eigenvectors
    assert torch.allclose(gram, torch.eye(4, dtype=F64), atol=1e-10)


def test_power_iteration_baseline_matches_dense_eigh_oracle(problem):
    model, X, _ = problem
    operator = EffectiveCurvatureOperator.from_model(model, X, dtype=F64)
    expected = torch.linalg.eigvalsh(operator.to_dense()).flip(0)[:2]
    result = power_iteration_eigenpairs(operator, 2, tolerance=1e-6, max_iterations=3000, seed=10)
    assert torch.allclose(result.eigenvalues, expected, rtol=1e-6)
    assert result.method == "power"


def test_power_iteration_out_of_iterations_returns_unit_rayleigh_pairs(problem):
    """Oracle: the returned vectors are unit, and each value is its vector's Rayleigh quotient.

    Regression: when ``max_iterations`` ran out the last, unnormalised product was returned.
    """
    model, X, _ = problem
    operator = EffectiveCurvatureOperator.from_model(model, X, dtype=F64)
    dense = operator.to_dense()
    result = power_iteration_eigenpairs(operator, 2, tolerance=1e-14, max_iterations=2, seed=10)
    norms = torch.linalg.vector_norm(result.eigenvectors, dim=0)
    assert torch.allclose(norms, torch.ones(2, dtype=F64), atol=1e-12)
    first = result.eigenvectors[:, 0]
    assert torch.allclose(result.eigenvalues[0], first @ dense @ first, rtol=1e-10)


def test_top_hessian_eigenpairs_logistic_regression_closed_form():
    """Oracle: eigenvalues of X^T diag(p(1-p)) X / n, computed by hand."""
    X = random_matrix(20, 4, seed=11)
    y = (random_matrix(20, 1, seed=12)[:, 0] > 0).to(F64)
    model = torch.nn.Linear(4, 1, bias=False).double()
    p = torch.sigmoid(X @ model.weight.detach()[0])
    expected = torch.linalg.eigvalsh(X.T @ torch.diag(p * (1 - p)) @ X / 20).flip(0)[:2]
    result = top_hessian_eigenpairs(model, "binary_cross_entropy", X, y, k=2, tolerance=1e-10)
    assert torch.allclose(result.eigenvalues, expected, rtol=1e-9)


def test_top_hessian_eigenpairs_mlp_matches_dense_oracle(problem):
    model, X, y = problem
    dense = dense_hessian(model, mean_of(cross_entropy_per_sample), X, y)
    result = top_hessian_eigenpairs(model, "cross_entropy", X, y, k=3, dtype=F64, tolerance=1e-9)
    assert torch.allclose(result.eigenvalues, torch.linalg.eigvalsh(dense).flip(0)[:3], rtol=1e-8)


def test_slq_trace_of_square_within_4_stderr_of_frobenius_oracle(hessian):
    operator, dense = hessian
    truth = float((dense * dense).sum())
    # Gauss quadrature with m steps is exact for degree <= 2m - 1, so 3 steps suffice for t^2.
    result = slq_trace(operator, torch.square, probes=20, steps=3, seed=13)
    assert abs(result.value - truth) <= 4 * result.stderr + 1e-10 * truth


def test_slq_spectral_density_integrates_to_one(hessian):
    operator, _ = hessian
    result = slq_spectral_density(operator, probes=4, steps=20, seed=14, grid_points=2000)
    mass = float(torch.trapezoid(result.density, result.grid))
    assert abs(mass - 1) <= 1e-3
    assert torch.allclose(result.weights.sum(1), torch.ones(4, dtype=F64))


def test_estimators_reject_bad_input(problem, hessian):
    operator, _ = hessian
    model, X, _ = problem
    jacobian = OutputJacobianOperator.from_model(model, X, dtype=F64)
    with pytest.raises(ShapeError):
        hutchinson_trace(jacobian)
    with pytest.raises(ShapeError):
        lanczos_eigenpairs(jacobian, 1)
    with pytest.raises(ParameterError):
        lanczos_eigenpairs(operator, 0)
    with pytest.raises(ParameterError):
        hutchinson_trace(operator, matvecs=1)
