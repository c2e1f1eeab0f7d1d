"""Symbolic checks of ``tpv.trace_stability`` and its companion: Theorem A.4's proof steps.

The printed derivation checks the step "A.2 ⇒ Eq. 22" as argued (compared by characteristic
polynomials); the corrected one replaces it by the Jacobian-stability expansion
(:func:`theorylab.proofs.tpv.trace_stability.trace_stability_derivation`).
"""

from __future__ import annotations

from functools import partial

from theorylab.claims.tpv.common import judged_cases
from theorylab.claims.tpv.trace_stability import TRACE_STABILITY, TRACE_STABILITY_CORRECTED
from theorylab.derivations import derivation_pair
from theorylab.spec import Finding

__all__ = ["SHAPES", "derive"]

SHAPES = [(1, 1, 2), (2, 2, 3)]
"""``(n_tr, n_te, p)`` of the symbolic instances."""


def derive(corrected: bool) -> Finding:
    """Each proof step of Theorem A.4 on every shape; ``corrected`` swaps in the repaired step."""
    from theorylab.proofs.tpv.trace_stability import trace_stability_derivation

    return judged_cases(
        SHAPES,
        partial(trace_stability_derivation, corrected=corrected),
        "n={}, n_te={}, p={}".format,
    )


derivation_pair(
    TRACE_STABILITY,
    TRACE_STABILITY_CORRECTED,
    derive,
    printed_description="App. A.2-A.3 on symbolic Jacobians: Eq. 20, symmetry, triangle "
    "chain, Lemma A.3 split, and the step A.2 ⇒ Eq. 22 as argued",
    corrected_description="Theorem A.4's chain with Eq. 22 from the Jacobian-stability identity",
    name="trace_stability_proof",
    corrected_name="corrected_proof",
)
