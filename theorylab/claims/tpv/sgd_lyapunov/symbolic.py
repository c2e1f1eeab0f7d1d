"""Symbolic check of ``tpv.sgd_lyapunov``: App. D.3 step by step (sympy)."""

from __future__ import annotations

from theorylab.claims.tpv.common import judged_cases
from theorylab.claims.tpv.sgd_lyapunov import SGD_LYAPUNOV
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Finding


@CATALOG.check(SGD_LYAPUNOV, kind=CheckKind.SYMBOLIC,
               description="App. D.3 Eq. 60-74 step by step; Eq. 65's independence premise and "
               "Eq. 74 at zero training loss tested on a symbolic linear model")
def derivation_app_d3(context: CheckContext) -> Finding:
    """Each step of App. D.3 (sympy), approximations recorded as their exact remainders."""
    from theorylab.proofs.tpv.sgd_lyapunov import lyapunov_derivation

    cases = [(2, 2, 1), (2, 3, 2)] + ([(3, 2, 1)] if context.full else [])
    return judged_cases(cases, lyapunov_derivation, "p={}, n={}, b={}".format)
