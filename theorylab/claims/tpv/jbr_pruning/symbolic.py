"""Symbolic checks of ``tpv.jbr_pruning`` (Eq. 13-15, both readings of Eq. 16) and its companion."""

from __future__ import annotations

import functools

from theorylab.claims.tpv.common import judged_cases
from theorylab.claims.tpv.jbr_pruning import JBR_PRUNING, JBR_PRUNING_CORRECTED
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Finding

__all__ = ["corrected_derivation", "derivation_eq13_15", "eq16_readings_vs_eq15"]


def _groups_label(sizes: tuple[int, ...], outputs: int, samples: int) -> str:
    return f"groups={list(sizes)}, K={outputs}, n={samples}"


def _readings_cases(context: CheckContext) -> list[tuple[int, int]]:
    """``(K, p_g)`` of the Eq. 16 readings, printed and corrected alike."""
    return [(2, 1), (3, 2)] + ([(4, 2)] if context.full else [])


@CATALOG.check(JBR_PRUNING, kind=CheckKind.SYMBOLIC,
               description="Eq. 13-15 step by step: covariance, block structure, group split, "
                           "δ_u = p − e_c, chain rule J_{u,g} = δ_uᵀJ_g (sympy)")
def derivation_eq13_15(context: CheckContext) -> Finding:
    """The derivation of Eq. 15 from Eq. 13 (sympy, exact enumeration over ξ)."""
    from theorylab.proofs.tpv.jbr_pruning import pruning_tpv_derivation

    cases = [((2, 1), 3, 2), ((1, 1, 1), 2, 1)]
    if context.full:
        cases.append(((2, 2), 4, 3))
    return judged_cases(cases, pruning_tpv_derivation, _groups_label)


@CATALOG.check(JBR_PRUNING, kind=CheckKind.SYMBOLIC,
               description="Eq. 16 as printed vs Eq. 15: conformability, literal reading "
                           "‖δ_u‖²‖v_g‖² vs (δ_uᵀv_g)², JC lines, Lagrange identity (sympy)")
def eq16_readings_vs_eq15(context: CheckContext) -> Finding:
    """Both readings of Eq. 16 against the TPV term of Eq. 15."""
    from theorylab.proofs.tpv.jbr_pruning import jbr_readings_derivation

    return judged_cases(_readings_cases(context), jbr_readings_derivation, "K={}, p_g={}".format)


@CATALOG.check(JBR_PRUNING_CORRECTED, kind=CheckKind.SYMBOLIC,
               description="JC-form Eq. 16 = Eq. 15 term, JC lines, Lagrange identity, "
                           "JBR = JC for y = e_c (sympy)")
def corrected_derivation(context: CheckContext) -> Finding:
    """The corrected reading's derivation (literal steps left out)."""
    from theorylab.proofs.tpv.jbr_pruning import jbr_readings_derivation

    derive = functools.partial(jbr_readings_derivation, corrected=True)
    return judged_cases(_readings_cases(context), derive, "K={}".format)
