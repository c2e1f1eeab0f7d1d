r"""``tpv.quantization`` — paper 000, Remark 3.4 / App. E: uniform quantization noise.

With :math:`\delta w_j\sim\mathrm{Unif}(-\delta/2,\delta/2)` i.i.d., :math:`C = \frac{\delta^2}
{12}I` and :math:`\mathrm{TPV} = \mathrm{Tr}(H_{\mathrm{eff}}C) = \frac{\delta^2}{12}\mathrm{Tr}
H_{\mathrm{eff}}`, which equals :math:`\frac{\delta^2}{12}\mathrm{Tr}\nabla^2L(w^*)` exactly at
a zero-training-loss minimiser (:math:`R = 0`, App. D.2). The only approximation is the
linearisation of ``f``: odd orders vanish by symmetry, so the relative error is
:math:`O(\delta^2)` (an :math:`O(\delta^4)` absolute correction, given in closed form for a
quadratic model). Checks: sympy (exact integrals), closed form vs tensor Gauss-Legendre
quadrature (exact for these polynomials) and Monte Carlo, the measured δ-exponent on a
non-linear model (antithetic draws), hypothesis, and a torch MLP.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.tpv.paper import PAPER_000, PAPER_000_TITLE
from theorylab.claims.tpv.sgd_lyapunov import tanh_bilinear_model
from theorylab.derivations import judge_derivation, labelled
from theorylab.error_laws import loglog_slope
from theorylab.falsify import PropertySearch
from theorylab.numerics import roundoff_tolerance
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.lyapunov import quantization_tpv
from theorylab.spec import (
    Assumption,
    CheckKind,
    Claim,
    ClaimKind,
    Convention,
    Counterexample,
    Figure,
    FigureSeries,
    Finding,
    Level,
    Source,
    Tolerance,
    Verdict,
)

__all__ = [
    "QUANTIZATION",
    "gauss_legendre_quantization_tpv",
    "quadratic_quantization_tpv",
    "quantization_search",
]

SLOPE_BAND = 0.25
Z_LIMIT = 4.0

QUANTIZATION = CATALOG.add(
    Claim(
        id="tpv.quantization",
        title="TPV under uniform quantization noise is (δ²/12) Tr ∇²L",
        source=Source(paper=PAPER_000, title=PAPER_000_TITLE, location="Remark 3.4; App. E",
                      equations=["12"]),
        statement=(
            r"\delta w_j\sim\mathrm{Unif}(-\tfrac\delta2,\tfrac\delta2)\ \text{i.i.d.}\Rightarrow"
            r"\ \mathrm{TPV}_{\mathrm{quant}}\approx\frac{\delta^2}{12}\mathrm{Tr}\nabla^2L(w^*)"
        ),
        kind=ClaimKind.APPROXIMATION,
        assumptions=[
            Assumption(name="zero training loss",
                       statement=r"$\varepsilon_i(w^*) = 0$, GD-trained"),
            Assumption(name="quantization model", statement=r"$\delta w_j$ i.i.d. uniform on "
                       r"$[-\delta/2, \delta/2]$"),
        ],
        conventions=[Convention(name="TPV", statement=r"training-set TPV $\frac1n\sum_i\mathbb E"
                                r"(f_i(w^*+\delta w) - f_i(w^*))^2$")],
        tolerance=Tolerance(
            rtol=1e-12,
            error_law="relative error O(delta^2) (odd orders vanish); exact fourth-order term "
            "for quadratic f",
            rationale="quadrature exact for degree-4 polynomials; MC with antithetic pairs",
        ),
        tags=["paper000", "tpv", "quantization"],
    )
)


def quadratic_quantization_tpv(jacobian: np.ndarray, curvatures: np.ndarray, step: float) -> float:
    r"""Exact TPV for :math:`\Delta f_i = J_i\delta w + \frac12\delta w^\top Q_i\delta w`.

    .. math:: \frac{\delta^2}{12}\mathrm{Tr}H_{\mathrm{eff}} + \frac1{4n}\sum_i\Big[
              \frac{\delta^4}{80}\sum_j Q_{i,jj}^2 + \frac{\delta^4}{144}\sum_{j\ne k}
              (Q_{i,jj}Q_{i,kk} + 2Q_{i,jk}^2)\Big]

    Examples
    --------
    >>> quadratic_quantization_tpv(np.array([[1.0]]), np.zeros((1, 1, 1)), 2.0) * 3
    1.0
    """
    n = jacobian.shape[0]
    linear = step**2 / 12 * float(np.sum(jacobian**2)) / n
    diagonal = np.einsum("ijj->ij", curvatures)
    fourth, second = step**4 / 80, step**2 / 12
    total = 0.0
    for q, d in zip(curvatures, diagonal, strict=True):
        off = np.sum(np.outer(d, d)) - np.sum(d**2) + 2 * (np.sum(q**2) - np.sum(d**2))
        total += fourth * np.sum(d**2) + second**2 * off
    return linear + total / (4 * n)


def gauss_legendre_quantization_tpv(
    changes: object, parameters: int, step: float, nodes: int = 3
) -> float:
    r"""Tensor Gauss-Legendre quadrature of :math:`\frac1n\sum_i\mathbb E\,\Delta f_i(\delta w)^2`.

    ``changes(points)`` maps ``(m, p)`` perturbations to ``(m, n)`` output changes. ``nodes``
    points per axis integrate polynomials of degree :math:`\le 2\,\mathrm{nodes}-1` exactly.
    """
    points, weights = np.polynomial.legendre.leggauss(nodes)
    grid = np.array(np.meshgrid(*[points] * parameters, indexing="ij")).reshape(parameters, -1).T
    weight = np.prod(np.array(np.meshgrid(*[weights] * parameters, indexing="ij")).reshape(
        parameters, -1), axis=0) / 2.0**parameters
    values = np.mean(np.asarray(changes(grid * step / 2)) ** 2, axis=1)  # type: ignore[operator]
    return float(weight @ values)


@CATALOG.check(QUANTIZATION, kind=CheckKind.SYMBOLIC,
               description="App. E with exact integrals: E[δwδwᵀ] = δ²/12 I, linear TPV, exact "
               "quadratic-model TPV with its δ⁴ term")
def derivation_app_e(context: CheckContext) -> Finding:
    """Sympy integrals over the uniform cube."""
    from theorylab.proofs.tpv_sgd import gauss_newton_derivation, quantization_derivation

    cases = [(2, 2)] + ([(3, 2)] if context.full else [])
    steps = [
        step
        for p, n in cases
        for step in labelled(f"p={p}, n={n}", quantization_derivation(parameters=p, samples=n))
    ]
    steps += [s for s in gauss_newton_derivation(2, 2) if "zero_loss" in s.name]
    return judge_derivation(steps, cases=len(cases))


def _quadratic_instance(rng: np.random.Generator, n: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    jacobian = rng.standard_normal((n, p))
    factors = rng.standard_normal((n, p, p))
    return jacobian, factors + np.transpose(factors, (0, 2, 1))


def _quadratic_changes(jacobian: np.ndarray, curvatures: np.ndarray):
    def changes(points: np.ndarray) -> np.ndarray:
        return points @ jacobian.T + 0.5 * np.einsum("mj,ijk,mk->mi", points, curvatures, points)

    return changes


@CATALOG.check(QUANTIZATION, kind=CheckKind.EXACT,
               description="quadratic model: closed form vs Gauss-Legendre quadrature (exact) and "
               "Monte Carlo (z-test); Eq. 12's relative error vs δ, slope 2")
def quadratic_model_error_law(context: CheckContext) -> Finding:
    """Exact TPV of a quadratic model against two oracles, and its δ-exponent."""
    rng = context.rng()
    n, p = 5, 3
    jacobian, curvatures = _quadratic_instance(rng, n, p)
    changes = _quadratic_changes(jacobian, curvatures)
    steps = np.logspace(-3, 0, 7)
    quad_gap, errors = 0.0, []
    trace = float(np.sum(jacobian**2)) / n
    for step in steps:
        exact = quadratic_quantization_tpv(jacobian, curvatures, step)
        quadrature = gauss_legendre_quantization_tpv(changes, p, step)
        quad_gap = max(quad_gap, abs(exact - quadrature) / exact)
        errors.append(abs(quantization_tpv(trace, step) - exact) / exact)
    draws = 20000
    step = 0.5
    samples = np.mean(changes(rng.uniform(-step / 2, step / 2, (draws, p))) ** 2, axis=1)
    z_score = (float(np.mean(samples)) - quadratic_quantization_tpv(jacobian, curvatures, step)) / (
        float(np.std(samples, ddof=1)) / np.sqrt(draws)
    )
    slope = loglog_slope(steps[:4], errors[:4])
    holds = quad_gap <= 1e-12 and abs(z_score) <= Z_LIMIT and abs(slope - 2) <= SLOPE_BAND
    return Finding(
        verdict=Verdict.HOLDS_APPROX if holds else Verdict.REFUTED,
        summary=(f"closed form vs quadrature {quad_gap:.1e}, vs Monte Carlo z = {z_score:+.2f}; "
                 f"Eq. 12 relative error slope in δ {slope:.3f} (law 2)"),
        residual=errors[0],
        error_law="relative error = c delta^2 + O(delta^4)",
        sizes={"n": n, "p": p, "draws": draws},
        instances=len(steps) + draws,
        figure=Figure(
            title="Remark 3.4 on a quadratic model: relative error vs δ", x_label="δ",
            y_label="relative error", log_x=True, log_y=True,
            series=[FigureSeries(label="exact vs δ²/12 Tr H", x=steps.tolist(), y=errors,
                                 style="scatter")],
        ),
        details={"slope": slope, "quadrature_gap": quad_gap, "z": z_score, "errors": errors},
    )


@CATALOG.check(QUANTIZATION, kind=CheckKind.EXACT,
               description="non-linear tanh-bilinear model at a zero-loss w*: Monte Carlo with "
               "antithetic pairs; linearisation error vs δ (slope 2) and Tr ∇²L = Tr H_eff")
def nonlinear_model_error_law(context: CheckContext) -> Finding:
    """Measured TPV vs (δ²/12) Tr ∇²L(w*) on a non-quadratic model."""
    rng = context.rng()
    n, d = 10, 3
    inputs = rng.standard_normal((n, d))
    optimum = rng.standard_normal(2 * d)
    base, jacobian, hessians = tanh_bilinear_model(inputs, optimum)
    hessian_trace = float(np.trace(jacobian.T @ jacobian / n))  # = Tr ∇²L at zero loss
    loss_hessian = jacobian.T @ jacobian / n + np.einsum(
        "n,nij->ij", base - base, hessians) / n
    draws = 20000 if not context.full else 200000
    uniform = rng.uniform(-0.5, 0.5, (draws, 2 * d))
    pairs = np.vstack([uniform, -uniform])
    steps = np.logspace(-3, -0.5, 6)
    errors, linear_z = [], []
    for step in steps:
        weights = optimum + step * pairs  # (2 draws, 2d): f = tanh(u.x) v.x per draw, vectorised
        perturbed = np.tanh(weights[:, :d] @ inputs.T) * (weights[:, d:] @ inputs.T)
        squared = np.mean((perturbed - base) ** 2, axis=1)
        linear = np.mean((step * pairs @ jacobian.T) ** 2, axis=1)
        nonlinear = squared - linear  # same draws: MC noise of the linear part cancels
        errors.append(abs(float(np.mean(nonlinear))) / quantization_tpv(hessian_trace, step))
        paired = 0.5 * (linear[:draws] + linear[draws:])
        linear_z.append((float(np.mean(paired)) - quantization_tpv(hessian_trace, step))
                        / (float(np.std(paired, ddof=1)) / np.sqrt(draws)))
    slope = loglog_slope(steps[:4], errors[:4])
    trace_gap = abs(float(np.trace(loss_hessian)) - hessian_trace)
    # Both traces sum the n p squares J_ij^2 / n (the residual term is multiplied by an exact
    # zero): each is within n p eps Tr of the exact sum, whatever the BLAS summation order
    trace_margin = roundoff_tolerance(hessian_trace, n * 2 * d, factor=2.0)
    holds = abs(slope - 2) <= SLOPE_BAND and max(abs(z) for z in linear_z) <= Z_LIMIT and (
        trace_gap <= trace_margin)
    return Finding(
        verdict=Verdict.HOLDS_APPROX if holds else Verdict.REFUTED,
        summary=(f"linearisation error slope in δ {slope:.3f} (law 2); linear part vs δ²/12 Tr H "
                 f"max |z| {max(abs(z) for z in linear_z):.2f}; Tr ∇²L − Tr H_eff = {trace_gap:g} "
                 f"(roundoff margin {trace_margin:.2g})"),
        residual=errors[0],
        error_law="relative error O(delta^2) (antithetic pairs remove odd orders exactly)",
        sizes={"n": n, "p": 2 * d, "draws": 2 * draws},
        instances=2 * draws * len(steps),
        figure=Figure(
            title="Remark 3.4 on tanh(uᵀx)·vᵀx at zero loss: linearisation error vs δ",
            x_label="δ", y_label="|TPV − δ²/12 Tr H| / (δ²/12 Tr H)", log_x=True, log_y=True,
            series=[FigureSeries(label="measured", x=steps.tolist(), y=errors, style="scatter"),
                    FigureSeries(label="δ² law", x=steps.tolist(),
                                 y=(errors[0] * (steps / steps[0]) ** 2).tolist())],
        ),
        details={"slope": slope, "errors": errors, "linear_z": linear_z},
    )


def _probe(instance: tuple[np.ndarray, np.ndarray, float]) -> Counterexample | None:
    jacobian, curvatures, step = instance
    exact = quadratic_quantization_tpv(jacobian, curvatures, step)
    quadrature = gauss_legendre_quantization_tpv(
        _quadratic_changes(jacobian, curvatures), jacobian.shape[1], step)
    scale = step**2 * float(np.sum(jacobian**2)) + step**4 * float(np.sum(curvatures**2)) + 1e-300
    linear = quantization_tpv(float(np.sum(jacobian**2)) / jacobian.shape[0], step)
    if abs(exact - quadrature) > 1e-12 * scale or exact < linear * (1 - 1e-12):
        return Counterexample(
            instance={"jacobian": jacobian.tolist(), "curvatures": curvatures.tolist(),
                      "step": step},
            claimed=exact, actual=quadrature,
            message=f"closed form {exact!r} vs quadrature {quadrature!r} (linear part {linear!r})",
        )
    return None


def _strategy() -> object:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    @st.composite
    def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float]:
        n, p = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        small = st.integers(-3, 3)
        jacobian = draw(hnp.arrays(np.int64, (n, p), elements=small)).astype(float)
        raw = draw(hnp.arrays(np.int64, (n, p, p), elements=small)).astype(float)
        step = 2.0 ** draw(st.integers(-8, 4))
        return jacobian, raw + np.transpose(raw, (0, 2, 1)), step

    return instances()


quantization_search = CATALOG.add_search(
    QUANTIZATION,
    PropertySearch(
        name="quadratic_tpv_matches_quadrature",
        description="hypothesis over integer J (n ≤ 4, p ≤ 3, any rank incl. 0), symmetric integer "
        "Q_i, δ = 2^-8..2^4: exact quadratic-model TPV = Gauss-Legendre quadrature and ≥ the "
        "linear (δ²/12) Tr H_eff (the δ⁴ correction is non-negative)",
        strategy=_strategy,
        probe=_probe,
    ),
)


@CATALOG.check(QUANTIZATION, kind=CheckKind.TORCH,
               description="MLP fitted to a teacher (near-zero loss): uniform perturbations vs "
               "(δ²/12) Tr ∇²L with the exact Hessian", levels=(Level.QUICK, Level.FULL))
def mlp_quantization(context: CheckContext) -> Finding:
    """See :mod:`theorylab.claims.tpv.quantization_torch`."""
    from theorylab.claims.tpv.quantization_torch import quantization_experiment

    return quantization_experiment(context)
