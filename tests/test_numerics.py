"""Roundoff margins (theorylab.numerics) and the decisions that use them: no verdict may rest
on the sign of a value that is zero to working precision."""

import doctest

import numpy as np
import pytest

from theorylab import numerics
from theorylab.errors import NotPSDError
from theorylab.numerics import (
    INDEFINITE,
    POSITIVE_DEFINITE,
    SINGULAR_WITHIN_ROUNDOFF,
    classify_definiteness,
    roundoff_sign,
    roundoff_tolerance,
)

pytestmark = pytest.mark.numerics


def test_module_doctests_pass():
    failures, attempted = doctest.testmod(numerics)
    assert attempted >= 5 and failures == 0


def test_tolerance_is_n_eps_norm_plus_measured_asymmetry():
    rng = np.random.default_rng(0)
    factor = rng.standard_normal((6, 6))
    matrix = factor @ factor.T
    eps = np.finfo(np.float64).eps
    # oracle: spectral norm by SVD; no asymmetry for an exactly symmetric matrix
    norm = np.linalg.svd(matrix, compute_uv=False)[0]
    assert roundoff_tolerance(matrix) == pytest.approx(6 * eps * norm, rel=1e-12)
    assert roundoff_tolerance(matrix, symmetric=True) == pytest.approx(6 * eps * norm, rel=1e-12)
    skewed = matrix + 1e-12 * np.triu(np.ones((6, 6)), 1)
    extra = np.linalg.norm(0.5 * (skewed - skewed.T))
    assert roundoff_tolerance(skewed, symmetric=True) >= extra  # measured rounding is added
    assert roundoff_tolerance(np.float32(2.0), 10, np.float32) == pytest.approx(
        10 * np.finfo(np.float32).eps * 2.0)


def test_torch_matrix_uses_its_dtype():
    torch = pytest.importorskip("torch")
    matrix = torch.eye(4, dtype=torch.float32) * 3.0
    assert roundoff_tolerance(matrix, symmetric=True) == pytest.approx(
        4 * float(torch.finfo(torch.float32).eps) * 3.0)


@pytest.mark.parametrize("size", [3, 8, 20])
def test_singular_psd_matrix_is_classified_alike_for_either_roundoff_sign(size):
    # a rank-deficient Gram matrix: its zero eigenvalues come out as +-(tiny) depending on
    # the BLAS; the classification must not depend on that sign
    rng = np.random.default_rng(size)
    rows = rng.standard_normal((size, size - 1))
    gram = rows @ rows.T
    smallest = float(np.linalg.eigvalsh(gram)[0])
    margin = roundoff_tolerance(gram, symmetric=True)
    assert abs(smallest) <= margin  # oracle: rank size-1 in exact arithmetic
    assert {classify_definiteness(sign * abs(smallest), margin) for sign in (1, -1)} == {
        SINGULAR_WITHIN_ROUNDOFF}
    assert classify_definiteness(smallest + 1e3 * margin, margin) == POSITIVE_DEFINITE
    assert classify_definiteness(smallest - 1e3 * margin, margin) == INDEFINITE
    assert roundoff_sign(smallest, margin) == 0


def test_noise_kernel_accepts_eigenvalues_of_a_singular_ntk_and_rejects_negative_ones():
    from theorylab.solvers.noise_kernel import noise_kernel_norm_hd

    rng = np.random.default_rng(1)
    rows = rng.standard_normal((6, 4))
    ntk = rows @ rows.T  # rank 4: two eigenvalues are zero to working precision
    eigenvalues = np.linalg.eigvalsh(ntk)
    eta = 1.0 / float(eigenvalues[-1])
    clean = np.where(np.arange(6) < 2, 0.0, eigenvalues)
    for sign in (1.0, -1.0):  # the other CPU's sign of the zero eigenvalues
        flipped = np.where(np.arange(6) < 2, sign * np.abs(eigenvalues), eigenvalues)
        assert noise_kernel_norm_hd(flipped, eta, 2) == pytest.approx(
            noise_kernel_norm_hd(clean, eta, 2), rel=1e-12)
    with pytest.raises(NotPSDError):
        noise_kernel_norm_hd(np.where(np.arange(6) < 1, -1e-6, eigenvalues), eta, 2)


def test_regularization_singular_within_roundoff_is_not_positive_definite():
    from theorylab.solvers.soft_rank import regularizer_matrix

    rows = np.random.default_rng(2).standard_normal((3, 2))
    singular = rows @ rows.T  # PSD, rank 2: lambda_min is +-roundoff
    with pytest.raises(NotPSDError):
        regularizer_matrix(singular, 3)
    assert regularizer_matrix(singular + 1e-3 * np.eye(3), 3).shape == (3, 3)


def test_increment_problem_minimiser_flag_is_sign_free():
    from theorylab.claims.subspace.models import QuadraticInstance

    rows = np.random.default_rng(3).standard_normal((4, 3))
    curvature = rows.T @ rows
    singular = curvature - float(np.linalg.eigvalsh(curvature)[0]) * np.eye(3)
    offsets, linear = np.zeros(3), np.zeros((3, 3))
    flat = QuadraticInstance(offsets, linear, np.stack([singular] * 3))
    assert not flat.is_minimiser  # lambda_min zero within roundoff: not a strict minimiser
    strict = QuadraticInstance(offsets, linear, np.stack([curvature] * 3))
    assert strict.is_minimiser


def test_quantization_trace_identity_is_judged_within_its_roundoff_margin():
    from theorylab.claims.tpv.quantization.exact import nonlinear_model_error_law
    from theorylab.registry import CheckContext
    from theorylab.spec import Verdict

    finding = nonlinear_model_error_law(CheckContext(seed=0))
    assert finding.verdict is Verdict.HOLDS_APPROX
    assert "roundoff margin" in finding.summary


def test_premise_failure_message_reads_the_tri_state_not_the_sign():
    from theorylab.claims.subspace.empirical.judges import _failure

    polish = {"converged": True, "second_order": SINGULAR_WITHIN_ROUNDOFF,
              "roundoff_tolerance": 3e-10, "ritz_residual": 0.0}
    assert "zero within the roundoff margin 3e-10" in _failure(polish)
    assert "negative eigenvalue" in _failure({**polish, "second_order": INDEFINITE})
    assert "gradient above tolerance" in _failure(
        {**polish, "converged": False, "second_order": POSITIVE_DEFINITE})
