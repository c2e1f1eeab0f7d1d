r"""``subspace.extremality`` (Prop. 3, Lemma 5) and its corrected companion — paper 003.

App. A.2 and A.6. In a common eigenbasis with :math:`a_k = 0`, :math:`c_k = 0`, the probe on
the eigen-index set :math:`S` sees :math:`\Phi(S)\sigma^4/4`,
:math:`\Phi(S) = 2\sum_S\delta_i^2 + (\sum_S\delta_i)^2`.

Proposition 3 (main text) assumes only *non-negative* increments; Lemma 5 adds the ordering
:math:`\delta_1\ge\dots\ge\delta_N\ge0` along the eigenvalues of :math:`H^{(k)}` (descending).
Without the ordering the top-:math:`D` eigenspace need not be extremal: :math:`N = 2`,
:math:`D = 1`, :math:`\lambda^{(k)} = (1, 0)`, :math:`\delta = (0, 1)` gives
:math:`\Phi(\{1\}) = 0 < \Phi(\{2\}) = 3`. The corrected companion states what holds.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from theorylab.claims.subspace.models import SpectralInstance
from theorylab.claims.subspace.paper import cite
from theorylab.derivations import derivation_pair, judge_derivation
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.subspace_probing import compress_increment
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict
from theorylab.strategies import eigenvalue_increment_instances

__all__ = [
    "EXTREMALITY",
    "EXTREMALITY_CORRECTED",
    "best_index_sets",
    "corrected_search",
    "extremality_search",
    "lemma5_search",
]

EXTREMALITY, EXTREMALITY_CORRECTED = CATALOG.add_specs(__file__, cite)


def _phi(increments: np.ndarray, chosen: tuple[int, ...]) -> float:
    picked = increments[list(chosen)]
    return float(2 * np.sum(picked**2) + np.sum(picked) ** 2)


def best_index_sets(increments: np.ndarray, dimension: int) -> tuple[float, list[tuple[int, ...]]]:
    """Brute force: the maximal Φ over all ``|S| = D`` and every maximising index set."""
    values = {chosen: _phi(increments, chosen) for chosen in
              combinations(range(increments.shape[0]), dimension)}
    best = max(values.values())
    return best, [chosen for chosen, value in values.items() if value == best]


def _extremality_probe(instance: dict[str, Any]) -> Counterexample | None:
    drawn = SpectralInstance.of(instance)
    increments, dimension = drawn.increments, drawn.dimension
    best, maximisers = best_index_sets(increments, dimension)
    top = tuple(range(dimension))
    if _phi(increments, top) < best:
        return Counterexample(
            instance={"base_eigenvalues": drawn.base_eigenvalues.tolist(),
                      "increments": increments.tolist(), "dimension": dimension},
            claimed=f"top-{dimension} eigenspace maximal, Φ = {_phi(increments, top):g}",
            actual=f"max Φ = {best:g} at eigen-indices {list(maximisers[0])}",
            message=f"top-D eigenspace is not extremal: Φ(top) = {_phi(increments, top):g} "
            f"< {best:g} (δ = {increments.tolist()}, D = {dimension})",
        )
    return None


extremality_search = CATALOG.search(
    EXTREMALITY, "proposition3_search",
    "Prop. 3's hypotheses only: non-negative increments in any order; brute force "
    "over all |S| = D",
    lambda: eigenvalue_increment_instances(nonnegative=True), _extremality_probe,
)

lemma5_search = CATALOG.search(
    EXTREMALITY, "lemma5_search",
    "Lemma 5's hypotheses: δ_1 ≥ … ≥ δ_N ≥ 0 along descending λ^(k); brute force",
    lambda: eigenvalue_increment_instances(nonnegative=True, ordered=True), _extremality_probe,
)


@CATALOG.check(EXTREMALITY, kind=CheckKind.EXACT,
               description="hand-minimal instance N = 2, D = 1 of Prop. 3, via Eq. 15 on the "
               "compressed B_k of each eigen-direction")
def proposition3_minimal(context: CheckContext) -> Finding:
    """λ^(k) = (1, 0), δ = (0, 1): the top eigen-direction sees no signal."""
    sigma = 1.0
    increments = np.array([0.0, 1.0])
    difference = np.diag(increments)
    signals = [compress_increment(0.0, [0.0, 0.0], difference, np.eye(2)[:, [i]]).criterion(sigma)
               for i in range(2)]
    refuted = signals[0] < signals[1]
    return Finding(
        verdict=Verdict.REFUTED if refuted else Verdict.HOLDS,
        summary=f"N=2, D=1, λ^(k)=(1,0), δ=(0,1): top eigen-direction signal {signals[0]:g} "
        f"< other direction {signals[1]:g}",
        lhs=signals[0], rhs=signals[1], instances=1, sizes={"N": 2, "D": 1},
        counterexample=Counterexample(
            instance={"base_eigenvalues": [1.0, 0.0], "increments": [0.0, 1.0], "dimension": 1,
                      "sigma": sigma},
            claimed="top-1 eigenspace maximises Δ₂", actual=f"signals {signals}",
            message="Prop. 3 fails without Lemma 5's ordering hypothesis",
        ) if refuted else None,
    )


def _exchange(corrected: bool) -> Finding:
    """App. A.6's exchange identity Φ(S')−Φ(S) = (δ_j−δ_i)(2δ_i+2δ_j+s+s').

    The same identity serves both claims; for the corrected statement its factor
    2δ_i+2δ_j+s+s' is ≥ 0 for δ ≥ 0, so each swap toward a larger δ raises Φ.
    """
    from theorylab.proofs.subspace.extremality import lemma5_exchange_derivation

    return judge_derivation(lemma5_exchange_derivation(), cases=1)


derivation_pair(
    EXTREMALITY, EXTREMALITY_CORRECTED, _exchange,
    printed_description="App. A.6 exchange identity Φ(S')−Φ(S) = (δ_j−δ_i)(2δ_i+2δ_j+s+s')",
    corrected_description="exchange identity (A.6): with δ ≥ 0 each swap toward larger δ "
    "raises Φ, so the D largest increments maximise",
    name="lemma5_symbolic", corrected_name="corrected_symbolic",
)


def _corrected_probe(instance: dict[str, Any]) -> Counterexample | None:
    drawn = SpectralInstance.of(instance)
    increments, dimension = drawn.increments, drawn.dimension
    best, _ = best_index_sets(increments, dimension)
    largest = tuple(np.argsort(-increments, kind="stable")[:dimension].tolist())
    top_is_max = _phi(increments, tuple(range(dimension))) == best
    predicted = bool(np.min(increments[:dimension]) >= np.max(increments[dimension:]))
    if _phi(increments, largest) != best or top_is_max != predicted:
        return Counterexample(
            instance={"increments": increments.tolist(), "dimension": dimension},
            claimed={"max": best, "top_is_max": predicted},
            actual={"largest_set_phi": _phi(increments, largest), "top_is_max": top_is_max},
            message="corrected extremality statement fails",
        )
    return None


corrected_search = CATALOG.search(
    EXTREMALITY_CORRECTED, "corrected_extremality_search",
    "δ ≥ 0 in any order: the D largest increments attain max Φ, and the top-D "
    "eigenspace does iff min_{i≤D} δ_i ≥ max_{i>D} δ_i (brute force)",
    lambda: eigenvalue_increment_instances(nonnegative=True), _corrected_probe,
)
