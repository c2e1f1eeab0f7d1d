r"""Premise audit of ``tpv.quantization``: the TPV of Remark 3.4 measured on TEST inputs.

The other checks read TPV on the training set, where :math:`\nabla^2L(w^*) = H_{\mathrm{eff}}
(X_{tr})` at zero loss makes Eq. 12 exact to first order. The paper's TPV is a *test*
prediction variance (Sec. 2: ":math:`H_{\mathrm{eff}}` is taking expectation on the test
distribution"; App. E invokes "the TPV trace stability requirement"). Under the uniform model
the first-order test TPV is exactly :math:`\frac{\delta^2}{12}\mathrm{Tr}H_{\mathrm{eff}}(\mathcal
D)`, so Eq. 12's relative error at :math:`\delta\to0` is the train/test trace gap
:math:`\mathrm{Tr}H_{te}/\mathrm{Tr}H_{tr} - 1`, a sampling fluctuation of the training set:
it does not shrink with :math:`\delta`, only with ``n`` (law :math:`n^{-1/2}`, LLN/CLT).
Smallest instance: linear :math:`f = wx`, :math:`\mathcal D` uniform on {1, 2}, one training
input :math:`x_1 = 1`: :math:`\mathrm{Tr}\nabla^2L = 1` but the test TPV is
:math:`\frac{\delta^2}{12}\cdot\frac52` for every :math:`\delta`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from theorylab.claims.tpv.common import SLOPE_BAND, Z_LIMIT
from theorylab.claims.tpv.models import tanh_bilinear_model
from theorylab.claims.tpv.quantization import QUANTIZATION
from theorylab.error_laws import loglog_slope
from theorylab.figures import figure
from theorylab.findings import judged
from theorylab.numerics import roundoff_tolerance
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Finding, Verdict

__all__ = ["jacobian_norms", "minimal_test_set_instance"]

DIMENSION = 3
SIZES = (4, 16, 64, 256, 1024)


def jacobian_norms(inputs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    r"""``|J(x)|^2`` of :math:`f = \tanh(u^\top x)v^\top x` in closed form, one per input.

    :math:`J = ((1-t^2)\,q\,x,\ t\,x)`, :math:`t = \tanh(u^\top x)`, :math:`q = v^\top x`.
    """
    d = inputs.shape[1]
    t = np.tanh(inputs @ weights[:d])
    q = inputs @ weights[d:]
    return ((1.0 - t**2) ** 2 * q**2 + t**2) * np.sum(inputs**2, axis=1)


def _inputs(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-variance inputs, uniform on [-√3, √3]: bounded, so |J|² has every moment."""
    return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), shape)


def minimal_test_set_instance() -> dict[str, object]:
    """The n = 1 linear instance, in fractions: Tr ∇²L(w*) and the test trace E x²."""
    support = (Fraction(1), Fraction(2))
    train = [Fraction(1)]
    trace_train = sum(x * x for x in train) / len(train)  # zero loss: ∇²L = H_eff(X_tr)
    trace_test = sum(x * x for x in support) / len(support)
    return {"model": "f(x; w) = w x", "test_law": "uniform on {1, 2}", "train_inputs": [1],
            "Tr_hessian": str(trace_train), "Tr_H_test": str(trace_test),
            "ratio_test_tpv_to_eq12": str(trace_test / trace_train)}


@CATALOG.check(
    QUANTIZATION,
    kind=CheckKind.EXACT,
    description=(
        "premise audit: Eq. 12 with the TPV on test inputs (the paper's definition) at a "
        "zero-loss tanh-bilinear w* (uniform inputs): relative error Tr ∇²L / Tr H_te − 1 "
        "over training sets, RMS vs n against sd|J|²/(√n Tr H_te) (z-test), no decay in δ"
    ),
)
def test_set_tpv_error_law(context: CheckContext) -> Finding:
    """RMS over training sets of Eq. 12's δ→0 relative error when TPV is read on test inputs."""
    rng = context.rng()
    repeats = 400 if context.full else 100
    weights = rng.standard_normal(2 * DIMENSION)
    probe = rng.standard_normal((5, DIMENSION))
    closed_gap = float(np.max(np.abs(
        jacobian_norms(probe, weights) - np.sum(tanh_bilinear_model(probe, weights)[1] ** 2, 1))))
    population_draws = _inputs(rng, (400_000 if context.full else 100_000, DIMENSION))
    norms = jacobian_norms(population_draws, weights)
    trace_test = float(np.mean(norms))
    population_stderr = float(np.std(norms, ddof=1) / np.sqrt(norms.size)) / trace_test
    spread = float(np.std(norms, ddof=1)) / trace_test
    rms, predicted, z_scores = [], [], []
    for n in SIZES:
        inputs = _inputs(rng, (repeats, n, DIMENSION))
        trace_train = np.mean(jacobian_norms(inputs.reshape(-1, DIMENSION), weights)
                              .reshape(repeats, n), axis=1)  # = Tr ∇²L(w*) at zero loss
        squared = (trace_train / trace_test - 1.0) ** 2  # (Eq. 12 - test TPV) / test TPV
        rms.append(float(np.sqrt(np.mean(squared))))
        predicted.append(spread / np.sqrt(n))  # mean of n i.i.d. |J|^2: sd / sqrt(n)
        stderr = float(np.std(squared, ddof=1) / np.sqrt(repeats))
        z_scores.append((float(np.mean(squared)) - predicted[-1] ** 2) / stderr)
    slope = loglog_slope(SIZES, rms)
    formula_ok = closed_gap <= roundoff_tolerance(float(np.max(norms[:5]) + 1.0), 4 * DIMENSION)
    holds = formula_ok and abs(slope + 0.5) <= SLOPE_BAND and max(map(abs, z_scores)) <= Z_LIMIT
    minimal = minimal_test_set_instance()
    summary = (
        f"test-set reading: Eq. 12's δ→0 relative error Tr ∇²L/Tr H_te − 1 has RMS "
        f"{rms[0]:.3f} at n = {SIZES[0]}, {rms[1]:.3f} at n = {SIZES[1]}, {rms[-1]:.4f} at "
        f"n = {SIZES[-1]}; slope in n {slope:+.3f} (law -1/2), vs sd|J|²/(√n Tr H_te) max |z| "
        f"{max(map(abs, z_scores)):.2f}; independent of δ; smallest "
        f"case f = wx, D uniform on {{1, 2}}, x₁ = 1: test TPV / Eq. 12 = "
        f"{minimal['ratio_test_tpv_to_eq12']} for every δ"
    )
    return judged(
        holds,
        summary,
        supported=Verdict.HOLDS_APPROX,
        residual=rms[-1],
        bound=SLOPE_BAND,
        error_law=("relative error O(delta^2) + (Tr H_tr / Tr H_te - 1), RMS "
                   "sd|J|^2/(sqrt(n) Tr H_te)"),
        sizes={"d": DIMENSION, "p": 2 * DIMENSION, "max_n": SIZES[-1], "repeats": repeats},
        instances=repeats * len(SIZES),
        figure=figure(
            "Eq. 12 on test inputs: relative error vs training-set size", "n",
            "RMS |Tr ∇²L / Tr H_te − 1|", list(map(float, SIZES)),
            [("measured", rms, "scatter"), ("sd|J|²/(√n Tr H_te)", predicted)],
            log_x=True, log_y=True,
        ),
        details={"slope_n": slope, "rms": rms, "predicted": predicted, "z": z_scores,
                 "minimal_instance": minimal,
                 "population_stderr": population_stderr, "closed_form_gap": closed_gap},
    )
