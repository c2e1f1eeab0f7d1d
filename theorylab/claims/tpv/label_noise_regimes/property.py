"""Property search of ``tpv.label_noise_regimes``: train TPV regimes in exact rationals."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from theorylab.claims.tpv.label_noise_regimes import LABEL_NOISE_REGIMES
from theorylab.claims.tpv.label_noise_spectral_sum.property import ridge_fractions
from theorylab.oracles import rational_label_noise
from theorylab.registry import CATALOG
from theorylab.solvers.linalg import jacobian_rows
from theorylab.spec import Counterexample

if TYPE_CHECKING:
    from theorylab.strategies import JacobianPair

__all__ = ["regime_search"]


def _regime_probe(instance: tuple[JacobianPair, float, Fraction]) -> Counterexample | None:
    pair, noise_std, ridge = instance
    train_rows, samples = jacobian_rows(pair.train)
    test_rows, tests = jacobian_rows(pair.test)
    variance = Fraction(noise_std) ** 2
    _, exact_unit = rational_label_noise(train_rows, test_rows, samples, tests, ridge)
    exact = variance * exact_unit
    rank = int(np.linalg.matrix_rank(train_rows))
    described = {**pair.describe(), "noise_std": noise_std, "ridge": float(ridge)}
    if ridge > 0 and not exact < variance:
        return Counterexample(
            instance=described,
            claimed=f"< {float(variance)}",
            actual=float(exact),
            message=f"(1): exact train TPV {float(exact)} is not < σ² = {float(variance)}",
        )
    if ridge == 0 and exact != variance * Fraction(rank, samples):
        # vector outputs: rank counts rows, averages divide by samples (rows = n K)
        return Counterexample(
            instance=described,
            claimed=float(variance * Fraction(rank, samples)),
            actual=float(exact),
            message=f"(2a)/(3): exact train TPV {float(exact)} != σ² r/n",
        )
    return None


def _regime_strategy() -> object:
    from hypothesis import strategies as st

    from theorylab.strategies import jacobian_pairs

    noise = st.fractions(min_value=Fraction(1, 64), max_value=10, max_denominator=64)
    return st.tuples(jacobian_pairs(max_outputs=1), noise.map(float), ridge_fractions())


regime_search = CATALOG.search(
    LABEL_NOISE_REGIMES,
    name="train_tpv_regimes_in_exact_rationals",
    description=(
        "hypothesis over integer Jacobians of every rank and shape (columns scaled 2^±8), "
        "σ > 0, ridge 0 or 2^k: exact train TPV < σ² for λ > 0 (1), = σ² r/n for λ = 0 "
        "((2a), (3))"
    ),
    strategy=_regime_strategy,
    probe=_regime_probe,
)
