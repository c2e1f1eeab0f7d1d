r"""Symbolic check of ``softrank.uncalibrated_gap`` (paper 004, Prop. 5.1, App. G.5, Eq. 11).

Prop. G.1 (Eq. 11) from stationarity, then the G.5 expansion of
:math:`\mathrm{Tr}(C_\Lambda H_\Lambda^{-1})` on generic 2×2 matrices.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.softrank.common import lower_symbols, symmetric_symbols, vector_symbols
from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["prop51_derivation"]


def prop51_derivation() -> list[DerivationStep]:
    r"""App. G.5 (Prop. 5.1) and Prop. G.1 (Eq. 11).

    :math:`\mathrm{Tr}(C_\Lambda H_\Lambda^{-1}) = \mathrm{Tr}(CH_\Lambda^{-1})
    - \theta^\top\Lambda H_\Lambda^{-1}\Lambda\theta`.
    """
    covariance, hessian, theta = symmetric_symbols("c"), symmetric_symbols("h"), vector_symbols("t")
    lam = lower_symbols("l") * lower_symbols("l").T
    shift = lam * theta
    inverse = (hessian + lam).inv()
    probability = sympy.Symbol("q", positive=True)
    g0, g1 = vector_symbols("g"), vector_symbols("k")
    mean = probability * g0 + (1 - probability) * g1
    theta_star = -lam.inv() * mean  # stationarity: E[g] = -Λθ*
    centered = [g + lam * theta_star for g in (g0, g1)]
    second = probability * g0 * g0.T + (1 - probability) * g1 * g1.T
    regularized = (
        probability * centered[0] * centered[0].T + (1 - probability) * centered[1] * centered[1].T
    )
    return [
        equality_step(
            "eq11_covariance_shift",
            "Prop. G.1, Eq. 11",
            r"C_\Lambda = C - "
            r"\Lambda\theta^*\theta^{*\top}\Lambda",
            regularized,
            second - lam * theta_star * theta_star.T * lam,
            method="cancel",
        ),
        equality_step(
            "prop51_expansion",
            "G.5",
            r"\mathrm{Tr}((C-\Lambda\theta\theta^\top\Lambda)"
            r"H_\Lambda^{-1}) = \mathrm{Tr}(CH_\Lambda^{-1}) - \theta^\top\Lambda "
            r"H_\Lambda^{-1}\Lambda\theta",
            ((covariance - shift * shift.T) * inverse).trace(),
            (covariance * inverse).trace() - (shift.T * inverse * shift)[0, 0],
            method="cancel",
        ),
    ]
