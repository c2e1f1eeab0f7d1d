"""Symbolic check of ``tpv.label_noise_spectral_sum``: App. C.1 step by step (sympy)."""

from __future__ import annotations

from theorylab.claims.tpv.common import judged_cases
from theorylab.claims.tpv.label_noise_spectral_sum import LABEL_NOISE_SPECTRAL_SUM
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Finding

__all__ = ["derivation_app_c1"]


@CATALOG.check(
    LABEL_NOISE_SPECTRAL_SUM,
    kind=CheckKind.SYMBOLIC,
    description="App. C.1 step by step on symbolic Jacobians (full and deficient rank)",
)
def derivation_app_c1(context: CheckContext) -> Finding:
    """Each step of App. C.1 (normal equations to Eq. 39) checked with sympy."""
    from theorylab.proofs.tpv.label_noise_spectral_sum import label_noise_derivation

    cases = [(2, 3, 2, 2), (2, 3, 1, 2)]
    if context.full:
        cases.append((3, 4, 2, 2))
    # cases: (n, p, r, n_te); the label leaves out n_te
    return judged_cases(cases, label_noise_derivation, "n={}, p={}, r={}".format)
