"""The Gram-route label-noise TPV on torch tensors equals the NumPy solver (issue 19).

``gram_label_noise_tpv`` decomposes a torch Gram matrix where it lives; on CPU tensors in
float64 it must agree with the NumPy route (same formula, rank rule and ridge) to roundoff.

Tolerance: each route is backward stable, i.e. exact for :math:`K + E` with
:math:`\\|E\\|_2 \\le n\\,\\epsilon\\,\\|K\\|_2` (Golub & Van Loan, Sec. 8.3). First order, that
moves :math:`(K+\\lambda I)^{-1}` on the retained range (and that range itself, whose gap to
the discarded eigenvalues is :math:`s_r^2`) by a relative :math:`n\\,\\epsilon\\,\\kappa` with
:math:`\\kappa = s_1^2/s_r^2`; the TPV is quadratic in it (factor 2) and the two routes err
independently (factor 2), so ``roundoff_tolerance(κ, n, dtype, factor=4)`` bounds the gap.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorylab.errors import DtypeError, NonFiniteError, NotPSDError, NotSymmetricError, ShapeError  # noqa: E402
from theorylab.numerics import roundoff_tolerance  # noqa: E402
from theorylab.solvers.linear_label_noise import gram_label_noise_tpv  # noqa: E402

F64 = torch.float64


def _jacobians(rows: int, test: int, parameters: int, rank: int | None, seed: int):
    generator = np.random.default_rng(seed)
    if rank is None:
        train_jacobian = generator.standard_normal((rows, parameters))
    else:  # rows = rank-dimensional combinations: K has exactly `rank` nonzero eigenvalues
        train_jacobian = generator.standard_normal((rows, rank)) @ generator.standard_normal(
            (rank, parameters))
    test_jacobian = generator.standard_normal((test, parameters))
    return train_jacobian @ train_jacobian.T, test_jacobian @ train_jacobian.T


def _assert_same(host, device, dtype=F64, exact_rank=True):
    if exact_rank:
        assert device.rank == host.rank
    size = host.gram_eigenvalues.size
    tolerance = roundoff_tolerance(max(host.condition_number, device.condition_number), size,
                                   dtype, factor=4)
    for name in ("test", "train"):
        a, b = getattr(host, name), getattr(device, name)
        assert abs(a - b) <= tolerance * abs(a), (name, a, b, tolerance)
    assert isinstance(device.gram_eigenvalues, np.ndarray)
    rank = min(host.rank, device.rank)
    assert np.allclose(device.gram_eigenvalues[:rank], host.gram_eigenvalues[:rank],
                       rtol=tolerance, atol=0)
    assert (device.noise_std, device.ridge) == (host.noise_std, host.ridge)


@pytest.mark.parametrize("rank", [None, 9])
@pytest.mark.parametrize("ridge_fraction", [0.0, 1e-3])
def test_torch_gram_route_equals_numpy_solver(rank, ridge_fraction):
    gram, cross = _jacobians(30, 17, 50, rank, seed=0 if rank is None else 1)
    ridge = ridge_fraction * float(np.trace(gram)) / gram.shape[0]
    host = gram_label_noise_tpv(gram, cross, 0.7, ridge=ridge)
    device = gram_label_noise_tpv(torch.tensor(gram), torch.tensor(cross), 0.7, ridge=ridge)
    assert host.rank == (30 if rank is None else rank)
    _assert_same(host, device)
    # a NumPy cross-Gram beside a tensor kernel goes to the kernel's device
    _assert_same(host, gram_label_noise_tpv(torch.tensor(gram), cross, 0.7, ridge=ridge))


def test_torch_gram_route_explicit_rank_tolerance_and_views():
    gram, cross = _jacobians(24, 24, 40, 12, seed=2)
    joint = torch.tensor(np.block([[gram, cross.T], [cross, cross @ cross.T]]))
    cut = 1e-3 * float(np.linalg.eigvalsh(gram)[-1])
    host = gram_label_noise_tpv(gram, cross, 1.0, rank_tolerance=cut)
    # non-contiguous views of one joint Gram matrix, as the claim check passes them
    device = gram_label_noise_tpv(joint[:24, :24], joint[24:, :24], 1.0, rank_tolerance=cut)
    _assert_same(host, device)


def test_torch_gram_route_in_float32_uses_its_epsilon():
    gram, cross = _jacobians(20, 10, 60, None, seed=3)
    host = gram_label_noise_tpv(gram, cross, 1.0)
    single = gram_label_noise_tpv(torch.tensor(gram, dtype=torch.float32),
                                  torch.tensor(cross, dtype=torch.float32), 1.0)
    _assert_same(host, single, dtype=torch.float32)


def test_torch_gram_route_bad_input_raises_typed_errors():
    good = torch.eye(3, dtype=F64)
    cross = torch.ones(2, 3, dtype=F64)
    with pytest.raises(NotPSDError):
        gram_label_noise_tpv(torch.diag(torch.tensor([1.0, 0.0, -1.0], dtype=F64)), cross, 1.0)
    with pytest.raises(NotSymmetricError):
        gram_label_noise_tpv(good + torch.triu(torch.ones(3, 3, dtype=F64), 1), cross, 1.0)
    with pytest.raises(ShapeError):
        gram_label_noise_tpv(good, torch.ones(2, 4, dtype=F64), 1.0)
    with pytest.raises(ShapeError):
        gram_label_noise_tpv(torch.ones(2, 3, dtype=F64), cross, 1.0)
    with pytest.raises(ShapeError):
        gram_label_noise_tpv(torch.ones(3, dtype=F64), cross, 1.0)
    with pytest.raises(NonFiniteError):
        gram_label_noise_tpv(good * float("nan"), cross, 1.0)
    with pytest.raises(NonFiniteError):
        gram_label_noise_tpv(good, cross * float("inf"), 1.0)
    with pytest.raises(DtypeError):
        gram_label_noise_tpv(good.to(torch.complex128), cross, 1.0)
    integer = gram_label_noise_tpv(torch.eye(3, dtype=torch.int64), cross, 1.0)
    assert integer.test == pytest.approx(3.0, rel=1e-15)  # ||1_{2x3}||_F^2 / 2


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("rank", [None, 9])
def test_cuda_gram_route_equals_numpy_solver(rank):
    gram, cross = _jacobians(30, 17, 50, rank, seed=4)
    ridge = 1e-3 * float(np.trace(gram)) / gram.shape[0]
    for value in (0.0, ridge):
        host = gram_label_noise_tpv(gram, cross, 1.0, ridge=value)
        device = gram_label_noise_tpv(torch.tensor(gram, device="cuda"),
                                      torch.tensor(cross, device="cuda"), 1.0, ridge=value)
        _assert_same(host, device)
