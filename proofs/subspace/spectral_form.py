"""Symbolic check of ``subspace.spectral_form`` (paper 003, Corollary 4, Eq. 16)."""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.spec import DerivationStep

__all__ = ["corollary4_derivation"]


def corollary4_derivation(size: int, dimension: int) -> list[DerivationStep]:
    r"""Corollary 4 (Eq. 16) under Assumption 2 in a symbolic common eigenbasis (Cayley)."""
    basis = cayley_orthogonal(size, "q")
    base = sympy.symbols(f"lambda_0:{size}", real=True)
    increments = sympy.symbols(f"delta_0:{size}", real=True)
    sigma = sympy.Symbol("sigma", positive=True)
    before = basis * sympy.diag(*base) * basis.T
    after = basis * sympy.diag(*[b + d for b, d in zip(base, increments, strict=True)]) * basis.T
    frame = basis[:, :dimension]
    compressed = (frame.T * (after - before) * frame).applyfunc(sympy.cancel)
    chosen = increments[:dimension]
    trace = compressed.trace()
    trace_square = (compressed * compressed).trace()
    return [
        equality_step(
            "assumption2_diagonal", "App. A.5", r"B_k = U_D^\top A_k U_D = \mathrm{diag}(\delta_i)",
            compressed, sympy.diag(*chosen), method="cancel",
        ),
        equality_step(
            "eq16", "Eq. 16",
            r"\tfrac{\sigma^4}4(2\mathrm{Tr}B^2+(\mathrm{Tr}B)^2)"
            r" = \tfrac{\sigma^4}{4}[2\sum\delta_i^2+(\sum\delta_i)^2]",
            sigma**4 / 4 * (2 * trace_square + trace**2),
            sigma**4 / 4 * (2 * sum(d**2 for d in chosen) + sum(chosen) ** 2), method="cancel",
        ),
    ]
