"""Exact checks of ``tpv.quantization``: quadratic model (closed form, quadrature), tanh model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from theorylab.claims.tpv.common import SLOPE_BAND, Z_LIMIT
from theorylab.claims.tpv.models import tanh_bilinear_model, zero_loss_tanh_instance
from theorylab.claims.tpv.quantization import QUANTIZATION
from theorylab.error_laws import loglog_slope
from theorylab.figures import figure
from theorylab.findings import judged
from theorylab.numerics import roundoff_tolerance
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.lyapunov import quantization_tpv
from theorylab.spec import CheckKind, Finding, Verdict

__all__ = [
    "gauss_legendre_quantization_tpv",
    "nonlinear_model_error_law",
    "quadratic_changes",
    "quadratic_model_error_law",
    "quadratic_quantization_tpv",
]


def quadratic_quantization_tpv(jacobian: np.ndarray, curvatures: np.ndarray, step: float) -> float:
    r"""Exact TPV for :math:`\Delta f_i = J_i\delta w + \frac12\delta w^\top Q_i\delta w`.

    .. math:: \frac{\delta^2}{12}\mathrm{Tr}H_{\mathrm{eff}} + \frac1{4n}\sum_i\Big[
              \frac{\delta^4}{80}\sum_j Q_{i,jj}^2 + \frac{\delta^4}{144}\sum_{j\ne k}
              (Q_{i,jj}Q_{i,kk} + 2Q_{i,jk}^2)\Big]

    Examples
    --------
    >>> float(quadratic_quantization_tpv(np.array([[1.0]]), np.zeros((1, 1, 1)), 2.0) * 3)
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
    changes: Callable[[np.ndarray], np.ndarray],
    parameters: int,
    step: float,
    nodes: int = 3,
) -> float:
    r"""Tensor Gauss-Legendre quadrature of :math:`\frac1n\sum_i\mathbb E\,\Delta f_i(\delta w)^2`.

    ``changes(points)`` maps ``(m, p)`` perturbations to ``(m, n)`` output changes. ``nodes``
    points per axis integrate polynomials of degree :math:`\le 2\,\mathrm{nodes}-1` exactly.
    """
    points, weights = np.polynomial.legendre.leggauss(nodes)
    grid = np.array(np.meshgrid(*[points] * parameters, indexing="ij")).reshape(parameters, -1).T
    weight = np.prod(np.array(np.meshgrid(*[weights] * parameters, indexing="ij")).reshape(
        parameters, -1), axis=0) / 2.0**parameters
    values = np.mean(np.asarray(changes(grid * step / 2)) ** 2, axis=1)
    return float(weight @ values)



def _quadratic_instance(rng: np.random.Generator, n: int, p: int) -> tuple[np.ndarray, np.ndarray]:
    jacobian = rng.standard_normal((n, p))
    factors = rng.standard_normal((n, p, p))
    return jacobian, factors + np.transpose(factors, (0, 2, 1))


def quadratic_changes(
    jacobian: np.ndarray, curvatures: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """Output changes of the quadratic model, ``(m, p)`` perturbations to ``(m, n)``."""

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
    changes = quadratic_changes(jacobian, curvatures)
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
    return judged(
        holds,
        supported=Verdict.HOLDS_APPROX,
        summary=(f"closed form vs quadrature {quad_gap:.1e}, vs Monte Carlo z = {z_score:+.2f}; "
                 f"Eq. 12 relative error slope in δ {slope:.3f} (law 2)"),
        residual=errors[0],
        error_law="relative error = c delta^2 + O(delta^4)",
        sizes={"n": n, "p": p, "draws": draws},
        instances=len(steps) + draws,
        figure=figure(
            "Remark 3.4 on a quadratic model: relative error vs δ", "δ", "relative error",
            steps, [("exact vs δ²/12 Tr H", errors, "scatter")], log_x=True, log_y=True,
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
    inputs, optimum = zero_loss_tanh_instance(rng, n, d)
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
    return judged(
        holds,
        supported=Verdict.HOLDS_APPROX,
        summary=(f"linearisation error slope in δ {slope:.3f} (law 2); linear part vs δ²/12 Tr H "
                 f"max |z| {max(abs(z) for z in linear_z):.2f}; Tr ∇²L − Tr H_eff = {trace_gap:g} "
                 f"(roundoff margin {trace_margin:.2g})"),
        residual=errors[0],
        error_law="relative error O(delta^2) (antithetic pairs remove odd orders exactly)",
        sizes={"n": n, "p": 2 * d, "draws": 2 * draws},
        instances=2 * draws * len(steps),
        figure=figure(
            "Remark 3.4 on tanh(uᵀx)·vᵀx at zero loss: linearisation error vs δ",
            "δ", "|TPV − δ²/12 Tr H| / (δ²/12 Tr H)", steps,
            [("measured", errors, "scatter"), ("δ² law", errors[0] * (steps / steps[0]) ** 2)],
            log_x=True, log_y=True,
        ),
        details={"slope": slope, "errors": errors, "linear_z": linear_z},
    )

