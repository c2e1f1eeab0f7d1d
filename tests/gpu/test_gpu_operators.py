import pytest

torch = pytest.importorskip("torch")

import numpy as np  # noqa: E402
from gpu_oracles import (  # noqa: E402
    assert_close,
    cross_entropy_per_sample,
    dense_hessian,
    dense_jacobian,
    dense_per_sample_gradients,
    float64_copy,
    mean_of,
    mse_per_sample,
    random_matrix,
)

from theorylab.errors import MemoryBudgetError, NonFiniteError, ParameterError, ShapeError  # noqa: E402
from theorylab.gpu import (  # noqa: E402
    MLP,
    EffectiveCurvatureOperator,
    GGNOperator,
    GradientCovarianceOperator,
    HessianOperator,
    NTKOperator,
    OutputJacobianOperator,
    SmallCNN,
    TinyTransformer,
    per_sample_hessians,
)

F64 = torch.float64
N, D, K = 7, 3, 3


@pytest.fixture(scope="module")
def regression():
    model = MLP(D, width=4, depth=2, output_dim=K, activation="tanh", seed=0)
    return model, random_matrix(N, D, seed=1), random_matrix(N, K, seed=2)


@pytest.fixture(scope="module")
def classification():
    model = MLP(D, width=4, depth=2, output_dim=K, activation="tanh", seed=3)
    labels = torch.randint(0, K, (N,), generator=torch.Generator().manual_seed(4))
    return model, random_matrix(N, D, seed=5), labels


def build(cls, model, inputs, targets=None, loss="mse", **options):
    return cls.from_model(model, inputs, targets, loss=loss, dtype=F64, chunk_size=3, **options)


# --- dense torch.func oracle tier -------------------------------------------------------


def test_jacobian_operator_and_adjoint_match_dense_jacrev_oracle(regression):
    model, X, _ = regression
    J = build(OutputJacobianOperator, model, X)
    expected = dense_jacobian(model, X)
    assert_close(J.to_dense(), expected)
    assert_close(J.T.to_dense(), expected.T)


def test_effective_curvature_matches_dense_jt_j_over_n_oracle(regression):
    model, X, _ = regression
    J = dense_jacobian(model, X)
    assert_close(build(EffectiveCurvatureOperator, model, X).to_dense(), J.T @ J / N)


def test_ggn_mse_equals_effective_curvature_oracle(regression):
    model, X, Y = regression
    J = dense_jacobian(model, X)
    assert_close(build(GGNOperator, model, X, Y).to_dense(), J.T @ J / N)


def test_ggn_cross_entropy_matches_softmax_output_hessian_oracle(classification):
    """Oracle: J^T blockdiag(diag(p_i) - p_i p_i^T) J / n with dense J and softmax p."""
    model, X, y = classification
    J = dense_jacobian(model, X).reshape(N, K, -1)
    p = torch.softmax(float64_copy(model)(X), dim=1).detach()
    output_hessians = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    expected = torch.einsum("nkp,nkl,nlq->pq", J, output_hessians, J) / N
    assert_close(build(GGNOperator, model, X, y, loss="cross_entropy").to_dense(), expected)


@pytest.mark.parametrize(
    ("loss", "per_sample"), [("mse", mse_per_sample), ("cross_entropy", cross_entropy_per_sample)]
)
def test_hessian_operator_matches_dense_torch_func_hessian_oracle(
    regression, classification, loss, per_sample
):
    model, X, targets = regression if loss == "mse" else classification
    expected = dense_hessian(model, mean_of(per_sample), X, targets)
    assert_close(build(HessianOperator, model, X, targets, loss=loss).to_dense(), expected)


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_hessian_reverse_mode_matches_independent_forward_over_reverse(
    regression, classification, loss
):
    """The default double-backward HVP shares its method with the dense oracle above, so
    it is also checked against forward-over-reverse (``jvp`` of ``grad``), a different path."""
    model, X, targets = regression if loss == "mse" else classification
    reverse = build(HessianOperator, model, X, targets, loss=loss).to_dense()
    forward = build(HessianOperator, model, X, targets, loss=loss, mode="forward").to_dense()
    assert_close(reverse, forward)


