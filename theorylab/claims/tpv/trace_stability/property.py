"""Counterexample search of ``tpv.trace_stability.corrected``: the corrected chain, probed.

Hypothesis draws Jacobian pairs at :math:`w_0`, perturbations of any rank and covariances
of any rank; :func:`~theorylab.claims.tpv.trace_stability.exact.corrected_chain` judges them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from theorylab.claims.tpv.trace_stability import TRACE_STABILITY_CORRECTED
from theorylab.claims.tpv.trace_stability.exact import corrected_chain
from theorylab.registry import CATALOG
from theorylab.spec import Counterexample

if TYPE_CHECKING:  # hypothesis (imported by theorylab.strategies) stays optional
    from theorylab.strategies import JacobianPair

__all__ = ["trace_stability_corrected_search"]


def _corrected_probe(
    instance: tuple[JacobianPair, JacobianPair, np.ndarray],
) -> Counterexample | None:
    base, change, factor = instance
    parameters = base.train_rows.shape[1]
    covariance = factor[:parameters, :parameters] @ factor[:parameters, :parameters].T
    j0_train, j0_test = base.train_rows, base.test_rows
    # Jacobian perturbations Δ_X: the second pair's rows, cycled/cropped to J0's shapes.
    js_train = j0_train + np.resize(change.train_rows, j0_train.shape)
    js_test = j0_test + np.resize(change.test_rows, j0_test.shape)
    terms = corrected_chain(j0_train, j0_test, js_train, js_test, covariance)
    if terms["violation"] > 0:
        return Counterexample(
            instance={
                "J0_tr": j0_train.tolist(),
                "J*_tr": js_train.tolist(),
                "J0_te": j0_test.tolist(),
                "J*_te": js_test.tolist(),
                "C": covariance.tolist(),
            },
            claimed=terms["bound"],
            actual=terms["gap"],
            message=f"corrected chain violated by {terms['violation']:.3g}",
        )
    return None


def _corrected_strategy() -> object:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    from theorylab.strategies import jacobian_pairs

    pairs = jacobian_pairs(max_scale_exponent=3)
    factor = hnp.arrays(np.float64, (7, 7), elements=st.integers(-2, 2).map(float))
    return st.tuples(pairs, pairs, factor)


trace_stability_corrected_search = CATALOG.search(
    TRACE_STABILITY_CORRECTED,
    name="corrected_chain_holds",
    description="hypothesis over Jacobian pairs at w0 and perturbations Δ (any rank, "
    "scaled 2^±3), C = LLᵀ of any rank: gap <= ||ΔH|| Tr C <= (ε_tr + ε_te + lln) Tr C and "
    "ε_X <= (2||J0|| ||Δ|| + ||Δ||²)/n",
    strategy=_corrected_strategy,
    probe=_corrected_probe,
)
