"""Counterexample search of ``tpv.quantization``: quadratic-model TPV vs quadrature."""

from __future__ import annotations

import numpy as np

from theorylab.claims.tpv.quantization import QUANTIZATION
from theorylab.claims.tpv.quantization.exact import (
    gauss_legendre_quantization_tpv,
    quadratic_changes,
    quadratic_quantization_tpv,
)
from theorylab.registry import CATALOG
from theorylab.solvers.lyapunov import quantization_tpv
from theorylab.spec import Counterexample

__all__ = ["quantization_search"]


def _probe(instance: tuple[np.ndarray, np.ndarray, float]) -> Counterexample | None:
    jacobian, curvatures, step = instance
    exact = quadratic_quantization_tpv(jacobian, curvatures, step)
    quadrature = gauss_legendre_quantization_tpv(
        quadratic_changes(jacobian, curvatures), jacobian.shape[1], step)
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


quantization_search = CATALOG.search(
    QUANTIZATION,
    name="quadratic_tpv_matches_quadrature",
    description="hypothesis over integer J (n ≤ 4, p ≤ 3, any rank incl. 0), symmetric integer "
    "Q_i, δ = 2^-8..2^4: exact quadratic-model TPV = Gauss-Legendre quadrature and ≥ the "
    "linear (δ²/12) Tr H_eff (the δ⁴ correction is non-negative)",
    strategy=_strategy,
    probe=_probe,
)

