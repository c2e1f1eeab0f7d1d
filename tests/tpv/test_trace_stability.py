"""TPV trace stability (paper 000, Theorem 2.1 / A.4; the trace inequality of App. A.3 is
``test_trace_inequality.py``).

Oracles, named per test: the dense p x p matrix ``J_trᵀJ_tr/n_tr - J_teᵀJ_te/n_te``
(``dense``), exact rational arithmetic with sympy real-root counting (``exact``),
hand-derived closed forms (``closed form``), and sympy derivations (``symbolic``).
"""

import numpy as np
import pytest

from theorylab.claims.tpv.trace_inequality import TRACE_INEQUALITY
from theorylab.claims.tpv.trace_stability import TRACE_STABILITY, TRACE_STABILITY_CORRECTED
from theorylab.claims.tpv.trace_stability.exact import (
    assumptions_imply_conclusion,
    corrected_chain,
    finite_size_bound,
)
from theorylab.errors import NotPSDError, NotSymmetricError, ShapeError
from theorylab.proofs.tpv.trace_stability import trace_stability_derivation
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers import trace_stability_gap
from theorylab.solvers.trace_stability import effective_curvature_difference, trace_inequality_sides
from theorylab.spec import Verdict

RTOL = 1e-10


def dense_difference(train, test):
    rows_train = np.reshape(train, (-1, np.shape(train)[-1]))
    rows_test = np.reshape(test, (-1, np.shape(test)[-1]))
    return rows_train.T @ rows_train / np.shape(train)[0] - rows_test.T @ rows_test / np.shape(
        test
    )[0]


@pytest.mark.parametrize("method", ["gram", "thin_qr", "auto"])
@pytest.mark.parametrize(
    "shapes",
    [((5, 300), (7, 300)), ((1, 50), (1, 50)), ((3, 2, 80), (4, 2, 80)), ((40, 6), (30, 6))],
)
def test_reduced_operator_norm_matches_dense(method, shapes):
    """Oracle: dense — eigenvalues of the p x p difference vs the (n_tr + n_te)² reduction."""
    rng = np.random.default_rng(sum(map(sum, shapes)))
    train, test = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    spectrum = effective_curvature_difference(train, test, method=method)
    dense_values = np.linalg.eigvalsh(dense_difference(train, test))
    dense_norm = np.max(np.abs(dense_values))
    assert abs(spectrum.operator_norm - dense_norm) <= RTOL * dense_norm
    nonzero = np.sort(dense_values[np.abs(dense_values) > 1e-9 * dense_norm])
    reduced = np.sort(spectrum.eigenvalues[np.abs(spectrum.eigenvalues) > 1e-9 * dense_norm])
    np.testing.assert_allclose(reduced, nonzero, rtol=1e-8, atol=1e-10 * dense_norm)


def test_reduced_norm_never_forms_p_by_p(monkeypatch):
    """A p = 200000 problem: a p x p float64 matrix would need 320 GB."""
    rng = np.random.default_rng(0)
    train, test = rng.standard_normal((4, 200_000)), rng.standard_normal((3, 200_000))
    spectrum = effective_curvature_difference(train, test)
    assert spectrum.method == "gram"
    qr = effective_curvature_difference(train, test, method="thin_qr")
    assert abs(spectrum.operator_norm - qr.operator_norm) <= RTOL * qr.operator_norm


def test_gap_closed_form():
    """Closed form: J_tr = [1, 0], J_te = [0, 1], C = diag(2, 1)."""
    result = trace_stability_gap([[1.0, 0.0]], [[0.0, 1.0]], np.diag([2.0, 1.0]))
    assert (result.tpv_train, result.tpv_test, result.gap) == (2.0, 1.0, 1.0)
    assert result.operator_norm == pytest.approx(1.0, rel=1e-15)
    assert result.bound == pytest.approx(3.0, rel=1e-15)


def test_gap_against_dense_traces_and_bound():
    """Oracle: dense — Tr(H C) with H formed explicitly; the bound holds."""
    rng = np.random.default_rng(3)
    train, test = rng.standard_normal((6, 30)), rng.standard_normal((9, 30))
    factor = rng.standard_normal((30, 4))
    covariance = factor @ factor.T
    result = trace_stability_gap(train, test, covariance)
    assert result.tpv_train == pytest.approx(np.trace(train.T @ train @ covariance) / 6, rel=RTOL)
    assert result.tpv_test == pytest.approx(np.trace(test.T @ test @ covariance) / 9, rel=RTOL)
    assert result.gap <= result.bound + result.rounding_bound


