"""Label-noise regimes (paper 000, App. C.2) and linear label noise (Remark 3.1, App. B).

Oracles named per test: exact rational arithmetic (``rational``), full enumeration of
Rademacher noise (``enumeration``), the general spectral-sum solver ``label_noise_tpv``
(``spectral``), the inverse-Wishart mean (``wishart``), hand-derived closed forms (``hand``)
and SGD retraining (``sgd``).
"""

from fractions import Fraction

import numpy as np
import pytest

from theorylab.claims.tpv.label_noise_regimes import regime_search
from theorylab.claims.tpv.linear_label_noise import design_search, harmonic_bound_search
from theorylab.errors import NonFiniteError, NotPSDError, ParameterError, ShapeError
from theorylab.oracles import enumerated_noise_moments, qr_solution_map, rational_label_noise
from theorylab.registry import CheckContext
from theorylab.solvers import label_noise_tpv, linear_label_noise_tpv
from theorylab.solvers.linear_label_noise import (
    gaussian_expected_linear_label_noise_tpv,
    gram_label_noise_tpv,
)
from theorylab.spec import Verdict

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


# ----------------------------------------------------------------- Gram route


@pytest.mark.parametrize(("rows", "columns", "rank"), [(6, 10, 6), (6, 10, 3), (10, 4, 4)])
@pytest.mark.parametrize("ridge", [0.0, 0.3])
def test_gram_route_matches_spectral_solver(rows, columns, rank, ridge):
    rng = np.random.default_rng(rows + columns + rank)
    train = rng.standard_normal((rows, rank)) @ rng.standard_normal((rank, columns))
    test = rng.standard_normal((7, columns))
    spectral = label_noise_tpv(train, test, 0.7, ridge=ridge)  # spectral
    kernel = gram_label_noise_tpv(train @ train.T, test @ train.T, 0.7, ridge=ridge)
    assert kernel.rank == spectral.rank
    assert kernel.test == pytest.approx(spectral.test, rel=1e-9)
    assert kernel.train == pytest.approx(spectral.train, rel=1e-9)


def test_gram_route_linear_case_reduces_to_eq9():
    # hand: K = XXᵀ and whitened test rows sqrt(d) e_j give σ² Tr((XXᵀ)⁻¹).
    rng = np.random.default_rng(1)
    design = rng.standard_normal((3, 9))
    test = np.sqrt(9) * np.eye(9)
    kernel = gram_label_noise_tpv(design @ design.T, test @ design.T, 0.4)
    assert kernel.test == pytest.approx(linear_label_noise_tpv(design, 0.4).value, rel=1e-10)


def test_gram_route_validates_inputs():
    with pytest.raises(NotPSDError):
        gram_label_noise_tpv([[1.0, 0.0], [0.0, -1.0]], [[1.0, 1.0]], 1.0)
    with pytest.raises(ShapeError):
        gram_label_noise_tpv([[1.0]], [[1.0, 2.0]], 1.0)
    with pytest.raises(ParameterError):
        gram_label_noise_tpv([[1.0]], [[1.0]], 1.0, ridge=-1.0)


# ----------------------------------------------------------------- App. C.2 regimes


def test_regime_2a_train_is_sigma_squared_in_rationals():
    # rational: r = n = 3, λ = 0 -> exactly σ²; (3) r = 1 < n = 3 -> σ²/3.
    full = np.array([[1.0, 0, 0, 2], [0, 1.0, 0, 0], [0, 0, 1.0, 1]])
    test = np.eye(4)
    _, train = rational_label_noise(full, test, 3, 4)
    assert train == 1
    low = np.outer([1.0, 2.0, -1.0], [1.0, 0.0, 3.0, 1.0])
    _, train_low = rational_label_noise(low, test, 3, 4)
    assert train_low == Fraction(1, 3)


@pytest.mark.parametrize("ridge", [Fraction(1, 1024), Fraction(1), Fraction(64)])
def test_regime_1_ridge_is_strictly_below_sigma_squared_in_rationals(ridge):
    full = np.array([[2.0, 0, 1], [0, 1.0, 0]])
    _, train = rational_label_noise(full, np.eye(3), 2, 3, ridge)
    assert train < 1
    value = label_noise_tpv(full, np.eye(3), 1.0, ridge=float(ridge)).train
    assert value == pytest.approx(float(train), rel=RTOL)


def test_regime_2a_test_statement_minimal_counterexample():
    # hand: J = [[1, 0]], test law uniform on {e1, e2}: B = 1/2, TPV_te = σ²/2, not σ².
    result = label_noise_tpv([[1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], 1.0)
    assert result.train == 1.0
    assert result.test == 0.5
    assert result.b_diagonal[0] == 0.5


def test_regime_2b_both_vanish_like_sigma_squared():
    rng = np.random.default_rng(2)
    train, test = rng.standard_normal((4, 9)), rng.standard_normal((6, 9))
    unit = label_noise_tpv(train, test, 1.0)
    tiny = label_noise_tpv(train, test, 1e-6)
    assert tiny.test == pytest.approx(1e-12 * unit.test, rel=1e-12)
    assert tiny.train == pytest.approx(1e-12 * unit.train, rel=1e-12)


def test_regime_searches_find_no_counterexample_on_known_instances():
    from theorylab.strategies import JacobianPair

    pair = JacobianPair(train=np.array([[1.0, 2.0], [3.0, 4.0]]), test=np.eye(2), outputs=1)
    assert regime_search.probe((pair, 0.5, Fraction(1, 4))) is None
    assert regime_search.probe((pair, 0.5, Fraction(0))) is None
    assert design_search.probe(np.array([[1.0, 2.0, 0.0]])) is None
    assert design_search.probe(np.array([[1.0, 2.0], [2.0, 4.0]])) is None  # rejected: fine
    assert harmonic_bound_search.probe(np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]])) is None


def test_claim_checks_give_the_documented_verdicts():
    from theorylab.claims.tpv import label_noise_regimes as regimes
    from theorylab.claims.tpv import linear_label_noise as linear

    context = CheckContext(seed=0)
    assert linear.derivation_app_b(context).verdict is Verdict.PROVED
    assert linear.closed_form_vs_brute_force(context).verdict is Verdict.HOLDS
    assert regimes.regimes_vs_exact_rationals(context).verdict is Verdict.HOLDS
    refuted = regimes.matched_distribution_interpolation(context)
    assert refuted.verdict is Verdict.REFUTED
    assert refuted.counterexample is not None
