"""Linear label noise (paper 000, Remark 3.1, App. B): the Eq. 9 solver and its laws.

Oracles named per test: exact rational arithmetic (``rational``), full enumeration of
Rademacher noise (``enumeration``), the general spectral-sum solver ``label_noise_tpv``
(``spectral``), the inverse-Wishart mean (``wishart``), hand-derived closed forms (``hand``)
and SGD retraining (``sgd``).
"""

import numpy as np
import pytest

from theorylab.errors import NonFiniteError, ParameterError, ShapeError
from theorylab.oracles import enumerated_noise_moments, qr_solution_map, rational_label_noise
from theorylab.solvers import label_noise_tpv, linear_label_noise_tpv
from theorylab.solvers.linear_label_noise import gaussian_expected_linear_label_noise_tpv

RTOL = 1e-10


# ----------------------------------------------------------------- Eq. 9 solver


def test_eq9_hand_case_orthogonal_rows():
    # hand: rows 2 e1 and e2 -> Tr((XXᵀ)⁻¹) = 1/4 + 1; σ = 2 multiplies by 4.
    result = linear_label_noise_tpv([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]], noise_std=2.0)
    assert result.value == pytest.approx(5.0, rel=RTOL)
    assert result.condition_number == pytest.approx(4.0, rel=RTOL)


@pytest.mark.parametrize(("samples", "dimension"), [(1, 1), (3, 5), (6, 6), (4, 11)])
def test_eq9_matches_rational_enumeration_and_spectral_oracles(samples, dimension):
    rng = np.random.default_rng(samples * 10 + dimension)
    design = rng.integers(-3, 4, (samples, dimension)).astype(float)
    while np.linalg.matrix_rank(design) < samples:
        design = rng.integers(-3, 4, (samples, dimension)).astype(float)
    value = linear_label_noise_tpv(design, 0.5).value
    identity = np.eye(dimension)
    exact_test, _ = rational_label_noise(design, identity, samples, dimension)  # rational
    assert value == pytest.approx(0.25 * dimension * float(exact_test), rel=RTOL)
    spectral = dimension * label_noise_tpv(design, identity, 0.5).test  # spectral, H = I
    assert value == pytest.approx(spectral, rel=RTOL)
    solution_map = qr_solution_map(design, 0.0)
    enumerated, _ = enumerated_noise_moments(
        design, identity, samples, dimension, 0.5, solution_map
    )
    assert value == pytest.approx(dimension * enumerated, rel=RTOL)  # enumeration


def test_eq9_matches_sgd_retraining_monte_carlo():
    # sgd: Kaczmarz-SGD from 0 on 3000 noise draws; whitened test law -> E_x (xᵀδw)² = ‖δw‖².
    rng = np.random.default_rng(7)
    design = rng.standard_normal((3, 8))
    noise = 0.5 * rng.standard_normal((3, 3000))
    weights = np.zeros((8, 3000))
    norms = np.sum(design**2, axis=1)
    for _ in range(200):
        for index in range(3):
            residual = design[index] @ weights - noise[index]
            weights -= np.outer(design[index], residual) / norms[index]
    per_draw = np.sum(weights**2, axis=0)
    expected = linear_label_noise_tpv(design, 0.5).value
    assert abs(per_draw.mean() - expected) < 4.5 * per_draw.std() / np.sqrt(3000)


@pytest.mark.parametrize(
    ("design", "error"),
    [
        ([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], ShapeError),  # d < n violates (i)
        ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]], ParameterError),  # rank deficient
        ([[0.0, 0.0]], ParameterError),  # zero design
        ([[np.nan, 1.0]], NonFiniteError),
        ([1.0, 2.0], ShapeError),
    ],
)
def test_eq9_rejects_designs_outside_assumption_i(design, error):
    with pytest.raises(error):
        linear_label_noise_tpv(design, 1.0)


def test_eq9_rejects_negative_noise():
    with pytest.raises(ParameterError):
        linear_label_noise_tpv([[1.0, 0.0]], -1.0)


