r"""Lemma A.1 of paper 002 (``seos.batch_moments``): selection moments by enumeration."""

from __future__ import annotations

import sympy

from theorylab.proofs.seos.common import batch_masks, diagonal, fractions
from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["batch_moment_steps"]


def batch_moment_steps(size: int, batch: int) -> list[DerivationStep]:
    """Lemma A.1 (Eq. 19, 22-23): enumerate all ``C(D, B)`` batches with a symbolic ``M``."""
    beta, tilde = fractions(batch, size)
    masks = batch_masks(size, batch)
    generic = sympy.Matrix(size, size, lambda i, j: sympy.Symbol(f"M_{i}{j}", real=True))
    first = sum(masks, sympy.zeros(size, size)) / len(masks)
    cross = sum((p * generic * q for p in masks for q in masks), sympy.zeros(size, size))
    same = sum((p * generic * p for p in masks), sympy.zeros(size, size)) / len(masks)
    tag = f"[D={size}, B={batch}]"
    return [
        equality_step(
            f"{tag} E[P]", "Eq. 19", r"\mathbb{E}[P] = \beta I", first, beta * sympy.eye(size)
        ),
        equality_step(
            f"{tag} E[P M P'] (independent)",
            "Eq. 19",
            r"\mathbb{E}[P_t M P_{t+1}] = \beta^2 M",
            cross / len(masks) ** 2,
            beta**2 * generic,
        ),
        equality_step(
            f"{tag} E[P M P]",
            "Eq. 19, 23",
            r"\mathbb{E}[PMP] = \beta\tilde\beta M + \beta(1-\tilde\beta)\mathrm{diag}M",
            same,
            beta * tilde * generic + beta * (1 - tilde) * diagonal(generic),
        ),
    ]
