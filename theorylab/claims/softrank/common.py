"""Pieces shared by several ``softrank.*`` claim modules (paper 004).

:func:`labelled_derivation` judges a symbolic check made of labelled parts (one per
proposition); :func:`labelled_derivation_pair` registers such a check on a printed claim and
its companion, :func:`derivation_check` the symbolic check of one proof function, and
:func:`check_each` one check function on several claims (torch findings over trained nets:
:func:`theorylab.findings.torch_finding`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence

from theorylab.derivations import derivation_pair, judge_derivation, labelled
from theorylab.registry import CATALOG, CheckContext, CheckFunction
from theorylab.spec import CheckKind, Claim, DerivationStep, Finding

__all__ = [
    "check_each",
    "derivation_check",
    "labelled_derivation",
    "labelled_derivation_pair",
]

Derive = Callable[..., list[DerivationStep]]
"""A proof function of :mod:`theorylab.proofs.softrank` taking ``corrected=``."""


def labelled_derivation(
    parts: Sequence[tuple[str, Derive]], corrected: bool, *, cases: int
) -> Finding:
    """Judge the steps of every ``(label, derive)`` part, in order, each name labelled."""
    steps: list[DerivationStep] = []
    for label, derive in parts:
        steps += labelled(label, derive(corrected=corrected))
    return judge_derivation(steps, cases=cases)


def _proof(path: str) -> Derive:
    """The proof function at ``path`` ("package.module.function"), imported now.

    Claim modules name proofs by path so that loading the catalogue does not import sympy.
    """
    module, function = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), function)


def labelled_derivation_pair(
    printed: Claim,
    corrected: Claim,
    parts: Sequence[tuple[str, str]],
    *,
    printed_description: str,
    corrected_description: str,
) -> None:
    """:func:`~theorylab.derivations.derivation_pair` of the labelled proofs ``parts``.

    Each part is ``(label, path of a proof function taking corrected=)``, one case each.
    """

    def derive(repaired: bool) -> Finding:
        proofs = [(label, _proof(path)) for label, path in parts]
        return labelled_derivation(proofs, repaired, cases=len(parts))

    derivation_pair(
        printed,
        corrected,
        derive,
        printed_description=printed_description,
        corrected_description=corrected_description,
    )


def derivation_check(claim: Claim, proof: str, *, description: str) -> None:
    """Register the SYMBOLIC check ``derivation`` of ``claim``: the steps of ``proof`` judged.

    ``proof`` is the path ``"package.module.function"`` of a proof function taking no
    arguments, imported when the check runs.
    """

    def derivation(context: CheckContext) -> Finding:
        return judge_derivation(_proof(proof)(), cases=1)

    CATALOG.check(claim, kind=CheckKind.SYMBOLIC, description=description)(derivation)


def check_each(
    claims: Iterable[Claim],
    function: CheckFunction,
    *,
    name: str,
    description: str,
    kind: CheckKind = CheckKind.EXACT,
) -> None:
    """Register ``function`` as the check ``name`` of each claim, in the order given."""
    for claim in claims:
        CATALOG.check(claim, kind=kind, name=name, description=description)(function)

