"""Symbolic check of ``tpv.quantization``: App. E with exact integrals (sympy)."""

from __future__ import annotations

from theorylab.claims.tpv.quantization import QUANTIZATION
from theorylab.derivations import judge_derivation, labelled
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Finding


@CATALOG.check(QUANTIZATION, kind=CheckKind.SYMBOLIC,
               description="App. E with exact integrals: E[δwδwᵀ] = δ²/12 I, linear TPV, exact "
               "quadratic-model TPV with its δ⁴ term")
def derivation_app_e(context: CheckContext) -> Finding:
    """Sympy integrals over the uniform cube."""
    from theorylab.proofs.tpv.gauss_newton_split import gauss_newton_derivation
    from theorylab.proofs.tpv.quantization import quantization_derivation

    cases = [(2, 2)] + ([(3, 2)] if context.full else [])
    steps = [
        step
        for p, n in cases
        for step in labelled(f"p={p}, n={n}", quantization_derivation(parameters=p, samples=n))
    ]
    steps += [s for s in gauss_newton_derivation(2, 2) if "zero_loss" in s.name]
    return judge_derivation(steps, cases=len(cases))
