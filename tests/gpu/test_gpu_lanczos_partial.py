"""Lanczos with partial reorthogonalisation (Simon's omega recurrence; issue 19).

Oracles: a copy of the full-reorthogonalisation loop as it was before partial existed (the
"full" mode must stay bit-identical to it), dense ``eigh`` of the operator (exact diagonal
spectra; an MLP Hessian by plain double-reverse autograd) and the basis' own Gram matrix
:math:`Q Q^\\top` for the semi-orthogonality that partial promises.
"""

import math

import pytest

torch = pytest.importorskip("torch")

from gpu_oracles import Diagonal, dense_hessian, mean_of, mse_per_sample, random_matrix  # noqa: E402

import theorylab.gpu.lanczos as lanczos  # noqa: E402
import theorylab.gpu.partial_reorthogonalization as pro  # noqa: E402
from theorylab.errors import NonFiniteError, ParameterError  # noqa: E402
from theorylab.gpu import MLP, HessianOperator, lanczos_eigenpairs  # noqa: E402
from theorylab.gpu.lanczos import lanczos_iteration  # noqa: E402

F64 = torch.float64


def clustered(dtype):
    """The spectrum on which folding alpha into Gram-Schmidt once diverged: ||A|| = 1."""
    return Diagonal(torch.linspace(0, 1, 2000, dtype=dtype) ** 8)


def outlier(dtype):
    """One outlier 7 over 5000 uniform values: without the local reorthogonalisation the
    omega estimate lagged the measured loss 280-fold here and the basis reached 2.7 sqrt(eps)."""
    bulk = torch.rand(5000, generator=torch.Generator().manual_seed(0), dtype=dtype)
    return Diagonal(torch.cat([torch.tensor([7.0], dtype=dtype), bulk]))


def start_of(operator, seed=0):
    return torch.randn(operator.shape[0], generator=torch.Generator().manual_seed(seed),
                       dtype=operator.dtype)


def full_reference(operator, start, steps):
    """The check_every = 1 loop of full reorthogonalisation before partial was added."""
    eps = torch.finfo(operator.dtype).eps
    basis = torch.empty(steps, operator.shape[0], dtype=operator.dtype)
    basis[0] = start / torch.linalg.vector_norm(start)
    alphas, betas, passes, beta = [], [], 0, torch.zeros((), dtype=operator.dtype)
    for j in range(steps):
        current = basis[: j + 1]
        product = operator._matvec(basis[j])
        alpha = torch.dot(basis[j], product)
        w = torch.addcmul(product, basis[j], alpha, value=-1)
        if j > 0:
            w.addcmul_(basis[j - 1], beta, value=-1)
        before = torch.dot(w, w)
        target = basis[j + 1] if j + 1 < steps else torch.empty_like(w)
        w = torch.addmv(w, current.T, current @ w, alpha=-1, out=target)
        after = torch.dot(w, w)
        values = torch.stack([alpha, before, after]).tolist()
        final, passes = after, passes + 1
        if 2 * values[2] < values[1]:
            w.addmv_(current.T, current @ w, alpha=-1)
            final, passes = torch.dot(w, w), passes + 1
        alphas.append(values[0])
        betas.append(math.sqrt(float(final)))
        scale = max(abs(a) for a in alphas) + max(betas)
        if j + 1 == steps or betas[-1] <= 10 * eps * scale:
            return basis[: j + 1], alphas, betas, passes
        beta = torch.sqrt(final)
        w.div_(beta)
    raise AssertionError("unreachable")


def row_orthogonality(basis):
    """max_{k<i} |q_i^T q_k| for each row i (0 for row 0), in float64."""
    gram = (basis.double() @ basis.double().T).abs().tril(-1)
    return [0.0, *gram[1:].max(dim=1).values.tolist()]


