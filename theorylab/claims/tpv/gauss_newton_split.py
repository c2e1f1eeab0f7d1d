r"""``tpv.gauss_newton_split`` — paper 000, App. D.2 (Eq. 55-59).

:math:`\nabla^2L = H_{\mathrm{eff}} + R`, :math:`R = \frac1n\sum\varepsilon_i\nabla^2f_i`
(Eq. 55-57), exact; :math:`\|R\|` is linear in the residuals (Eq. 58), so Eq. 59 has a
relative error :math:`O(\|\varepsilon\|_\infty)`; at zero training loss it is exact.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.tpv.common import SLOPE_BAND, judged_cases
from theorylab.claims.tpv.models import tanh_bilinear_model, zero_loss_tanh_instance
from theorylab.claims.tpv.paper import cite
from theorylab.error_laws import loglog_slope
from theorylab.figures import figure
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict

__all__ = ["GAUSS_NEWTON_SPLIT", "gauss_newton_search"]

(GAUSS_NEWTON_SPLIT,) = CATALOG.add_specs(__file__, cite)


def _loss_gradient(inputs: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    outputs, jacobian, _ = tanh_bilinear_model(inputs, weights)
    return jacobian.T @ (outputs - targets) / inputs.shape[0]


def _gauss_newton_parts(
    inputs: np.ndarray, targets: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    outputs, jacobian, hessians = tanh_bilinear_model(inputs, weights)
    residuals = outputs - targets
    n = inputs.shape[0]
    h_eff = jacobian.T @ jacobian / n
    remainder = np.einsum("n,nij->ij", residuals, hessians) / n
    bound = float(np.mean(np.abs(residuals) * np.linalg.norm(hessians, 2, axis=(1, 2))))
    return h_eff + remainder, h_eff, remainder, bound


@CATALOG.check(GAUSS_NEWTON_SPLIT, kind=CheckKind.SYMBOLIC,
               description="Eq. 55-57 for arbitrary smooth f (sympy undefined functions); "
               "R = 0 at zero loss")
def derivation_app_d2(context: CheckContext) -> Finding:
    """Differentiate L twice symbolically and compare with Eq. 55-57."""
    from theorylab.proofs.tpv.gauss_newton_split import gauss_newton_derivation

    cases = [(2, 2), (3, 2)] + ([(3, 3)] if context.full else [])
    return judged_cases(cases, gauss_newton_derivation, "n={}, p={}".format)


@CATALOG.check(GAUSS_NEWTON_SPLIT, kind=CheckKind.EXACT,
               description="tanh-bilinear model: Eq. 55 vs finite-difference Hessian of L, "
               "Eq. 58 bound, and the Eq. 59 error law vs distance to a zero-loss w*")
def gauss_newton_error_law(context: CheckContext) -> Finding:
    """Analytic split vs central differences; ‖R‖ bound; relative error slope in t."""
    rng = context.rng()
    n, d = 12, 3
    inputs, optimum = zero_loss_tanh_instance(rng, n, d)
    targets = tanh_bilinear_model(inputs, optimum)[0]  # zero loss at w*
    direction = rng.standard_normal(2 * d)
    step = 1e-5
    fd_gap, bound_ok = 0.0, True
    for weights in (optimum + 0.3 * direction, rng.standard_normal(2 * d)):
        hessian, _, remainder, bound = _gauss_newton_parts(inputs, targets, weights)
        columns = [
            (_loss_gradient(inputs, targets, weights + step * e)
             - _loss_gradient(inputs, targets, weights - step * e)) / (2 * step)
            for e in np.eye(2 * d)
        ]
        numeric = np.array(columns).T
        fd_gap = max(fd_gap, float(np.max(np.abs(numeric - hessian)) / np.max(np.abs(hessian))))
        bound_ok &= float(np.linalg.norm(remainder, 2)) <= bound * (1 + 1e-12)
    distances = np.logspace(-4, -1, 7)
    errors, trace_errors = [], []
    for t in distances:
        hessian, h_eff, _, _ = _gauss_newton_parts(inputs, targets, optimum + t * direction)
        errors.append(float(np.linalg.norm(hessian - h_eff, 2) / np.linalg.norm(h_eff, 2)))
        trace_errors.append(abs(float(np.trace(hessian - h_eff))) / float(np.trace(h_eff)))
    slope = loglog_slope(distances, errors)
    exact_at_optimum = float(np.max(np.abs(_gauss_newton_parts(inputs, targets, optimum)[2])))
    holds = fd_gap <= 1e-6 and bound_ok and abs(slope - 1.0) <= SLOPE_BAND and exact_at_optimum == 0
    return judged(
        holds,
        supported=Verdict.HOLDS_APPROX,
        summary=(
            f"Eq. 55 vs finite differences {fd_gap:.1e}; Eq. 58 bound "
            f"{'holds' if bound_ok else 'fails'}"
            f"; ‖∇²L − H_eff‖/‖H_eff‖ slope {slope:.3f} in distance to w* (law 1); R(w*) = "
            f"{exact_at_optimum:g}"
        ),
        residual=errors[0],
        error_law="relative error = O(t), t = |w - w*|",
        sizes={"n": n, "p": 2 * d},
        instances=2 + len(distances),
        figure=figure(
            "Eq. 59: Gauss-Newton error vs distance to a zero-loss minimiser",
            "t = |w − w*| / |d|", "relative error", distances,
            [("operator norm", errors, "scatter"), ("trace", trace_errors, "scatter")],
            log_x=True, log_y=True,
        ),
        details={"slope": slope, "finite_difference_gap": fd_gap, "errors": errors},
    )


def _gauss_newton_probe(
    instance: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> Counterexample | None:
    inputs, targets, weights = instance
    _, _, remainder, bound = _gauss_newton_parts(inputs, targets, weights)
    norm = float(np.linalg.norm(remainder, 2))
    if norm > bound * (1 + 1e-12) + 1e-300:
        return Counterexample(instance={"inputs": inputs.tolist(), "targets": targets.tolist(),
                                        "weights": weights.tolist()},
                              claimed=bound, actual=norm, message="Eq. 58 bound violated")
    return None


def _gauss_newton_strategy() -> object:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    small = st.integers(-3, 3).map(lambda k: k / 2)

    @st.composite
    def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n, d = draw(st.integers(1, 5)), draw(st.integers(1, 3))
        inputs = draw(hnp.arrays(float, (n, d), elements=small))
        targets = draw(hnp.arrays(float, (n,), elements=small))
        weights = draw(hnp.arrays(float, (2 * d,), elements=small))
        return inputs, targets, weights

    return instances()


gauss_newton_search = CATALOG.search(
    GAUSS_NEWTON_SPLIT,
    name="remainder_within_eq58_bound",
    description="hypothesis over tanh-bilinear models (n ≤ 5, d ≤ 3, half-integer data and "
    "weights, any loss): ‖R‖₂ ≤ (1/n) Σ |ε_i| ‖∇²f_i‖₂ and ∇²L = H_eff + R",
    strategy=_gauss_newton_strategy,
    probe=_gauss_newton_probe,
)

