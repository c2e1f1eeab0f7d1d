"""``seos.k_theorem``: K three ways and SGD's non-PSD ``A`` (oracles named)."""

import numpy as np
import pytest

from theorylab.claims.seos.k_theorem import k_by_boundary
from theorylab.solvers.noise_kernel import noise_kernel_matrices, noise_kernel_norm


def test_k_three_ways_agree(flat_ntk):
    """Eig of (I-A)^-1 B, symmetric congruent form, stability boundary of A + sB."""
    eta = 1.2 / np.linalg.eigvalsh(flat_ntk)[-1]
    norm = noise_kernel_norm(flat_ntk, eta, 2)
    parts = noise_kernel_matrices(flat_ntk, eta, 2)
    assert norm.value == pytest.approx(norm.symmetric_value, rel=1e-10)
    assert k_by_boundary(parts.deterministic, parts.stochastic) == pytest.approx(
        norm.value, rel=1e-9
    )


def test_sgd_a_not_psd_and_theorem_gap():
    """Hand-minimal: A = diag(-1.4, 0.2), ||A|| > 1, yet rho(A+B) < 1 (dense eig oracle)."""
    ntk = np.array([[0.8, 0.4], [0.4, 0.8]])
    parts = noise_kernel_matrices(ntk, 1.0, 1)
    np.testing.assert_allclose(sorted(np.diag(parts.deterministic)), [-1.4, 0.2], atol=1e-12)
    norm = noise_kernel_norm(ntk, 1.0, 1)
    assert norm.deterministic_norm > 1 > norm.diagonal_spectral_radius
    assert norm.value == pytest.approx(0.8, rel=1e-12)
