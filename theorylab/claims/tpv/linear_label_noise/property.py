"""Property searches of ``tpv.linear_label_noise`` and its corrected companion.

The Eq. 9 solver vs exact rationals; the per-instance harmonic bound behind E TPV ≥ σ² n/d.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from theorylab.claims.tpv.common import library_strategy
from theorylab.claims.tpv.linear_label_noise import (
    EPS,
    EXACT_RTOL,
    LINEAR_LABEL_NOISE,
    LINEAR_LABEL_NOISE_CORRECTED,
)
from theorylab.claims.tpv.linear_label_noise.exact import rational_inverse_gram_trace
from theorylab.errors import TheorylabError
from theorylab.registry import CATALOG
from theorylab.solvers.linear_label_noise import linear_label_noise_tpv
from theorylab.spec import Counterexample

__all__ = ["design_search", "harmonic_bound_search"]


def _design_probe(design: np.ndarray) -> Counterexample | None:
    samples, dimension = design.shape
    exact_rank = int(np.linalg.matrix_rank(design))
    valid = dimension >= samples and exact_rank == samples
    try:
        result = linear_label_noise_tpv(design, 1.0)
    except TheorylabError as error:
        if valid:
            return Counterexample(
                instance={"X": design.tolist()},
                message=f"valid design rejected: {type(error).__name__}: {error}",
            )
        return None
    if not valid:
        return Counterexample(
            instance={"X": design.tolist()},
            claimed=result.value,
            message=f"design violating (i) (n={samples}, d={dimension}, rank {exact_rank}) "
            "accepted",
        )
    exact = float(rational_inverse_gram_trace(design))
    # backward-stable SVD: relative error of each 1/s_i² is <= ~4 max(n,d) eps kappa.
    bound = 16 * max(samples, dimension) * EPS * result.condition_number**0.5 * exact
    if abs(result.value - exact) > bound + EXACT_RTOL * exact:
        return Counterexample(
            instance={"X": design.tolist()},
            claimed=result.value,
            actual=exact,
            message=f"σ²Tr((XXᵀ)⁻¹) = {result.value!r} vs exact {exact!r}",
        )
    return None



design_search = CATALOG.search(
    LINEAR_LABEL_NOISE,
    name="eq9_solver_matches_exact_rationals",
    description=(
        "hypothesis over integer designs of every shape and rank (columns scaled by 2^±4): "
        "Eq. 9 solver vs exact rationals on designs satisfying (i), typed error otherwise"
    ),
    strategy=library_strategy("design_matrices"),
    probe=_design_probe,
)


def _harmonic_probe(design: np.ndarray) -> Counterexample | None:
    samples, dimension = design.shape
    if dimension < samples or np.linalg.matrix_rank(design) < samples:
        return None
    exact = rational_inverse_gram_trace(design)
    squared_norm = sum(Fraction(float(v)) ** 2 for v in design.ravel())
    bound = Fraction(samples * samples) / squared_norm
    if exact < bound:
        return Counterexample(
            instance={"X": design.tolist()},
            claimed=float(bound),
            actual=float(exact),
            message=f"Tr((XXᵀ)⁻¹) = {float(exact)} < n²/Tr(XXᵀ) = {float(bound)}",
        )
    return None


harmonic_bound_search = CATALOG.search(
    LINEAR_LABEL_NOISE_CORRECTED,
    name="inverse_trace_above_harmonic_bound",
    description=(
        "hypothesis over integer designs satisfying (i): Tr((XXᵀ)⁻¹) >= n²/Tr(XXᵀ) in exact "
        "rationals (the per-instance inequality behind E TPV >= σ² n/d)"
    ),
    strategy=library_strategy("design_matrices"),
    probe=_harmonic_probe,
)