@pytest.mark.parametrize("dtype", [F64, torch.float32])
@pytest.mark.parametrize("spectrum", ["clustered", "breakdown"])
def test_full_is_bit_identical_to_the_loop_before_partial(dtype, spectrum, monkeypatch):
    monkeypatch.setattr(pro, "PARTIAL_MIN_SIZE", 1)  # "full" must override auto
    operator = (clustered(dtype) if spectrum == "clustered"
                else Diagonal(torch.tensor([3.0, 2.0, 1.0] * 100, dtype=dtype)))
    start = start_of(operator)
    state = lanczos_iteration(operator, start, 45, reorthogonalization="full")
    basis, alphas, betas, passes = full_reference(operator, start, 45)
    assert torch.equal(state.basis, basis) and state.alphas == alphas and state.betas == betas
    assert state.passes == passes >= len(alphas) and state.omega == []


def test_partial_top_eigenvalues_on_the_clustered_spectrum_equal_the_exact_diagonal():
    operator = clustered(F64)
    exact = operator.diagonal.sort(descending=True).values[:3]
    result = lanczos_eigenpairs(operator, 3, tolerance=1e-9, max_iterations=400,
                                reorthogonalization="partial")
    # as the full-reorthogonalisation tests: residual 1e-9 bounds each eigenvalue error
    assert torch.allclose(result.eigenvalues, exact, rtol=1e-8, atol=0)
    assert bool((result.relative_residuals <= 1e-9).all()) and result.converged
    norms = torch.linalg.vector_norm(result.eigenvectors, dim=0)
    assert torch.allclose(norms, torch.ones(3, dtype=F64), rtol=1e-14, atol=0)


@pytest.fixture(scope="module")
def mlp_hessian():
    """A p = 172 MLP loss Hessian and its dense double-reverse autograd oracle."""
    model = MLP(3, width=10, depth=2, output_dim=2, seed=0)
    X, y = random_matrix(16, 3, seed=1), random_matrix(16, 2, seed=2)
    oracle = dense_hessian(model, mean_of(mse_per_sample), X, y)
    operator = HessianOperator.from_model(model, X, y, loss="mse", dtype=F64)
    assert torch.allclose(operator @ torch.eye(oracle.shape[0], dtype=F64), oracle,
                          rtol=0, atol=1e-12 * float(oracle.abs().max()))  # same operator
    return operator, oracle


def test_partial_top_eigenvalues_of_an_mlp_hessian_equal_dense_eigh(mlp_hessian):
    operator, oracle = mlp_hessian
    expected = torch.linalg.eigvalsh(oracle).flip(0)[:3]
    result = lanczos_eigenpairs(operator, 3, tolerance=1e-9, seed=4,
                                reorthogonalization="partial")
    assert torch.allclose(result.eigenvalues, expected, rtol=1e-8, atol=0)
    assert bool((result.relative_residuals <= 1e-9).all()) and result.converged


@pytest.mark.parametrize("case", ["clustered64", "clustered32", "outlier64", "outlier32",
                                  "mlp64"])
def test_partial_basis_is_semi_orthogonal_and_omega_bounds_the_loss(case, mlp_hessian):
    """Derivation of the bound: every kept row has omega <= sqrt(eps) (a larger one is
    reorthogonalised and reset to eps), and omega bounds the measured |q_i^T q_k| within a
    factor 10 (checked row by row), so max_{i != k} |q_i^T q_k| <= 10 sqrt(eps)."""
    if case == "mlp64":
        operator, oracle = mlp_hessian
        spectrum = torch.linalg.eigvalsh(oracle)
        top, norm = float(spectrum[-1]), float(spectrum.abs().max())
    else:
        operator = (clustered if case.startswith("clustered") else outlier)(
            F64 if case.endswith("64") else torch.float32)
        top = norm = float(operator.diagonal.abs().max())
    eps = torch.finfo(operator.dtype).eps
    state = lanczos_iteration(operator, start_of(operator, 100), 100,
                              reorthogonalization="partial")
    m = len(state.alphas)
    assert m == 100 and len(state.omega) == m
    measured = row_orthogonality(state.basis)
    assert max(state.omega) <= math.sqrt(eps)
    for actual, estimate in zip(measured, state.omega, strict=True):
        assert actual <= 10 * max(estimate, eps), (actual, estimate)
    assert max(measured) <= 10 * math.sqrt(eps)
    assert state.passes < m and state.reads < m * (m + 1) // 4  # it skipped most of the reads
    # the top Ritz value still matches the spectrum to working precision: Simon's theorem
    # gives eps ||A|| times a modest factor, bounded here by 10 m
    ritz = torch.linalg.eigvalsh(state.tridiagonal())[-1]
    assert abs(float(ritz) - top) <= 10 * m * eps * norm


