"""Judge a symbolic derivation: PROVED iff every step holds, else REFUTED at the first gap.

Shared by every claim's symbolic check. A step that sympy cannot reduce to zero is a
counterexample *to that step* (the residual is attached); the claim itself may still be true
— the finding says which step does not follow and why.
"""

from __future__ import annotations

from theorylab.spec import Counterexample, DerivationStep, Finding, Verdict

__all__ = ["judge_derivation", "labelled"]


def labelled(label: str, steps: list[DerivationStep]) -> list[DerivationStep]:
    """The steps with ``[label]`` before each name, to tell apart the parts of one check."""
    return [step.model_copy(update={"name": f"[{label}] {step.name}"}) for step in steps]


def judge_derivation(steps: list[DerivationStep], *, cases: int) -> Finding:
    """Turn the steps of ``cases`` symbolic instances into a PROVED or REFUTED finding."""
    failed = [step for step in steps if not step.holds]
    sizes = {"cases": cases, "steps": len(steps)}
    if not failed:
        return Finding(
            verdict=Verdict.PROVED,
            summary=f"all {len(steps)} derivation steps hold for {cases} symbolic shape(s)",
            backend="sympy",
            sizes=sizes,
            instances=cases,
            steps=steps,
        )
    first = failed[0]
    return Finding(
        verdict=Verdict.REFUTED,
        summary=f"{len(failed)} step(s) do not follow; first: {first.name} ({first.equation})",
        backend="sympy",
        sizes=sizes,
        instances=cases,
        steps=steps,
        counterexample=Counterexample(
            instance={"step": first.name, "equation": first.equation},
            claimed=first.claim,
            actual=first.residual,
            message=f"step {first.name} leaves residual {first.residual}",
        ),
    )
