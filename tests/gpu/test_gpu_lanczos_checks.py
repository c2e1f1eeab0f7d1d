"""Lanczos with the host reading its scalars only every few steps (issue 19, GPU sync).

``check_every > 1`` keeps alpha/beta on the device, applies the DGKS second pass by a 0/1
factor and replays the unread steps on the host; the basis, the tridiagonal and the
eigenpairs must be bit-identical to reading every step (oracle: ``check_every = 1``), and
only the product count may exceed the Krylov dimension.
"""

import pytest

torch = pytest.importorskip("torch")

from gpu_oracles import Diagonal, classification_problem  # noqa: E402

from theorylab.errors import NonFiniteError, ParameterError  # noqa: E402
from theorylab.gpu import HessianOperator, lanczos_eigenpairs  # noqa: E402
from theorylab.gpu.instrument import time_split  # noqa: E402
from theorylab.gpu.lanczos import DEVICE_CHECK_EVERY, default_check_every, lanczos_iteration  # noqa: E402

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _same_state(a, b):
    assert len(a.alphas) == len(b.alphas)
    assert a.alphas == b.alphas and a.betas == b.betas and a.passes == b.passes
    assert torch.equal(a.basis, b.basis)
    assert torch.equal(a.tridiagonal(), b.tridiagonal())


SPECTRA = {
    "clustered": lambda dtype: torch.linspace(0, 1, 2000, dtype=dtype) ** 8,
    # three distinct values: an invariant subspace after 3 steps, with a DGKS second pass
    "breakdown": lambda dtype: torch.tensor([3.0, 2.0, 1.0] * 100, dtype=dtype),
    "geometric": lambda dtype: 0.5 ** torch.arange(60, dtype=dtype),
}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("spectrum", sorted(SPECTRA))
@pytest.mark.parametrize("check_every", [2, 3, 8])
def test_deferred_reads_build_the_identical_krylov_basis(dtype, spectrum, check_every):
    operator = Diagonal(SPECTRA[spectrum](dtype))
    start = torch.randn(operator.shape[0], generator=torch.Generator().manual_seed(0),
                        dtype=dtype)
    every = lanczos_iteration(operator, start, 45, check_every=1)
    deferred = lanczos_iteration(operator, start, 45, check_every=check_every)
    _same_state(every, deferred)
    m = len(every.alphas)
    assert every.products == m <= deferred.products < m + check_every
    if spectrum == "breakdown":
        assert m == 3 and every.passes > m  # stopped at the invariant subspace, after DGKS


@pytest.mark.parametrize("check_every", [1, 4])
def test_stop_rule_sees_the_same_states_in_the_same_order(check_every):
    operator = Diagonal(SPECTRA["clustered"](torch.float64))
    start = torch.ones(operator.shape[0], dtype=torch.float64)
    seen = []

    def stop(state):
        seen.append((len(state.alphas), state.basis.shape[0], state.betas[-1]))
        return len(state.alphas) == 10

    state = lanczos_iteration(operator, start, 45, stop, check_every=check_every)
    assert len(state.alphas) == 10 and [s[0] for s in seen] == list(range(1, 11))
    assert all(rows == steps for steps, rows, _ in seen)
    assert state.products == (10 if check_every == 1 else 12)


def test_eigenpairs_are_identical_with_and_without_deferred_reads():
    model, X, y = classification_problem(12, 3, 3)
    operator = HessianOperator.from_model(model, X, y, loss="cross_entropy",
                                          dtype=torch.float64)
    results = {}
    for check_every in (1, 5):
        split = time_split(lambda op, c=check_every: lanczos_eigenpairs(
            op, 3, tolerance=1e-9, seed=4, check_every=c), operator)
        results[check_every] = split.result
        assert split.products == split.result.matvecs  # overshoot products are counted
    every, deferred = results[1], results[5]
    assert torch.equal(every.eigenvalues, deferred.eigenvalues)
    assert torch.equal(every.eigenvectors, deferred.eigenvectors)
    assert torch.equal(every.residuals, deferred.residuals)
    assert every.converged and deferred.converged
    assert every.matvecs <= deferred.matvecs < every.matvecs + 5


@pytest.mark.parametrize("check_every", [1, 3])
def test_non_finite_products_raise_in_both_schedules(check_every):
    diagonal = torch.ones(50, dtype=torch.float64)
    diagonal[7] = float("nan")
    with pytest.raises(NonFiniteError, match="step 1 "):
        lanczos_iteration(Diagonal(diagonal), torch.ones(50, dtype=torch.float64), 10,
                          check_every=check_every)


def test_check_every_default_and_validation():
    assert default_check_every("cpu") == 1
    assert default_check_every(torch.device("cuda")) == DEVICE_CHECK_EVERY >= 1
    operator = Diagonal(torch.ones(5, dtype=torch.float64))
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ParameterError):
            lanczos_iteration(operator, torch.ones(5, dtype=torch.float64), 3, check_every=bad)


@CUDA
@pytest.mark.parametrize("spectrum", sorted(SPECTRA))
def test_on_cuda_the_default_defers_reads_and_builds_the_identical_basis(spectrum):
    operator = Diagonal(SPECTRA[spectrum](torch.float64).cuda())
    start = torch.randn(operator.shape[0], generator=torch.Generator().manual_seed(0),
                        dtype=torch.float64).cuda()
    every = lanczos_iteration(operator, start, 45, check_every=1)
    deferred = lanczos_iteration(operator, start, 45)  # default off the CPU: DEVICE_CHECK_EVERY
    _same_state(every, deferred)
    assert every.products <= deferred.products < every.products + DEVICE_CHECK_EVERY


@CUDA
def test_on_cuda_eigenpairs_are_identical_and_match_the_cpu():
    model, X, y = classification_problem(12, 3, 3)
    cpu = HessianOperator.from_model(model, X, y, loss="cross_entropy", dtype=torch.float64)
    gpu = HessianOperator.from_model(model.cuda(), X.cuda(), y.cuda(), loss="cross_entropy",
                                     dtype=torch.float64)
    every = lanczos_eigenpairs(gpu, 3, tolerance=1e-9, seed=4, check_every=1)
    deferred = lanczos_eigenpairs(gpu, 3, tolerance=1e-9, seed=4)
    assert torch.equal(every.eigenvalues, deferred.eigenvalues)
    assert torch.equal(every.eigenvectors, deferred.eigenvectors)
    reference = lanczos_eigenpairs(cpu, 3, tolerance=1e-9, seed=4)
    # both converged to relative residual 1e-9: eigenvalues agree to that (squared for
    # well-separated values, Rayleigh quotient), checked at the residual level itself
    assert torch.allclose(deferred.eigenvalues.cpu(), reference.eigenvalues, rtol=1e-8, atol=0)