def test_hessian_operator_with_callable_loss_matches_dense_oracle(regression):
    model, X, Y = regression
    expected = dense_hessian(model, torch.nn.functional.mse_loss, X, Y)
    operator = build(HessianOperator, model, X, Y, loss=torch.nn.functional.mse_loss)
    assert_close(operator.to_dense(), expected)


@pytest.mark.parametrize(
    ("centered", "batch_size", "replacement", "factor"),
    [
        (False, None, True, 1.0),
        (True, None, True, 1.0),
        (True, 2, True, 1 / 2),
        (True, 2, False, (N - 2) / (2 * (N - 1))),
    ],
)
def test_gradient_covariance_matches_dense_per_sample_gradient_oracle(
    classification, centered, batch_size, replacement, factor
):
    """Oracle: G from jacrev of per-sample losses; C = G^T G / n, Sigma = C - g g^T."""
    model, X, y = classification
    G = dense_per_sample_gradients(model, cross_entropy_per_sample, X, y)
    mean = G.mean(0)
    expected = G.T @ G / N - (torch.outer(mean, mean) if centered else 0)
    operator = build(
        GradientCovarianceOperator,
        model,
        X,
        y,
        loss="cross_entropy",
        centered=centered,
        batch_size=batch_size,
        replacement=replacement,
    )
    assert_close(operator.to_dense(), factor * expected)


def test_ntk_operator_matches_dense_j_jt_oracle(regression):
    model, X, _ = regression
    J = dense_jacobian(model, X)
    assert_close(build(NTKOperator, model, X).to_dense(), J @ J.T)


def test_per_sample_hessians_match_per_sample_torch_func_hessian_oracle(classification):
    model, X, y = classification
    result = per_sample_hessians(model, X, y, loss="cross_entropy", dtype=F64, chunk_size=3)
    for i in range(N):
        sample = slice(i, i + 1)
        expected = dense_hessian(model, mean_of(cross_entropy_per_sample), X[sample], y[sample])
        assert_close(result[i], expected)
    full = dense_hessian(model, mean_of(cross_entropy_per_sample), X, y)
    assert_close(result.mean(0), full)


def test_cnn_ggn_and_transformer_hessian_match_dense_oracles():
    cnn = SmallCNN(channels=2, seed=0)
    images = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1), dtype=F64)
    labels = torch.tensor([0, 3, 9])
    J = dense_jacobian(cnn, images).reshape(3, 10, -1)
    p = torch.softmax(float64_copy(cnn)(images), dim=1).detach()
    output_hessians = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    expected = torch.einsum("nkp,nkl,nlq->pq", J, output_hessians, J) / 3
    ggn = build(GGNOperator, cnn, images, labels, loss="cross_entropy", parameters="head.bias")
    assert_close(ggn.to_dense(), expected[-10:, -10:])  # head.bias is the last parameter
    transformer = TinyTransformer(vocab_size=4, dim=4, heads=2, max_length=3, seed=2)
    tokens = torch.randint(0, 4, (3, 3), generator=torch.Generator().manual_seed(3))
    targets = torch.tensor([1, 0, 3])
    names = [n for n, _ in transformer.named_parameters() if n.startswith("blocks.0.attention.out")]
    expected = dense_hessian(
        transformer, mean_of(cross_entropy_per_sample), tokens, targets, names=names
    )
    operator = build(
        HessianOperator, transformer, tokens, targets, loss="cross_entropy", parameters=names
    )
    assert_close(operator.to_dense(), expected)


def test_per_sample_hessians_with_layernorm_match_double_reverse_oracle():
    """Regression: vmap(hessian) through an affine LayerNorm is wrong in torch 2.13."""
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.LayerNorm(4), torch.nn.Tanh(), torch.nn.Linear(4, 2)
    )
    X, Y = random_matrix(4, 3, seed=20), random_matrix(4, 2, seed=21)
    result = per_sample_hessians(model, X, Y, dtype=F64)
    assert_close(result.mean(0), dense_hessian(model, mean_of(mse_per_sample), X, Y))


