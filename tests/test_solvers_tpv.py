"""Label-noise TPV solver against independent oracles, and its input validation.

Oracles: exact rational arithmetic (``rational``), a QR-based pseudo-inverse (``gelsy``),
full enumeration of Rademacher noise (``enumeration``), and hand-derived closed forms.
"""

from fractions import Fraction

import numpy as np
import pytest

from theorylab.errors import NonFiniteError, ParameterError, ShapeError, TheorylabError
from theorylab.oracles import enumerated_noise_moments, qr_solution_map, rational_label_noise
from theorylab.solvers import effective_curvature, label_noise_tpv, tpv_trace

RTOL = 1e-10


def random_low_rank(rng, rows, columns, rank):
    return rng.standard_normal((rows, rank)) @ rng.standard_normal((rank, columns))


@pytest.mark.parametrize(
    ("rows", "columns", "rank"),
    [(6, 10, 6), (6, 10, 3), (10, 4, 4), (10, 4, 1), (5, 5, 5), (8, 3, 0), (1, 7, 1)],
)
@pytest.mark.parametrize("ridge", [0.0, 0.37])
def test_matches_gelsy_pseudoinverse_and_enumeration_oracles(rows, columns, rank, ridge):
    rng = np.random.default_rng(rows * 100 + columns * 10 + rank)
    train = random_low_rank(rng, rows, columns, rank)
    test = rng.standard_normal((7, columns))
    result = label_noise_tpv(train, test, noise_std=0.7, ridge=ridge)
    assert result.rank == rank
    solution_map = qr_solution_map(train, result.rank_tolerance, ridge)
    oracle_test = 0.49 * np.sum((test @ solution_map) ** 2) / 7
    oracle_train = 0.49 * np.sum((train @ solution_map) ** 2) / rows
    scale = 0.49 * np.sum(test**2) / 7
    assert abs(result.test - oracle_test) <= RTOL * max(oracle_test, scale * 1e-3)
    assert abs(result.train - oracle_train) <= RTOL * max(oracle_train, 1e-3)
    enum_test, enum_train = enumerated_noise_moments(train, test, rows, 7, 0.7, solution_map)
    assert result.test == pytest.approx(enum_test, rel=RTOL, abs=RTOL * scale)
    assert result.train == pytest.approx(enum_train, rel=RTOL, abs=RTOL)


@pytest.mark.parametrize("outputs", [1, 3])
def test_matches_exact_rational_oracle_with_vector_outputs(outputs):
    rng = np.random.default_rng(outputs)
    samples, parameters = 4, 9
    train = rng.integers(-4, 5, (samples * outputs, 3)) @ rng.integers(-4, 5, (3, parameters))
    test = rng.integers(-4, 5, (5 * outputs, parameters)).astype(float)
    shape = (samples, outputs, parameters)
    result = label_noise_tpv(
        train.reshape(shape).astype(float), test.reshape(5, outputs, parameters), 1.0
    )
    exact_test, exact_train = rational_label_noise(train.astype(float), test, samples, 5)
    assert result.test == pytest.approx(float(exact_test), rel=RTOL)
    assert result.train == pytest.approx(float(exact_train), rel=RTOL)
    assert result.train == pytest.approx(3 / samples, rel=RTOL)  # sigma^2 r / n, App. C.2 (3)


def test_closed_form_one_parameter_by_hand():
    # J = [[2]], J_te = [[3]]: dw = eps/2, df = 3 eps/2, E df^2 = 9/4 sigma^2.
    result = label_noise_tpv([[2.0]], [[3.0]], noise_std=2.0)
    assert result.test == pytest.approx(9.0)
    assert result.train == pytest.approx(4.0)
    ridge = label_noise_tpv([[2.0]], [[3.0]], noise_std=1.0, ridge=4.0)
    # dw = 2 eps / (4 + 4): df_te = 3 eps / 4.
    assert ridge.test == pytest.approx(9 / 16)
    assert ridge.train == pytest.approx(1 / 4)


def test_effective_curvature_and_trace():
    jacobian = np.array([[[1.0, 0.0], [0.0, 2.0]], [[1.0, 1.0], [0.0, 0.0]]])
    h_eff = effective_curvature(jacobian)
    assert np.allclose(h_eff, (np.diag([1.0, 4.0]) + np.ones((2, 2))) / 2)
    assert tpv_trace(h_eff, np.eye(2)) == pytest.approx(np.trace(h_eff))


@pytest.mark.parametrize(
    ("train", "test", "noise_std", "ridge", "error", "words"),
    [
        ([[np.nan, 1.0]], [[1.0, 1.0]], 1.0, 0.0, NonFiniteError, "NaN"),
        ([[np.inf, 1.0]], [[1.0, 1.0]], 1.0, 0.0, NonFiniteError, "jacobian_train"),
        ([[1.0, 1.0]], [[1.0, 1.0, 1.0]], 1.0, 0.0, ShapeError, "parameter count"),
        ([1.0, 1.0], [[1.0, 1.0]], 1.0, 0.0, ShapeError, "(n, p) or (n, K, p)"),
        ([[1.0, 1.0]], [[1.0, 1.0]], -1.0, 0.0, ParameterError, "noise_std"),
        ([[1.0, 1.0]], [[1.0, 1.0]], 1.0, -0.1, ParameterError, "ridge"),
        ([[[1.0, 1.0]]], [[1.0, 1.0]], 1.0, 0.0, ShapeError, "output layout"),
        ([["a", "b"]], [[1.0, 1.0]], 1.0, 0.0, TheorylabError, "real numbers"),
        (np.zeros((0, 3)), np.ones((1, 3)), 1.0, 0.0, ShapeError, "at least one"),
    ],
)
def test_bad_input_raises_typed_readable_errors(train, test, noise_std, ridge, error, words):
    with pytest.raises(error, match=None) as caught:
        label_noise_tpv(train, test, noise_std, ridge=ridge)
    message = str(caught.value)
    assert words in message
    assert "\n" not in message


def test_tpv_trace_rejects_non_psd_covariance():
    from theorylab.errors import NotPSDError, NotSymmetricError

    with pytest.raises(NotPSDError, match="covariance"):
        tpv_trace(np.eye(2), np.diag([1.0, -1.0]))
    with pytest.raises(NotSymmetricError, match="covariance"):
        tpv_trace(np.eye(2), np.array([[1.0, 2.0], [0.0, 1.0]]))


def test_rational_oracle_is_exact_for_ridge():
    train = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    test = np.array([[1.0, 0.0]])
    exact_test, _ = rational_label_noise(train, test, 3, 1, Fraction(1, 2))
    solution = np.linalg.solve(train.T @ train + 0.5 * np.eye(2), train.T)
    assert float(exact_test) == pytest.approx(np.sum((test @ solution) ** 2), rel=1e-13)