def test_partial_is_the_default_from_partial_min_size_and_skips_passes(monkeypatch):
    operator = clustered(torch.float32)
    start = start_of(operator)
    full = lanczos_iteration(operator, start, 100)  # p = 2000 < PARTIAL_MIN_SIZE: full
    assert full.omega == [] and full.passes >= 100
    monkeypatch.setattr(pro, "PARTIAL_MIN_SIZE", 2000)
    partial = lanczos_iteration(operator, start, 100)
    assert full.reads == sum(range(1, 101))  # one pass over the whole basis per step
    # measured: 34 passes reading 411 rows (full: 100 passes, 5,050 rows)
    assert len(partial.omega) == 100 and partial.reads <= full.reads // 10
    deferred = lanczos_iteration(operator, start, 100, check_every=4)  # always full
    assert deferred.omega == [] and deferred.passes >= 100
    result = lanczos_eigenpairs(operator, 1, tolerance=1e-4)
    assert result.converged and abs(float(result.eigenvalues[0]) - 1.0) <= 1e-4
    assert result.method == "lanczos (partial reorthogonalisation)"
    full_result = lanczos_eigenpairs(operator, 1, tolerance=1e-4, reorthogonalization="full")
    assert full_result.method == "lanczos (full reorthogonalisation)"


def test_the_default_stays_full_off_the_cpu():
    resolve, size = lanczos.resolve_reorthogonalization, lanczos.PARTIAL_MIN_SIZE
    assert resolve(None, size, 1, torch.device("cpu")) == "partial"
    assert resolve(None, size - 1, 1, torch.device("cpu")) == "full"
    assert resolve(None, size, 1, torch.device("cuda")) == "full"  # unmeasured there
    assert resolve("partial", size, 1, torch.device("cuda")) == "partial"


def test_partial_keeps_the_breakdown_and_non_finite_rules():
    operator = Diagonal(torch.tensor([3.0, 2.0, 1.0] * 100, dtype=F64))
    state = lanczos_iteration(operator, torch.ones(300, dtype=F64), 45,
                              reorthogonalization="partial")
    assert len(state.alphas) == 3  # the invariant subspace of three eigenvalues
    assert sorted(torch.linalg.eigvalsh(state.tridiagonal()).tolist()) == pytest.approx(
        [1.0, 2.0, 3.0], rel=1e-14)
    diagonal = torch.ones(50, dtype=F64)
    diagonal[7] = float("nan")
    with pytest.raises(NonFiniteError, match="step 1 "):
        lanczos_iteration(Diagonal(diagonal), torch.ones(50, dtype=F64), 10,
                          reorthogonalization="partial")


def test_bad_reorthogonalization_values_raise():
    operator = Diagonal(torch.ones(5, dtype=F64))
    start = torch.ones(5, dtype=F64)
    for bad in ("Full", "none", "selective", 1):
        with pytest.raises(ParameterError, match="reorthogonalization"):
            lanczos_iteration(operator, start, 3, reorthogonalization=bad)
    with pytest.raises(ParameterError, match="check_every=1"):
        lanczos_iteration(operator, start, 3, check_every=2, reorthogonalization="partial")
    with pytest.raises(ParameterError, match="check_every=1"):
        lanczos_eigenpairs(operator, 1, check_every=3, reorthogonalization="partial")
