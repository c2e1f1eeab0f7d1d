"""Symbolic check of ``subspace.extremality`` (paper 003, Lemma 5's exchange step, App. A.6)."""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["lemma5_exchange_derivation"]


def lemma5_exchange_derivation() -> list[DerivationStep]:
    r"""App. A.6 exchange step of Lemma 5, as an identity.

    :math:`\Phi(S')-\Phi(S) = (\delta_j-\delta_i)(2\delta_i+2\delta_j+s+s')`.
    The identity holds for every sign; its non-negativity needs :math:`\delta_j\ge\delta_i`
    and :math:`2(\delta_i+\delta_j)+s+s'\ge0` (true for non-negative increments).
    """
    rest, d_i, d_j = sympy.symbols("r delta_i delta_j", real=True)
    rest_squares = sympy.Symbol("q", nonnegative=True)
    before = 2 * (rest_squares + d_i**2) + (rest + d_i) ** 2
    after = 2 * (rest_squares + d_j**2) + (rest + d_j) ** 2
    return [
        equality_step(
            "lemma5_exchange", "App. A.6",
            r"\Phi(S')-\Phi(S) = (\delta_j-\delta_i)\,(2\delta_i+2\delta_j+s+s')",
            after - before, (d_j - d_i) * (2 * d_i + 2 * d_j + (rest + d_i) + (rest + d_j)),
        )
    ]
