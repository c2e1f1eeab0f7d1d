"""Judge a symbolic derivation: PROVED iff every step holds, else REFUTED at the first gap.

Shared by every claim's symbolic check. A step that sympy cannot reduce to zero is a
counterexample *to that step* (the residual is attached); the claim itself may still be true
— the finding says which step does not follow and why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from theorylab.spec import CheckKind, Claim, Counterexample, DerivationStep, Finding, Verdict

if TYPE_CHECKING:
    from theorylab.checks import CheckContext
    from theorylab.registry import Registry

__all__ = ["derivation_pair", "judge_derivation", "labelled"]


def labelled(label: str, steps: list[DerivationStep]) -> list[DerivationStep]:
    """The steps with ``[label]`` before each name, to tell apart the parts of one check."""
    return [step.model_copy(update={"name": f"[{label}] {step.name}"}) for step in steps]


def judge_derivation(steps: list[DerivationStep], *, cases: int) -> Finding:
    """Turn the steps of ``cases`` symbolic instances into a PROVED or REFUTED finding."""
    failed = [step for step in steps if not step.holds]
    shared = {"backend": "sympy", "sizes": {"cases": cases, "steps": len(steps)},
              "instances": cases, "steps": steps}
    if not failed:
        summary = f"all {len(steps)} derivation steps hold for {cases} symbolic shape(s)"
        return Finding(verdict=Verdict.PROVED, summary=summary, **shared)
    first = failed[0]
    return Finding(
        verdict=Verdict.REFUTED,
        summary=f"{len(failed)} step(s) do not follow; first: {first.name} ({first.equation})",
        counterexample=Counterexample(
            instance={"step": first.name, "equation": first.equation},
            claimed=first.claim,
            actual=first.residual,
            message=f"step {first.name} leaves residual {first.residual}",
        ),
        **shared,
    )


def derivation_pair(
    printed: Claim,
    corrected: Claim,
    derive: Callable[[bool], Finding],
    *,
    printed_description: str,
    corrected_description: str,
    name: str = "derivation",
    corrected_name: str | None = None,
    registry: Registry | None = None,
) -> None:
    """Register the symbolic check of a printed statement and of its corrected companion.

    ``derive(corrected)`` returns the finding for the printed derivation (``False``) or the
    repaired one (``True``); the two checks are registered as ``name`` on ``printed`` and
    ``corrected_name`` (default ``name + "_corrected"``) on ``corrected``, in that order.
    """
    from theorylab.registry import CATALOG

    catalogue = registry if registry is not None else CATALOG
    for claim, check_name, description, repaired in (
        (printed, name, printed_description, False),
        (corrected, corrected_name or f"{name}_corrected", corrected_description, True),
    ):

        def run(context: CheckContext, repaired: bool = repaired) -> Finding:
            return derive(repaired)

        catalogue.check(claim, kind=CheckKind.SYMBOLIC, description=description, name=check_name)(
            run
        )
