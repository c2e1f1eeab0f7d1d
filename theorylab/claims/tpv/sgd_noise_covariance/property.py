"""Counterexample search of ``tpv.sgd_noise_covariance``: closed form vs batch enumeration."""

from __future__ import annotations

import numpy as np

from theorylab.claims.tpv.sgd_noise_covariance import SGD_NOISE_COVARIANCE
from theorylab.claims.tpv.sgd_noise_covariance.exact import enumeration_gap
from theorylab.registry import CATALOG
from theorylab.spec import Counterexample

__all__ = ["enumeration_search"]


def _probe(instance: tuple[np.ndarray, np.ndarray, int, bool]) -> Counterexample | None:
    rows, residuals, batch, replacement = instance
    ratio = enumeration_gap(rows, residuals, batch, replacement)
    if ratio > 1.0:
        return Counterexample(
            instance={
                "jacobian": rows.tolist(),
                "residuals": residuals.tolist(),
                "batch_size": batch,
                "replacement": replacement,
            },
            message=f"closed form differs from enumeration by {ratio:.3g} x the float64 bound",
        )
    return None


def _strategy() -> object:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    from theorylab.strategies import low_rank_integer_matrices

    @st.composite
    def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int, bool]:
        n = draw(st.integers(1, 5))
        p = draw(st.integers(1, 4))
        rank = draw(st.integers(0, min(n, p)))
        rows = draw(low_rank_integer_matrices(n, p, rank))
        zero = draw(st.booleans())
        residuals = (
            np.zeros(n)
            if zero
            else draw(hnp.arrays(np.int64, (n,), elements=st.integers(-4, 4))).astype(float)
        )
        replacement = draw(st.booleans())
        batch = draw(st.integers(1, 4 if replacement else n))
        return rows, residuals, batch, replacement

    return instances()


enumeration_search = CATALOG.search(
    SGD_NOISE_COVARIANCE,
    name="closed_form_matches_batch_enumeration",
    description=(
        "hypothesis over integer Jacobians of every rank (n ≤ 5, p ≤ 4), zero or integer "
        "residuals, b in [1, 4] with replacement or [1, n] without: Eq. 45-46 closed form "
        "vs enumeration of every minibatch within 16 n^b eps"
    ),
    strategy=_strategy,
    probe=_probe,
)
