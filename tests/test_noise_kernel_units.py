"""Batch-size units of the noise-kernel solvers (paper 002, App. A.7.1): samples, not rows.

With ``K`` outputs per sample the NTK has ``nK`` rows and a minibatch keeps whole samples.
The oracles enumerate every batch of samples; the closed forms must match them.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from theorylab.errors import ParameterError, ShapeError, SingularKernelError, StabilityError
from theorylab.solvers.noise_kernel import (
    enumerated_selection_moment,
    minibatch_selection_moment,
    noise_kernel_matrices,
    noise_kernel_norm,
    noise_kernel_norm_trace,
)

EPS = np.finfo(np.float64).eps


def _ntk(rows: int, parameters: int, seed: int) -> np.ndarray:
    jacobian = np.random.default_rng(seed).standard_normal((rows, parameters))
    return jacobian @ jacobian.T / parameters


@pytest.mark.parametrize(("samples", "per", "batch"), [(4, 1, 2), (4, 2, 1), (3, 3, 2), (5, 2, 3)])
def test_block_selection_moment_matches_enumeration(samples, per, batch):
    matrix = _ntk(samples * per, 7, seed=samples * per + batch)
    closed = minibatch_selection_moment(matrix, batch, outputs_per_sample=per)
    oracle = enumerated_selection_moment(matrix, batch, outputs_per_sample=per)
    # both are sums of O(C(n, B)) terms of size |M|: round-off ~ n_terms * eps * |M|
    tolerance = 64 * 10 * EPS * np.abs(matrix).max()
    np.testing.assert_allclose(closed, oracle, rtol=0, atol=tolerance)


def _enumerated_diagonal_block(ntk: np.ndarray, eta: float, batch: int, per: int) -> np.ndarray:
    """Diagonal-to-diagonal block of T (Eq. 26) in the NTK eigenbasis, batches of samples."""
    rows = ntk.shape[0]
    samples = rows // per
    frame = np.linalg.eigh(ntk)[1]
    scale = eta * samples / batch  # eta / beta
    block = np.zeros((rows, rows))
    count = 0
    for chosen in combinations(range(samples), batch):
        mask = np.repeat(np.isin(np.arange(samples), chosen), per).astype(float)
        update = frame.T @ (np.eye(rows) - scale * ntk * mask[None, :]) @ frame
        block += update**2  # p_mu' = sum_nu (V^T M_P V)_{mu nu}^2 p_nu on diagonal S
        count += 1
    return block / count


@pytest.mark.parametrize(("samples", "per", "batch"), [(4, 1, 2), (3, 2, 1), (3, 2, 2), (4, 2, 3)])
def test_block_noise_kernel_matrices_match_enumerated_second_moments(samples, per, batch):
    ntk = _ntk(samples * per, 3 * samples * per, seed=11 * samples + per)
    eta = 0.8 / np.linalg.eigvalsh(ntk)[-1]
    parts = noise_kernel_matrices(ntk, eta, batch, outputs_per_sample=per)
    oracle = _enumerated_diagonal_block(ntk, eta, batch, per)
    # Lambda^+ similarity: A + B in p-tilde = Lambda^+ p coordinates (module docstring)
    similar = oracle * parts.eigenvalues[None, :] / parts.eigenvalues[:, None]
    combined = parts.deterministic + parts.stochastic
    tolerance = 64 * ntk.shape[0] * EPS * max(1.0, np.abs(similar).max())
    np.testing.assert_allclose(combined, similar, rtol=0, atol=1e3 * tolerance)


def test_ten_class_kernel_refuses_batch_counted_in_rows():
    ntk = np.eye(1000) * 0.5  # 100 samples x 10 outputs
    with pytest.raises(ParameterError, match=r"counts samples.*n=100.*1000 rows"):
        noise_kernel_norm(ntk, 0.1, 320, outputs_per_sample=10)
    with pytest.raises(ParameterError, match="n=100"):
        noise_kernel_norm_trace(ntk, 0.1, 320, outputs_per_sample=10)
    assert noise_kernel_norm_trace(ntk, 0.1, 32, outputs_per_sample=10) > 0


def test_rows_must_be_a_multiple_of_outputs_per_sample():
    with pytest.raises(ShapeError, match="not a multiple"):
        noise_kernel_norm(np.eye(9), 0.1, 1, outputs_per_sample=2)


def test_rank_deficient_ntk_names_rank_and_the_remedy():
    jacobian = np.random.default_rng(3).standard_normal((6, 4))  # rank 4 < 6 samples
    ntk = jacobian @ jacobian.T / 4
    eta = 0.5 / np.linalg.eigvalsh(ntk)[-1]
    with pytest.raises(SingularKernelError, match=r"rank 4 of 6.*restrict_to_range=True"):
        noise_kernel_norm(ntk, eta, 2)
    with pytest.raises(StabilityError):  # old contract: a zero mode is a stability error
        noise_kernel_norm(ntk, eta, 2)
    on_range = noise_kernel_norm(ntk, eta, 2, restrict_to_range=True).value
    # the limit lambda -> 0 of the null modes (they contribute O(lambda)): lift them slightly
    values, frame = np.linalg.eigh(ntk)
    for lift in (1e-7, 1e-9):
        lifted = (frame * np.where(values > 1e-9, values, lift * values[-1])) @ frame.T
        assert abs(noise_kernel_norm(lifted, eta, 2).value - on_range) < 1e3 * lift
