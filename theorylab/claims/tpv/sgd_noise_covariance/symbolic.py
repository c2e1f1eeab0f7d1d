"""Symbolic checks of ``tpv.sgd_noise_covariance`` and its corrected companion (App. D.1)."""

from __future__ import annotations

from theorylab.claims.tpv.common import judged_cases
from theorylab.claims.tpv.sgd_noise_covariance import (
    SGD_NOISE_COVARIANCE,
    SGD_NOISE_COVARIANCE_CORRECTED,
)
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, DerivationStep, Finding


@CATALOG.check(
    SGD_NOISE_COVARIANCE,
    kind=CheckKind.SYMBOLIC,
    description="App. D.1 Eq. 42-54 step by step (sympy; batches enumerated symbolically)",
)
def derivation_app_d1(context: CheckContext) -> Finding:
    """Each step of App. D.1, with Eq. 47 and Eq. 54 recorded as their exact remainders."""
    from theorylab.proofs.tpv.sgd_noise_covariance import sgd_noise_derivation

    cases = [(3, 2, 2), (2, 2, 1)] + ([(4, 2, 3)] if context.full else [])
    return judged_cases(cases, sgd_noise_derivation, "n={}, p={}, b={}".format)


@CATALOG.check(
    SGD_NOISE_COVARIANCE_CORRECTED,
    kind=CheckKind.SYMBOLIC,
    description="sympy: both sampling factors by batch enumeration; Eq. 46 - 47 = -(1/b) g g^T",
)
def derivation_corrected(context: CheckContext) -> Finding:
    """The steps of App. D.1 that the corrected statement rests on."""
    from theorylab.proofs.tpv.sgd_noise_covariance import sgd_noise_derivation

    kept = ("minibatch", "approximation_1", "matrix_form", "full_gradient")

    def kept_steps(samples: int, parameters: int, batch: int) -> list[DerivationStep]:
        steps = sgd_noise_derivation(samples=samples, parameters=parameters, batch=batch)
        return [step for step in steps if step.name.startswith(kept)]

    return judged_cases([(3, 2, 2), (4, 2, 2)], kept_steps, "n={}, p={}, b={}".format)