def test_covariance_must_be_psd_and_shapes_match():
    with pytest.raises(NotPSDError):
        trace_stability_gap([[1.0, 0.0]], [[0.0, 1.0]], np.diag([1.0, -1.0]))
    with pytest.raises(ShapeError):
        trace_stability_gap([[1.0, 0.0]], [[0.0, 1.0]], np.eye(3))
    with pytest.raises(ShapeError):
        effective_curvature_difference([[1.0, 0.0]], [[1.0, 0.0, 0.0]])
    with pytest.raises(NotSymmetricError):
        trace_inequality_sides([[0.0, 1.0], [0.0, 0.0]], np.eye(2))


def test_symbolic_a2_step_fails_with_residual():
    """Symbolic: 'A.2 ⇒ Eq. 22' leaves a nonzero characteristic-polynomial residual."""
    steps = {step.name: step for step in trace_stability_derivation()}
    assert steps["a2_implies_eq22"].holds is False
    assert steps["a2_implies_eq22"].residual != "0"
    others = [step for name, step in steps.items() if name != "a2_implies_eq22"]
    assert all(step.holds for step in others)
    corrected = trace_stability_derivation(corrected=True)
    assert all(step.holds for step in corrected)


def test_minimal_a2_counterexample_by_hand():
    """Closed form: J0 = [1, 0], J* = [0, 1]: G* - G0 = 0 but ||H* - H0|| = 1."""
    j0, js = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    assert np.allclose(js @ js.T - j0 @ j0.T, 0.0)
    assert effective_curvature_difference(js, j0).operator_norm == pytest.approx(1.0)


def test_theorem_refuted_and_corrected_bound_tight():
    finding = assumptions_imply_conclusion(CheckContext())
    assert finding.verdict is Verdict.REFUTED
    assert finding.counterexample is not None
    terms = corrected_chain(
        np.array([[1.0, 0.0]]),
        np.array([[1.0, 0.0]]),
        np.array([[0.0, 1.0]]),
        np.array([[1.0, 0.0]]),
        np.diag([1.0, 0.0]),
    )
    assert terms["gap"] == pytest.approx(1.0)
    assert terms["bound"] == pytest.approx(1.0)
    assert terms["violation"] <= 0


def test_finite_size_bound_check_holds():
    assert finite_size_bound(CheckContext()).verdict is Verdict.HOLDS


def test_claims_registered_with_checks():
    for claim in (TRACE_INEQUALITY, TRACE_STABILITY, TRACE_STABILITY_CORRECTED):
        kinds = {spec.kind.value for spec in CATALOG.get(claim.id).checks}
        assert {"symbolic", "exact"} <= kinds
    assert CATALOG.get(TRACE_STABILITY_CORRECTED.id).companion_of == TRACE_STABILITY.id


def test_batched_forward_matches_mlp_and_first_order_error_of_linear_model():
    """Oracle: closed form — rel_err of App. F.1.1 is 0 for a model linear in w (depth 0)."""
    torch = pytest.importorskip("torch")
    from theorylab.claims.tpv.trace_stability.torch_batched import (
        forward_runs,
        relative_first_order_error,
        stack_runs,
    )
    from theorylab.gpu.models import MLP

    model = MLP(3, width=5, depth=2, seed=0).to(torch.float64)
    inputs = torch.randn(7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    params = stack_runs(model, 2)
    assert torch.allclose(forward_runs(params, inputs)[1], model(inputs)[:, 0], rtol=1e-12)
    linear = stack_runs(MLP(3, width=1, depth=0, seed=0), 3)
    moved = [p + 0.1 * torch.randn_like(p) for p in linear]
    assert float(relative_first_order_error(linear, moved, inputs).max()) <= 1e-20
    deep_moved = [p + 0.3 * torch.randn_like(p) for p in params]
    assert float(relative_first_order_error(params, deep_moved, inputs).max()) > 0