# --- hand-derived closed-form tier -------------------------------------------------------


def test_linear_regression_closed_form_h_equals_xtx_over_n():
    X, y = random_matrix(8, 4, seed=6), random_matrix(8, 1, seed=7)[:, 0]
    model = torch.nn.Linear(4, 1, bias=False)
    for cls in (HessianOperator, GGNOperator, EffectiveCurvatureOperator):
        assert_close(build(cls, model, X, y).to_dense(), X.T @ X / 8)
    assert_close(build(OutputJacobianOperator, model, X).to_dense(), X)


def test_logistic_regression_closed_form_hessian_xt_diag_p1mp_x_over_n():
    X = random_matrix(9, 3, seed=8)
    y = (random_matrix(9, 1, seed=9)[:, 0] > 0).to(F64)
    model = torch.nn.Linear(3, 1, bias=False).double()
    p = torch.sigmoid(X @ model.weight.detach()[0])
    expected = X.T @ torch.diag(p * (1 - p)) @ X / 9
    for cls in (HessianOperator, GGNOperator):
        assert_close(build(cls, model, X, y, loss="binary_cross_entropy").to_dense(), expected)


def test_deep_linear_net_closed_form_effective_curvature():
    """Oracle: f = w2 W1 x; J_i = [w2 ⊗ x_i, W1 x_i], H_eff = J^T J / n by hand."""
    model = MLP(3, width=2, depth=1, activation="identity", bias=False, seed=10).double()
    W1, w2 = model[0].weight.detach(), model[2].weight.detach()
    X = random_matrix(5, 3, seed=11)
    J = torch.cat([torch.einsum("o,nd->nod", w2[0], X).reshape(5, -1), X @ W1.T], dim=1)
    assert_close(build(EffectiveCurvatureOperator, model, X).to_dense(), J.T @ J / 5)


# --- behaviour ---------------------------------------------------------------------------


def test_applying_twice_gives_identical_results_and_matrix_columns_agree(classification):
    model, X, y = classification
    operator = build(HessianOperator, model, X, y, loss="cross_entropy")
    V = random_matrix(operator.shape[1], 3, seed=12)
    first, second = operator @ V, operator @ V
    assert torch.equal(first, second)
    assert_close(first[:, 1], operator @ V[:, 1])


def test_to_scipy_bridge_is_float64_numpy_and_matches_dense(regression):
    model, X, _ = regression
    J = build(OutputJacobianOperator, model, X)
    dense = J.to_dense().numpy()
    linear = J.to_scipy()
    v, u = np.linspace(-1, 1, J.shape[1]), np.linspace(0, 1, J.shape[0])
    assert linear.dtype == np.float64
    np.testing.assert_allclose(linear.matvec(v), dense @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(linear.rmatvec(u), dense.T @ u, rtol=1e-10, atol=1e-12)


def test_bad_inputs_raise_typed_errors(classification):
    model, X, y = classification
    operator = build(GGNOperator, model, X, y, loss="cross_entropy")
    with pytest.raises(ShapeError):
        operator @ torch.ones(operator.shape[1] + 1, dtype=F64)
    with pytest.raises(NonFiniteError):
        operator @ torch.full((operator.shape[1],), float("nan"), dtype=F64)
    with pytest.raises(ParameterError):
        build(GGNOperator, model, X, y + K, loss="cross_entropy")
    with pytest.raises(ShapeError):
        build(HessianOperator, model, X)  # targets missing
    with pytest.raises(ShapeError):
        build(HessianOperator, model, X, y[:-1], loss="cross_entropy")
    with pytest.raises(ParameterError):
        build(HessianOperator, model, X, y, loss="hinge")
    with pytest.raises(ParameterError):
        build(
            GradientCovarianceOperator,
            model,
            X,
            y,
            loss="cross_entropy",
            batch_size=N + 1,
            replacement=False,
        )
    with pytest.raises(MemoryBudgetError):
        operator.to_dense(memory_budget=64)
