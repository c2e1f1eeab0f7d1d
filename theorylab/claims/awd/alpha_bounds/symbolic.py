"""The printed symbolic check of ``awd.alpha_bounds``: App. E.3 step by step."""

from __future__ import annotations

from theorylab.claims.awd.alpha_bounds import ALPHA_BOUNDS
from theorylab.claims.awd.paper import awd_check
from theorylab.derivations import judge_derivation
from theorylab.registry import CheckContext
from theorylab.spec import CheckKind, Finding

__all__ = ["derivation_app_e3"]


@awd_check(
    ALPHA_BOUNDS,
    kind=CheckKind.SYMBOLIC,
    description="App. E.3 step by step: gap identities for Eq. 74-77, the limits of "
    "Eq. 82-83, and the final step applied to a fitted exponent (exact instance)",
)
def derivation_app_e3(context: CheckContext) -> Finding:
    """The element-wise steps prove; the step to a fitted slope fails on an exact instance."""
    from theorylab.proofs.awd.alpha_bounds import alpha_bounds_derivation

    return judge_derivation(alpha_bounds_derivation(3), cases=1)
