"""Curvature at scale: contiguous Lanczos, blocked exact Hessian trace, HVP graph reuse,
budget-chosen NTK Gram groups and operator-time accounting (issue 19)."""

import math

import pytest

torch = pytest.importorskip("torch")

from gpu_oracles import (  # noqa: E402
    assert_close,
    cross_entropy_per_sample,
    dense_hessian,
    dense_jacobian,
    mean_of,
    random_matrix,
)

from theorylab.errors import MemoryBudgetError, ParameterError  # noqa: E402
from theorylab.gpu import MLP, HessianOperator, exact_trace, lanczos_eigenpairs, ntk_gram  # noqa: E402
from theorylab.gpu.instrument import TimedOperator, time_split  # noqa: E402
from theorylab.gpu.lanczos import lanczos_iteration  # noqa: E402

F64 = torch.float64
@pytest.fixture(scope="module")
def oracle(problem):
    """Dense loss Hessian by plain double-reverse autograd (independent of the operators)."""
    model, X, y = problem
    return dense_hessian(model, mean_of(cross_entropy_per_sample), X, y)


def test_lanczos_basis_rows_are_contiguous_and_orthonormal(problem, oracle):
    model, X, y = problem
    operator = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=F64)
    start = torch.randn(operator.shape[0], generator=torch.Generator().manual_seed(3),
                        dtype=F64)
    state = lanczos_iteration(operator, start, 12)
    m = len(state.alphas)
    assert state.basis.shape == (m, operator.shape[0]) and state.basis[0].is_contiguous()
    # float64 full reorthogonalisation: orthonormal to a few hundred eps
    assert_close(state.basis @ state.basis.T, torch.eye(m, dtype=F64), rtol=1e-12)
    assert m <= state.passes <= 2 * m
    # the tridiagonal is the projection Q A Q^T
    assert_close(state.tridiagonal(), state.basis @ oracle @ state.basis.T, rtol=1e-10)


def test_lanczos_matches_dense_eigh_and_time_split_counts_products(problem, oracle):
    model, X, y = problem
    operator = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=F64)
    split = time_split(lambda op: lanczos_eigenpairs(op, 3, tolerance=1e-9, seed=4), operator)
    result = split.result
    expected = torch.linalg.eigvalsh(oracle).flip(0)[:3]
    assert torch.allclose(result.eigenvalues, expected, rtol=1e-8, atol=0)
    assert bool((result.relative_residuals <= 1e-8).all())
    assert split.products == result.matvecs
    assert 0.0 <= split.operator <= split.total and 0.0 <= split.own_fraction <= 1.0


@pytest.mark.parametrize("block", [None, 1, 4])
def test_exact_hessian_trace_blocked_equals_dense_autograd_trace(problem, oracle, block):
    model, X, y = problem
    operator = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=F64,
                                          chunk_size=5)
    result = exact_trace(operator, block=block)
    expected = float(torch.trace(oracle))
    # p = 38 float64 diagonal entries, each exact to ~1e-15 relative to ||H||
    assert abs(result.value - expected) <= 1e-12 * float(oracle.abs().max()) * oracle.shape[0]
    assert (result.matvecs, result.method, result.stderr) == (oracle.shape[0], "exact", 0.0)


def test_exact_hessian_trace_budget_sets_the_block(problem, oracle):
    model, X, y = problem
    operator = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=F64)
    p = operator.shape[0]
    result = exact_trace(operator, memory_budget=(3 + 2) * p * 8)  # room for blocks of 3
    assert abs(result.value - float(torch.trace(oracle))) <= 1e-12 * p * float(oracle.abs().max())
    with pytest.raises(MemoryBudgetError, match="memory budget"):
        exact_trace(operator, block=4, memory_budget=5 * p * 8)
    with pytest.raises(ParameterError):
        exact_trace(operator, block=0)


def test_exact_hessian_trace_at_p_1e5_raises_budget_error_before_any_product():
    model = MLP(64, width=300, depth=2, output_dim=10, seed=0)
    X = random_matrix(4, 64, seed=5).float()
    y = torch.zeros(4, dtype=torch.long)
    hessian = HessianOperator.from_model(model, X, y, loss="cross_entropy")
    p = hessian.shape[0]
    assert p > 100_000
    timed = TimedOperator(hessian)
    with pytest.raises(MemoryBudgetError, match=f"{3 * p * 4} bytes"):
        exact_trace(timed, memory_budget=2**20)
    assert timed.products == 0


def test_hvp_graph_reuse_equals_rebuilt_and_forward_products(problem, oracle):
    model, X, y = problem
    vector = torch.randn(oracle.shape[0], generator=torch.Generator().manual_seed(6), dtype=F64)
    single = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=F64)
    batched = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=F64,
                                         chunk_size=5, reuse_graph=True)
    rebuilt = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=F64,
                                         reuse_graph=False)
    forward = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=F64,
                                         mode="forward")
    assert single.reuse_graph and not rebuilt.reuse_graph
    assert not HessianOperator.from_model(model, X, y, loss="cross_entropy",
                                          chunk_size=5).reuse_graph  # auto: one batch only
    first, second = single @ vector, single @ vector  # the second product reuses the graph
    assert torch.equal(first, second)
    for product in (first, batched @ vector, rebuilt @ vector, forward @ vector):
        assert_close(product, oracle @ vector, rtol=1e-12)
    assert_close(single @ torch.stack([vector, 2 * vector], 1),
                 oracle @ torch.stack([vector, 2 * vector], 1), rtol=1e-12)
    with pytest.raises(ParameterError):
        HessianOperator.from_model(model, X, y, loss="cross_entropy", mode="forward",
                                   reuse_graph=True)


