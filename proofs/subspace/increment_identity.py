"""Symbolic check of ``subspace.increment_identity`` (paper 003, Eq. 5)."""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["increment_derivation"]


def increment_derivation(samples: int) -> list[DerivationStep]:
    """Eq. 5 for ``samples`` symbolic losses, and for symbolic :math:`k` via the sum :math:`S`."""
    losses = sympy.symbols(f"l_1:{samples + 2}", real=True)
    k = samples
    mean_k = sum(losses[:k]) / k
    mean_next = sum(losses[: k + 1]) / (k + 1)
    symbolic_k, total, new = sympy.symbols("k S l", positive=True)
    return [
        equality_step(
            f"eq5_k{k}", "Eq. 5", r"L_{k+1}-L_k = (\ell_{k+1}-L_k)/(k+1)",
            mean_next - mean_k, (losses[k] - mean_k) / (k + 1),
        ),
        equality_step(
            "eq5_symbolic_k", "Eq. 5", r"\frac{S+\ell}{k+1} - \frac{S}{k} = \frac{\ell - S/k}{k+1}",
            (total + new) / (symbolic_k + 1) - total / symbolic_k,
            (new - total / symbolic_k) / (symbolic_k + 1),
        ),
    ]
