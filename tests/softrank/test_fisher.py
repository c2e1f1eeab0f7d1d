"""Tests of the torch Fisher tools behind paper 004's trained-network checks.

Each test names its oracle: dense autograd Fisher matrices or exact eigen-sums.
"""

import numpy as np
import pytest

from theorylab.solvers.soft_rank import soft_rank


def test_fisher_spectrum_and_kfac_match_dense_autograd():
    """Oracle: dense Fisher from per-sample torch.func Jacobians; KFAC exact for one sample."""
    torch = pytest.importorskip("torch")
    from theorylab.gpu import MLP, fisher_spectrum, kfac_factors, output_jacobian

    model = MLP(3, 4, 1, output_dim=3, seed=0).double()
    inputs = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    jacobian = output_jacobian(model, inputs, dtype=torch.float64).numpy()
    probs = torch.softmax(model(inputs), -1).detach().numpy()
    sigma = np.stack([np.diag(p) - np.outer(p, p) for p in probs])
    fisher = np.einsum("nkp,nkl,nlq->pq", jacobian, sigma, jacobian) / 5
    assert soft_rank(fisher, 1e-2) == pytest.approx(
        fisher_spectrum(model, inputs).soft_rank(1e-2), rel=1e-10
    )
    single = kfac_factors(model, inputs[:1])
    one = np.einsum("kp,kl,lq->pq", jacobian[0], sigma[0], jacobian[0])
    first = 3 * 4 + 4
    assert np.allclose(
        np.sort(single.eigenvalues().numpy()[:first]),
        np.sort(np.linalg.eigvalsh(one[:first, :first])),
        atol=1e-12,
    )
    diagonal = kfac_factors(model, inputs).diagonal().numpy()
    order = [o * 4 + j for o in range(4) for j in range(3)] + [o * 4 + 3 for o in range(4)]
    assert np.allclose(diagonal[:first][order], np.diag(fisher)[:first], atol=1e-14)


def test_slq_soft_rank_within_four_stderr():
    """Oracle: exact eigen-sum vs SLQ (theorylab.gpu.slq_trace) on the stored factor."""
    torch = pytest.importorskip("torch")
    from theorylab.gpu import MLP, fisher_soft_rank_slq, fisher_spectrum

    model = MLP(4, 6, 1, output_dim=3, seed=1).double()
    inputs = torch.randn(20, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    labels = torch.randint(0, 3, (20,), generator=torch.Generator().manual_seed(2))
    exact = fisher_spectrum(model, inputs).soft_rank(1e-2)
    estimate = fisher_soft_rank_slq(model, inputs, labels, 1e-2, probes=20, steps=60)
    assert abs(estimate.value - exact) <= 4 * estimate.stderr + 1e-8
