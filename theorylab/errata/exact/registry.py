"""The exact re-checks by (claim id, check name), and the claims that have none.

:func:`exact_checks` merges the per-paper modules' ``CHECKS`` (one module per paper:
:mod:`theorylab.errata.exact.awd`, ``seos``, ``softrank``, ``subspace``, ``tpv``); claims
whose counterexamples are inherently floating point (a limit, a Monte Carlo, a spectrum too
large to write down) are listed, with why, in :data:`NUMERIC_ONLY`.
"""

from __future__ import annotations

from functools import cache

from theorylab.errata.exact import awd, seos, softrank, subspace, tpv
from theorylab.errata.exact.common import ExactCheck, ExactFunction
from theorylab.spec import Counterexample

__all__ = ["NUMERIC_ONLY", "exact_check", "exact_checks"]

NUMERIC_ONLY: dict[str, str] = {
    "awd.random_baseline": "its counterexamples are Monte Carlo means over Haar-random bases "
    "of p = 200 to 384 dimensions with K = 32 to 96 spikes (a null distribution and a z-test "
    "size), inherently floating point",
    "awd.empirical_alpha": "it is refuted on trained networks (fitted exponents over seeds of "
    "torch training runs), inherently floating point",
    "seos.empirical_k": "it is refuted on trained networks (final losses of torch training "
    "runs against K), inherently floating point",
    "subspace.empirical": "it is refuted on a trained transformer's probe ratios (torch), "
    "inherently floating point",
}
"""Claim id → why its counterexamples cannot be re-checked in exact arithmetic (sheet text)."""


@cache
def exact_checks() -> dict[tuple[str, str], ExactFunction]:
    """(claim id, check name) → exact re-verification of that check's stored counterexample.

    Merged from the per-paper modules.
    """
    merged: dict[tuple[str, str], ExactFunction] = {}
    for module in (awd, seos, softrank, subspace, tpv):
        merged.update(module.CHECKS)
    return merged


def exact_check(claim_id: str, check: str, example: Counterexample) -> ExactCheck | None:
    """Re-verify ``example`` exactly, or ``None`` where no exact re-verification applies."""
    function = exact_checks().get((claim_id, check))
    return None if function is None else function(example)
