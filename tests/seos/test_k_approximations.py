"""``seos.k_approximations``: closed-form K and the ordering (oracles named)."""

import numpy as np
import pytest

from theorylab.claims.seos.common import hadamard_ntk
from theorylab.solvers.noise_kernel import (
    noise_kernel_norm,
    noise_kernel_norm_delocalised,
    noise_kernel_norm_hd,
    noise_kernel_norm_trace,
)


def test_k_closed_form_hadamard():
    """Closed form: C = 11^T/D exactly, K = (1-b~)/B sum x/(2 - b~/b x)."""
    ntk = hadamard_ntk([0.4, 0.3, 0.2, 0.1])
    lam = np.linalg.eigvalsh(ntk)
    assert noise_kernel_norm(ntk, 1.0, 2).value == pytest.approx(
        noise_kernel_norm_delocalised(lam, 1.0, 2, 4), rel=1e-12
    )


def test_paper_ordering_counterexample_hadamard():
    ntk = hadamard_ntk([0.4, 0.3, 0.2, 0.1])
    k = noise_kernel_norm(ntk, 1.0, 2).value
    assert noise_kernel_norm_trace(ntk, 1.0, 2) > k  # K_tr <= K fails
    assert noise_kernel_norm_hd(np.linalg.eigvalsh(ntk), 1.0, 2) > k  # K_HD <= K fails
