r"""Symbolic check of ``subspace.reduction``: Eq. 6-8 and Lemma 1 (Eq. 9) of paper 003.

Exact quadratic losses give the increment model (Eq. 6-7); stationarity at the minimiser
gives Eq. 8; Lemma 1 is checked pointwise and for the probe law in a Cayley frame.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.proofs.subspace.common import gaussian_expectation, symmetric, vector
from theorylab.spec import DerivationStep

__all__ = ["reduction_derivation"]

SAMPLES = 2  # k: the symbolic stream has k + 1 quadratic losses


def reduction_derivation(size: int, dimension: int) -> list[DerivationStep]:
    r"""Eq. 6-9: exact quadratic losses, the increment model, Lemma 1 in a Cayley frame."""
    return (_increment_model_steps(size) + _stationarity_steps(size)
            + _lemma1_steps(size, dimension))


def _increment_model_steps(size: int) -> list[DerivationStep]:
    """Eq. 6 (Taylor is exact for quadratics) and Eq. 7 (the increment model)."""
    k = SAMPLES
    w = vector("w", size)
    delta = vector("d", size)
    center = vector("m", size)
    losses = []
    for i in range(k + 1):
        offset = sympy.Symbol(f"alpha_{i}", real=True)
        linear = vector(f"beta{i}", size)
        curvature = symmetric(f"G{i}", size)
        losses.append(lambda x, o=offset, b=linear, G=curvature: o + (b.T * x)[0, 0]
                      + (x.T * G * x)[0, 0] / 2)
    mean_k = lambda x: sum(f(x) for f in losses[:k]) / k  # noqa: E731
    mean_next = lambda x: sum(f(x) for f in losses) / (k + 1)  # noqa: E731
    gradient = lambda f, x: sympy.Matrix([sympy.diff(f(w), v) for v in w]).subs(  # noqa: E731
        dict(zip(w, x, strict=True)))
    hessian = lambda f: sympy.hessian(f(w), list(w))  # noqa: E731
    shifted = center + delta
    value_gap = mean_next(center) - mean_k(center)
    g_next = gradient(mean_next, center)
    g_k = gradient(mean_k, center)
    difference = hessian(mean_next) - hessian(mean_k)
    model7 = value_gap + ((g_next - g_k).T * delta)[0, 0] + (delta.T * difference * delta)[0, 0] / 2
    return [
        equality_step(
            "eq6_taylor_exact_for_quadratics", "Eq. 6",
            r"L_m(w^*+\Delta w) = L_m + g^{(m)\top}\Delta w"
            r" + \tfrac12\Delta w^\top H^{(m)}\Delta w",
            mean_k(shifted),
            mean_k(center) + (g_k.T * delta)[0, 0] + (delta.T * hessian(mean_k) * delta)[0, 0] / 2,
        ),
        equality_step(
            "eq7_increment_model", "Eq. 7",
            r"L_{k+1}-L_k = a + (g^{(k+1)}-g^{(k)})^\top\Delta w + \tfrac12\Delta w^\top A\Delta w",
            mean_next(shifted) - mean_k(shifted), model7,
        ),
    ]


def _stationarity_steps(size: int) -> list[DerivationStep]:
    """Eq. 8: stationarity :math:`g^{(k)}(w^*) = 0` leaves :math:`g_{k+1}/(k+1)`."""
    k = SAMPLES
    g_sample = vector("gs", size)
    g_mean = vector("gk", size)
    return [equality_step(
        "eq8_gradient_at_minimiser", "Eq. 8 / App. A.4",
        r"g^{(k+1)} = \frac{k g^{(k)} + g_{k+1}}{k+1} = \frac{g_{k+1}}{k+1}\ \text{at}\ g^{(k)}=0",
        ((k * g_mean + g_sample) / (k + 1)).subs(dict.fromkeys(g_mean, 0)), g_sample / (k + 1),
    )]


def _lemma1_steps(size: int, dimension: int) -> list[DerivationStep]:
    r"""Lemma 1: the probe :math:`w = w^* + Uz` pointwise, its law, and :math:`U^\top U = I`."""
    frame = cayley_orthogonal(size, "q")[:, :dimension]
    sigma = sympy.Symbol("sigma", positive=True)
    z = vector("z", dimension)
    a = sympy.Symbol("a", real=True)
    g = vector("g", size)
    A = symmetric("A", size)
    full = a + (g.T * frame * z)[0, 0] + (z.T * frame.T * A * frame * z)[0, 0] / 2
    c = frame.T * g
    B = frame.T * A * frame
    compressed = a + (c.T * z)[0, 0] + (z.T * B * z)[0, 0] / 2
    covariance = (frame * z) * (frame * z).T
    return [
        equality_step(
            "lemma1_pointwise", "Lemma 1", r"q(U z) = a + c^\top z + \tfrac12 z^\top B z",
            full, compressed, method="cancel",
        ),
        equality_step(
            "lemma1_probe_law", "Lemma 1", r"\mathbb E[\Delta w\Delta w^\top] = \sigma^2 U U^\top",
            covariance.applyfunc(lambda e: gaussian_expectation(e, list(z), sigma**2)),
            sigma**2 * frame * frame.T, method="cancel",
        ),
        equality_step(
            "lemma1_orthonormal", "Lemma 1", r"U^\top U = I_D",
            frame.T * frame, sympy.eye(dimension), method="cancel",
        ),
    ]
