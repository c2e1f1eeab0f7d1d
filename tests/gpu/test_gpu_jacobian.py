import pytest

torch = pytest.importorskip("torch")

from gpu_oracles import assert_close, dense_jacobian, random_matrix  # noqa: E402

from theorylab.errors import (  # noqa: E402
    BackendUnavailableError,
    MemoryBudgetError,
    NonFiniteError,
    ParameterError,
    ShapeError,
)
from theorylab.gpu import (  # noqa: E402
    MLP,
    SmallCNN,
    TinyTransformer,
    effective_curvature_trace,
    ntk_gram,
    output_jacobian,
)

F64 = torch.float64


def test_output_jacobian_scalar_matches_dense_jacrev_oracle():
    model = MLP(3, width=5, depth=2, seed=0)
    X = random_matrix(7, 3, seed=1)
    J = output_jacobian(model, X, dtype=F64, chunk_size=3)
    assert J.shape == (7, 5 * 3 + 5 + 5 * 5 + 5 + 5 + 1)
    assert_close(J, dense_jacobian(model, X))


@pytest.mark.parametrize("width", [1, 4])
def test_output_jacobian_vector_output_matches_dense_jacrev_oracle(width):
    model = MLP(2, width=width, depth=3, output_dim=3, activation="tanh", seed=2)
    X = random_matrix(5, 2, seed=3)
    J = output_jacobian(model, X, dtype=F64, chunk_size=2)
    assert J.shape[:2] == (5, 3)
    assert_close(J.reshape(15, -1), dense_jacobian(model, X))


def test_output_jacobian_linear_regression_closed_form_is_x():
    model = torch.nn.Linear(4, 1, bias=False)
    X = random_matrix(6, 4, seed=4)
    assert_close(output_jacobian(model, X, dtype=F64), X)


def test_output_jacobian_deep_linear_closed_form():
    """Oracle: f = w2 W1 x  =>  df/dW1 = w2^T x^T (outer product), df/dw2 = W1 x."""
    model = MLP(3, width=2, depth=1, activation="identity", bias=False, seed=5).double()
    W1, w2 = model[0].weight.detach(), model[2].weight.detach()
    X = random_matrix(4, 3, seed=6)
    expected = torch.cat([torch.einsum("o,nd->nod", w2[0], X).reshape(4, -1), X @ W1.T], dim=1)
    assert_close(output_jacobian(model, X), expected)


def test_parameter_subset_by_prefix_names_and_objects_agree_with_dense_oracle():
    model = MLP(3, width=4, depth=1, seed=7)
    X = random_matrix(5, 3, seed=8)
    expected = dense_jacobian(model, X, names=["2.weight", "2.bias"])
    by_prefix = output_jacobian(model, X, parameters="2", dtype=F64)
    by_names = output_jacobian(model, X, parameters=["2.weight", "2.bias"], dtype=F64)
    by_objects = output_jacobian(model, X, parameters=list(model[2].parameters()), dtype=F64)
    for J in (by_prefix, by_names, by_objects):
        assert_close(J, expected)


def test_ntk_gram_equals_j_jt_dense_oracle_cached_and_blockwise():
    model = MLP(3, width=4, depth=2, output_dim=2, seed=9)
    X = random_matrix(7, 3, seed=10)
    J = dense_jacobian(model, X)
    cached = ntk_gram(model, X, dtype=F64, chunk_size=3)
    blockwise = ntk_gram(model, X, dtype=F64, chunk_size=3, memory_budget=14 * 14 * 8 + 100)
    assert_close(cached, J @ J.T)
    assert_close(blockwise, J @ J.T)


def test_effective_curvature_trace_linear_closed_form_frobenius_over_n():
    model = torch.nn.Linear(3, 1)
    X = random_matrix(9, 3, seed=11)
    expected = (X.square().sum() + 9) / 9  # bias contributes 1 per sample
    result = effective_curvature_trace(model, X, dtype=F64, chunk_size=4)
    assert abs(result.value - float(expected)) <= 1e-12 * float(expected)
    assert result.stderr == 0.0
    assert result.method == "exact"


def test_effective_curvature_trace_matches_dense_oracle_vector_output():
    model = MLP(2, width=3, depth=2, output_dim=3, seed=12)
    X = random_matrix(6, 2, seed=13)
    J = dense_jacobian(model, X)
    value = effective_curvature_trace(model, X, dtype=F64).value
    assert abs(value - float(J.square().sum()) / 6) <= 1e-12 * value


def test_model_training_flag_is_restored_and_model_unchanged():
    model = MLP(2, width=3, depth=1, seed=14)
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    output_jacobian(model, random_matrix(3, 2, seed=15), dtype=F64)
    assert model.training
    assert all(m.training for m in model.modules())
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_cnn_and_transformer_jacobians_match_dense_oracle():
    cnn = SmallCNN(channels=2, seed=0)
    images = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(1), dtype=F64)
    assert_close(
        output_jacobian(cnn, images, dtype=F64).reshape(30, -1), dense_jacobian(cnn, images)
    )
    transformer = TinyTransformer(vocab_size=5, dim=4, heads=2, max_length=4, seed=2)
    tokens = torch.randint(0, 5, (3, 4), generator=torch.Generator().manual_seed(3))
    assert_close(
        output_jacobian(transformer, tokens, dtype=F64).reshape(15, -1),
        dense_jacobian(transformer, tokens),
    )


def test_memory_budget_error_for_dense_requests():
    model = MLP(10, width=32, depth=2, seed=0)
    X = random_matrix(50, 10, seed=1)
    with pytest.raises(MemoryBudgetError, match="memory budget"):
        output_jacobian(model, X, memory_budget=1024)
    with pytest.raises(MemoryBudgetError):
        ntk_gram(model, X, memory_budget=1024)


def test_bad_inputs_raise_typed_errors():
    model = MLP(3, width=2, depth=1, seed=0)
    X = random_matrix(4, 3, seed=1)
    nan_inputs = X.clone()
    nan_inputs[0, 0] = float("nan")
    with pytest.raises(NonFiniteError):
        output_jacobian(model, nan_inputs)
    with pytest.raises(ShapeError):
        output_jacobian(model, torch.zeros(0, 3))
    with pytest.raises(ParameterError):
        output_jacobian(model, random_matrix(2, 3, seed=0), parameters="nonexistent")
    with pytest.raises(ParameterError):
        output_jacobian("not a model", X)
    with pytest.raises(ParameterError):
        output_jacobian(model, X, chunk_size=0)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error path")
def test_cuda_request_without_cuda_raises_backend_unavailable():
    with pytest.raises(BackendUnavailableError):
        output_jacobian(MLP(2, 2, 1), torch.zeros(1, 2), device="cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_jacobian_matches_cpu_dense_oracle():
    model = MLP(3, width=5, depth=2, seed=0)
    X = random_matrix(6, 3, seed=1)
    J = output_jacobian(model, X, device="auto", dtype=F64)
    assert J.device.type == "cuda"
    assert_close(J.cpu(), dense_jacobian(model, X))