def test_ntk_gram_parameter_groups_equal_j_jt_and_compute_each_column_once(monkeypatch):
    import theorylab.gpu.jacobian as jacobian

    model = MLP(3, width=4, depth=2, output_dim=2, seed=9)
    X = random_matrix(7, 3, seed=10)
    J = dense_jacobian(model, X)
    rows, p = J.shape
    widths: list[int] = []
    groups: set[int] = set()
    original = jacobian.jacobian_chunks

    def counting(functional, *args, **kwargs):
        for chunk in original(functional, *args, **kwargs):
            widths.append(chunk.shape[0] * functional.num_parameters)
            groups.add(functional.num_parameters)
            yield chunk

    monkeypatch.setattr(jacobian, "jacobian_chunks", counting)
    # Gram (14 x 14) plus room for 24 Jacobian columns (of p = 47): several groups
    budget = rows * rows * 8 + 4 * rows * 24 * 8 // 3 + 8
    gram = ntk_gram(model, X, dtype=F64, memory_budget=budget)
    assert_close(gram, J @ J.T)
    assert sum(widths) == X.shape[0] * p  # every (sample, parameter) entry computed once
    assert len(groups) > 1 and max(groups) < p  # the budget did split the columns


def test_lanczos_stays_orthogonal_on_a_clustered_diagonal_spectrum():
    """Regression: folding alpha_j into the Gram-Schmidt pass diverged here within 40 steps.

    Oracle: Q Q^T = I. In float64 with p = 2000 and m = 45 steps, rounding in the inner
    products grows like m * sqrt(p) * eps ~ 4.5e-13, so 1e-12 is the bound.
    """
    from theorylab.gpu.linear_operator import CurvatureOperator

    size = 2000
    diagonal = torch.linspace(0, 1, size, dtype=F64) ** 8

    class Diagonal(CurvatureOperator):
        def __init__(self) -> None:
            super().__init__((size, size), F64, torch.device("cpu"), symmetric=True)

        def _matvec(self, vector):
            return diagonal * vector

    start = torch.randn(size, generator=torch.Generator().manual_seed(0), dtype=F64)
    state = lanczos_iteration(Diagonal(), start, 45)
    m = len(state.alphas)
    assert m == 45
    assert_close(state.basis @ state.basis.T, torch.eye(m, dtype=F64), rtol=1e-12)
    assert max(state.alphas) <= 1.0 and max(state.betas) <= 1.0  # ||A|| = 1


def test_sum_of_squares_in_pieces_equals_float64_sum_without_a_full_temporary():
    from theorylab.gpu.memory import _SQUARES_PIECE, sum_of_squares

    tensor = torch.randn(3 * _SQUARES_PIECE + 5, generator=torch.Generator().manual_seed(4))
    exact = float(tensor.double().square().sum())
    # each piece: a float32 cascade sum, relative error <= log2(piece) eps32 (Higham 4.2)
    bound = math.log2(_SQUARES_PIECE) * torch.finfo(torch.float32).eps * exact
    assert abs(float(sum_of_squares(tensor)) - exact) <= bound
    assert sum_of_squares(tensor).dtype == torch.float64
    assert float(sum_of_squares(torch.zeros(0))) == 0.0


def test_gram_phases_held_jacobian_then_held_gram_equal_ntk_gram():
    from theorylab.gpu.adapter import FunctionalModel
    from theorylab.gpu.jacobian import held_gram, held_jacobian

    model = MLP(3, width=4, depth=2, output_dim=2, seed=9)
    X = random_matrix(7, 3, seed=10)
    functional = FunctionalModel(model, dtype=F64)
    blocks = held_jacobian(functional, functional.inputs(X), 3, None)  # chunks of 3 samples
    assert [start for start, _ in blocks] == [0, 6, 12]
    gram = held_gram(torch.zeros(14, 14, dtype=F64), blocks)
    J = dense_jacobian(model, X)
    assert_close(gram, J @ J.T)
    assert_close(gram, ntk_gram(model, X, dtype=F64))


def test_stream_chunks_cap_the_cpu_working_set_and_keep_the_exact_trace(monkeypatch):
    import theorylab.gpu.memory as memory
    from theorylab.gpu import effective_curvature_trace

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    per_sample = 4 * 10**6  # a 1M-parameter float32 Jacobian row
    assert memory.stream_chunk_size(512, per_sample, None, 8 * 2**30, cpu) == 4
    assert memory.stream_chunk_size(512, per_sample, None, 8 * 2**30, cuda) == 256
    assert memory.stream_chunk_size(512, per_sample, 100, None, cpu) == 100  # explicit wins
    assert memory.stream_chunk_size(3, 1, None, None, cpu) == 3

    model = MLP(3, width=4, depth=2, output_dim=2, seed=9)
    X = random_matrix(7, 3, seed=10)
    J = dense_jacobian(model, X)
    rows: list[int] = []
    original = memory.stream_chunk_size

    def recording(*args, **kwargs):
        rows.append(original(*args, **kwargs))
        return rows[-1]

    monkeypatch.setattr(memory, "STREAM_CHUNK_BYTES", 2 * 2 * J.shape[1] * 8)  # 2 samples
    monkeypatch.setattr("theorylab.gpu.jacobian.stream_chunk_size", recording)
    trace = effective_curvature_trace(model, X, dtype=F64)
    assert rows == [2]  # 7 samples in chunks of 2
    assert math.isclose(float(trace), float(J.square().sum()) / 7, rel_tol=1e-12)
