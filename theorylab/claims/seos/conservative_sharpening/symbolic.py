"""``seos.conservative_sharpening``: Theorem 3.1's proof in sympy, as printed and corrected."""

from __future__ import annotations

from theorylab.claims.seos.conservative_sharpening import (
    CONSERVATIVE_SHARPENING,
    CONSERVATIVE_SHARPENING_CORRECTED,
)
from theorylab.derivations import derivation_pair, judge_derivation
from theorylab.spec import Finding

__all__ = ["CORRECTED_STEPS", "PRINTED_STEPS"]

PRINTED_STEPS = (
    "eq16_exact_B1",
    "eq16_exact_B2",
    "eq17_printed_batch_gap",
    "eq17_printed_at_full_batch",
    "eq120_only_b_dependent_term",
)
CORRECTED_STEPS = ("eq16_exact_B1", "eq16_exact_B2", "exact_batch_gap")


def _derivation(corrected: bool) -> Finding:
    """The printed statement's steps, or the corrected ones, on the exact D = P = 2 instance."""
    from theorylab.proofs.seos.conservative_sharpening import conservative_sharpening_steps

    names = CORRECTED_STEPS if corrected else PRINTED_STEPS
    steps = [s for s in conservative_sharpening_steps() if s.name in names]
    return judge_derivation(steps, cases=1)


derivation_pair(
    CONSERVATIVE_SHARPENING,
    CONSERVATIVE_SHARPENING_CORRECTED,
    _derivation,
    printed_description="sympy, D = P = 2, symbolic eta, V, V_z, Q, z, every batch pair: Eq. 16, "
    "Eq. 17 as printed (B = 1 and B = D), and the step of App. B.3 that keeps Eq. 120's term only",
    corrected_description="sympy, D = P = 2, symbolic eta, V, V_z, Q, z, every batch pair: Eq. 16 "
    "and the exact batch gap (exactly cubic in eta)",
    name="derivation",
    corrected_name="derivation_corrected",
)