def test_linear_regression_reduces_to_remark_3_1():
    # With J = X full row rank, test = train distribution sample: sigma^2 Tr((X X^T)^-1) (Eq. 9).
    rng = np.random.default_rng(3)
    inputs = rng.standard_normal((5, 12))
    result = label_noise_tpv(inputs, inputs, noise_std=1.0)
    assert result.train == pytest.approx(1.0)
    gram_inverse = np.linalg.inv(inputs @ inputs.T)
    # test set = train set: (1/n) ||X X^+||_F^2 = r / n = 1.
    assert result.test == pytest.approx(1.0)
    whitened_test = np.eye(12)  # E_x[x x^T] = I: H_eff(test) = I
    result_white = label_noise_tpv(inputs, whitened_test * np.sqrt(12), noise_std=1.0)
    assert result_white.test == pytest.approx(np.trace(gram_inverse), rel=1e-10)


def test_inverse_wishart_mean_hand_values_and_divergence():
    # wishart: n/(d-n-1); infinite for d in {n, n+1}.
    assert gaussian_expected_linear_label_noise_tpv(2, 7, 1.0) == 0.5
    assert gaussian_expected_linear_label_noise_tpv(2, 3, 1.0) == float("inf")
    assert gaussian_expected_linear_label_noise_tpv(2, 3, 0.0) == 0.0
    with pytest.raises(ParameterError):
        gaussian_expected_linear_label_noise_tpv(3, 2, 1.0)


def test_inverse_wishart_mean_matches_monte_carlo():
    rng = np.random.default_rng(3)
    design = rng.standard_normal((4000, 3, 12))
    traces = np.sum(1.0 / np.linalg.eigvalsh(design @ design.transpose(0, 2, 1)), axis=1)
    exact = gaussian_expected_linear_label_noise_tpv(3, 12, 1.0)  # wishart: 3/8
    assert abs(traces.mean() - exact) < 4.5 * traces.std() / np.sqrt(4000)
    assert traces.mean() > 3 / 12  # the remark's n/d underestimates


def test_sample_whitening_is_impossible_below_d():
    # hand: X = [[1, 0]] gives (1/n)XᵀX = diag(1, 0) != I_2; rank <= n < d in general.
    design = np.array([[1.0, 0.0]])
    assert not np.allclose(design.T @ design, np.eye(2))
    rng = np.random.default_rng(0)
    wide = rng.standard_normal((5, 40))
    assert np.min(np.linalg.eigvalsh(wide.T @ wide / 5)) < 1e-10


def test_radial_rows_are_whitened_and_minimal_case_is_exact():
    # premise audit: isotropic whitened rows of random norm keep a 1/3 relative error
    from fractions import Fraction

    from theorylab.claims.tpv.linear_label_noise.premises import minimal_radial_instance
    from theorylab.errata.exact.tpv import CHECKS
    from theorylab.spec import Counterexample

    instance, claimed, actual = minimal_radial_instance(dimension=4)
    assert (claimed, actual) == (Fraction(1, 4), Fraction(1, 3))  # E 1/|x|^2 = (1/2 + 1/6)/2
    recheck = CHECKS[("tpv.linear_label_noise", "radial_whitened_rows")]
    stored = recheck(Counterexample(instance=instance, message=""))
    assert stored.refutes and stored.actual.endswith("(ratio 4/3)")
    # a fixed norm (the sphere) meets n/d exactly at n = 1; a non-whitened law is skipped
    assert not recheck(Counterexample(instance={**instance, "squared_norms": [4]}, message="")
                       ).refutes
    assert recheck(Counterexample(instance={**instance, "squared_norms": [1, 2]}, message="")
                   ) is None


def test_radial_rows_factorise_over_the_radius():
    import numpy as np

    from theorylab.claims.tpv.linear_label_noise.premises import radial_inverse_gram_traces

    mixed, sphere = radial_inverse_gram_traces(np.random.default_rng(0), 1, 8, 4000)
    # n = 1: Tr = 1/|x|^2 = 1/(r^2 d) and the sphere trace is exactly 1/d
    assert np.allclose(sphere, 1 / 8, rtol=1e-12)
    assert set(np.round(mixed * 8, 12)) == {2.0, round(2 / 3, 12)}
