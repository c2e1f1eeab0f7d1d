"""Label-noise regimes (paper 000, App. C.2) and the Gram route of their torch check.

Oracles named per test: exact rational arithmetic (``rational``), the general spectral-sum
solver ``label_noise_tpv`` (``spectral``) and hand-derived closed forms (``hand``). The last
two tests also cover ``tpv.linear_label_noise``'s searches and checks next to the regimes'.
"""

from fractions import Fraction

import numpy as np
import pytest

from theorylab.claims.tpv.label_noise_regimes.property import regime_search
from theorylab.claims.tpv.linear_label_noise.property import design_search, harmonic_bound_search
from theorylab.errors import NotPSDError, ParameterError, ShapeError
from theorylab.oracles import rational_label_noise
from theorylab.registry import CheckContext
from theorylab.solvers import label_noise_tpv, linear_label_noise_tpv
from theorylab.solvers.linear_label_noise import gram_label_noise_tpv
from theorylab.spec import Verdict

RTOL = 1e-10


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
    from theorylab.claims.tpv.label_noise_regimes import exact as regimes
    from theorylab.claims.tpv.linear_label_noise import exact as linear_exact
    from theorylab.claims.tpv.linear_label_noise import symbolic as linear_symbolic

    context = CheckContext(seed=0)
    assert linear_symbolic.derivation_app_b(context).verdict is Verdict.PROVED
    assert linear_exact.closed_form_vs_brute_force(context).verdict is Verdict.HOLDS
    assert regimes.regimes_vs_exact_rationals(context).verdict is Verdict.HOLDS
    refuted = regimes.matched_distribution_interpolation(context)
    assert refuted.verdict is Verdict.REFUTED
    assert refuted.counterexample is not None
