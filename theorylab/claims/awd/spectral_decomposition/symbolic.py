"""The printed symbolic check of ``awd.spectral_decomposition`` (App. E.2)."""

from __future__ import annotations

from theorylab.claims.awd.paper import awd_check
from theorylab.claims.awd.spectral_decomposition import SPECTRAL_DECOMPOSITION
from theorylab.derivations import judge_derivation
from theorylab.registry import CheckContext
from theorylab.spec import CheckKind, Finding

__all__ = ["derivation_app_e2"]


@awd_check(
    SPECTRAL_DECOMPOSITION,
    kind=CheckKind.SYMBOLIC,
    description="App. E.2: enumerated minibatches with isotropic moments, local "
    "isotropy, Eq. 15/16/71 on Cayley frames (sympy)",
)
def derivation_app_e2(context: CheckContext) -> Finding:
    """Eq. 61-71 rebuilt on 2x2 symbolic Hessians, 2 samples, b = 2."""
    from theorylab.proofs.awd.spectral_decomposition import spectral_decomposition_derivation

    return judge_derivation(spectral_decomposition_derivation(2, 2), cases=1)
