r"""Symbolic check of ``softrank.information_equality`` (paper 004, Prop. 2.2, App. G.2).

G.2 step by step on a Bernoulli model whose Jacobian is independent of the output and label
(Eq. 2) and which is calibrated given the output: C and F factorise, and C = F = H.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["information_equality_derivation"]


def information_equality_derivation() -> list[DerivationStep]:
    r"""App. G.2 (Prop. 2.2) on a Bernoulli model with J independent of (r, y), calibrated.

    Two Jacobian atoms :math:`j_u` (probabilities q, 1-q) with output Hessians :math:`c_u`,
    two output atoms :math:`r_v` with :math:`\sigma_v = \sigma(r_v)` (probabilities w, 1-w),
    :math:`y\mid r_v \sim \mathrm{Bernoulli}(\sigma_v)` (calibration), :math:`e = \sigma_v - y`.
    """
    q, w, s0, s1 = sympy.symbols("q w sigma_0 sigma_1", positive=True)
    j = [sympy.Symbol(f"j_{u}", real=True) for u in range(2)]
    c = [sympy.Symbol(f"c_{u}", real=True) for u in range(2)]
    pu, pv, sig = [q, 1 - q], [w, 1 - w], [s0, s1]
    second = [s * (1 - s) ** 2 + (1 - s) * s**2 for s in sig]  # E[e^2 | r] under calibration
    mean_e = [s * (s - 1) + (1 - s) * s for s in sig]  # E[e | r]
    covariance = sum(pu[u] * pv[v] * j[u] ** 2 * second[v] for u in range(2) for v in range(2))
    fisher = sum(
        pu[u] * pv[v] * j[u] ** 2 * sig[v] * (1 - sig[v]) for u in range(2) for v in range(2)
    )
    hessian = fisher + sum(pu[u] * pv[v] * mean_e[v] * c[u] for u in range(2) for v in range(2))
    ej2 = sum(pu[u] * j[u] ** 2 for u in range(2))
    e_second = sum(pv[v] * second[v] for v in range(2))
    e_sigma = sum(pv[v] * sig[v] * (1 - sig[v]) for v in range(2))
    return [
        equality_step(
            "covariance_factorises",
            "G.2 / Eq. 2",
            r"C = \mathbb{E}[J^\top "
            r"\mathbb{E}[ee^\top]J]",
            covariance,
            ej2 * e_second,
            method="cancel",
        ),
        equality_step(
            "fisher_factorises",
            "G.2 / Eq. 2",
            r"F = \mathbb{E}[J^\top "
            r"\mathbb{E}[\Sigma]J]",
            fisher,
            ej2 * e_sigma,
            method="cancel",
        ),
        equality_step(
            "calibration_second_moment",
            "G.2",
            r"\mathbb{E}[ee^\top] = "
            r"\mathbb{E}[\Sigma]",
            e_second,
            e_sigma,
            method="cancel",
        ),
        equality_step(
            "calibration_mean_zero",
            "G.2",
            r"\mathbb{E}[e] = 0",
            sum(pv[v] * mean_e[v] for v in range(2)),
            sympy.Integer(0),
            method="cancel",
        ),
        equality_step("C_equals_F", "Prop. 2.2", "C = F", covariance, fisher, method="cancel"),
        equality_step("H_equals_F", "Prop. 2.2", "H = F", hessian, fisher, method="cancel"),
    ]
