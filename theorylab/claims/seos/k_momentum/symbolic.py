"""``seos.k_momentum``: App. A.5 step by step in sympy, as printed and corrected."""

from __future__ import annotations

from theorylab.claims.seos.k_momentum import K_MOMENTUM, K_MOMENTUM_CORRECTED
from theorylab.derivations import derivation_pair, judge_derivation
from theorylab.spec import Finding

__all__: list[str] = []


def _derivation(corrected: bool) -> Finding:
    """All steps (printed signs and denominators), or the corrected lines only."""
    from theorylab.proofs.seos.k_momentum import momentum_steps

    if not corrected:
        return judge_derivation(momentum_steps(), cases=1)
    keep = [
        s
        for s in momentum_steps()
        if "as printed" not in s.name and s.equation not in ("Eq. 71", "Eq. 18")
    ]
    return judge_derivation(keep, cases=1)


derivation_pair(
    K_MOMENTUM,
    K_MOMENTUM_CORRECTED,
    _derivation,
    printed_description="Eq. 56-76 and Eq. 18 step by step (sympy), as printed",
    corrected_description="the steps with the impulse-response sign and derived Eq. 71",
    name="momentum_symbolic",
    corrected_name="corrected_symbolic",
)
