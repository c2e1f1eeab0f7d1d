r"""``subspace.spectral_form`` (Corollary 4) and ``subspace.extremality`` (Prop. 3, Lemma 5).

Paper 003, App. A.1-A.2, A.5-A.6. In a common eigenbasis of :math:`H^{(k)}` and
:math:`H^{(k+1)}` with :math:`a_k = 0`, :math:`c_k = 0`, the probe on the eigen-index set
:math:`S` sees :math:`\Phi(S)\sigma^4/4`, :math:`\Phi(S) = 2\sum_S\delta_i^2 + (\sum_S\delta_i)^2`.

Proposition 3 (main text) assumes only *non-negative* increments; Lemma 5 adds the ordering
:math:`\delta_1\ge\dots\ge\delta_N\ge0` along the eigenvalues of :math:`H^{(k)}` (descending).
Without the ordering the top-:math:`D` eigenspace need not be extremal: :math:`N = 2`,
:math:`D = 1`, :math:`\lambda^{(k)} = (1, 0)`, :math:`\delta = (0, 1)` gives
:math:`\Phi(\{1\}) = 0 < \Phi(\{2\}) = 3`. The corrected companion states what holds.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from theorylab.claims.subspace.paper import paper_source
from theorylab.derivations import judge_derivation
from theorylab.falsify import PropertySearch
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.subspace_probing import (
    compress_increment,
    gaussian_moment_criterion,
    spectral_criterion,
)
from theorylab.spec import (
    Assumption,
    CheckKind,
    Claim,
    ClaimKind,
    Counterexample,
    Finding,
    Tolerance,
    Verdict,
)
from theorylab.strategies import eigenvalue_increment_instances

__all__ = [
    "EXTREMALITY",
    "EXTREMALITY_CORRECTED",
    "SPECTRAL_FORM",
    "best_index_sets",
    "extremality_search",
    "lemma5_search",
    "spectral_search",
]


SPECTRAL_FORM = CATALOG.add(Claim(
    id="subspace.spectral_form",
    title="Spectral closed form under stable principal directions (Corollary 4)",
    source=paper_source("Assumption 2, Corollary 4, App. A.1 and A.5", ["16"]),
    statement=(r"\Delta_2^{(D)} = \frac{\sigma^4}{4}\Big[2\sum_{i\le D}\delta_i^2 + "
               r"\Big(\sum_{i\le D}\delta_i\Big)^2\Big]"),
    kind=ClaimKind.IDENTITY,
    assumptions=[Assumption(name="Assumption 2", statement="the top-D eigenvectors of "
                            r"$H^{(k)}$ are eigenvectors of $H^{(k+1)}$"),
                 Assumption(name="pure quadratic", statement=r"$a_k = 0$, $c_k = 0$")],
    tolerance=Tolerance(rtol=1e-10, rationale="identity; float64 eigenbasis round-off"),
    tags=["paper003", "subspace"],
))

EXTREMALITY = CATALOG.add(Claim(
    id="subspace.extremality",
    title="The top-D eigenspace maximises the pure quadratic signal (Prop. 3, Lemma 5)",
    source=paper_source("Proposition 3 (Sec. 4); Lemma 5 (App. A.2), proof App. A.6", ["17"]),
    statement=(r"\max_{|S|=D}\Phi(S) = \Phi(\{1..D\}),\ \Phi(S) = 2\sum_{S}\delta_i^2 + "
               r"(\sum_S\delta_i)^2,\ \text{eigenbasis ordered by } \lambda^{(k)}\downarrow"),
    kind=ClaimKind.INEQUALITY,
    assumptions=[
        Assumption(name="Prop. 3", statement=r"$a_k = 0$, $c_k = 0$, common eigenbasis, "
                   r"$\delta_i \ge 0$ (no ordering)"),
        Assumption(name="Lemma 5 (extra)", statement=r"$\delta_1\ge\delta_2\ge\dots\ge"
                   r"\delta_N\ge0$ along descending $\lambda^{(k)}_i$"),
    ],
    tolerance=Tolerance(rtol=0.0, rationale="exact: integer increments, Φ compared exactly"),
    tags=["paper003", "subspace"],
    notes="Prop. 3 as stated in the main text is refuted; Lemma 5 (with its ordering) holds.",
))

EXTREMALITY_CORRECTED = CATALOG.add(Claim(
    id="subspace.extremality.corrected",
    title="Extremality corrected: the maximiser is the set of the D largest increments",
    source=paper_source("corrects Proposition 3; Lemma 5's exchange argument (App. A.6)", ["17"]),
    statement=(r"\delta\ge0:\ \max_{|S|=D}\Phi(S) = \Phi(\text{D largest }\delta_i);\ "
               r"\{1..D\}\text{ is a maximiser} \iff \min_{i\le D}\delta_i\ge\max_{i>D}\delta_i"),
    kind=ClaimKind.EQUIVALENCE,
    assumptions=[Assumption(name="Prop. 3", statement=r"$a_k=0$, $c_k=0$, common eigenbasis, "
                            r"$\delta_i\ge0$")],
    tolerance=Tolerance(rtol=0.0, rationale="exact integer arithmetic"),
    tags=["paper003", "subspace"],
    companion_of="subspace.extremality",
))


def _frame(size: int, seed: int) -> np.ndarray:
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((size, size)))[0]


def _phi(increments: np.ndarray, chosen: tuple[int, ...]) -> float:
    picked = increments[list(chosen)]
    return float(2 * np.sum(picked**2) + np.sum(picked) ** 2)


def best_index_sets(increments: np.ndarray, dimension: int) -> tuple[float, list[tuple[int, ...]]]:
    """Brute force: the maximal Φ over all ``|S| = D`` and every maximising index set."""
    values = {chosen: _phi(increments, chosen) for chosen in
              combinations(range(increments.shape[0]), dimension)}
    best = max(values.values())
    return best, [chosen for chosen, value in values.items() if value == best]


# --------------------------------------------------------------------------- Corollary 4


@CATALOG.check(SPECTRAL_FORM, kind=CheckKind.SYMBOLIC,
               description="App. A.5: B_k = diag(δ) in a symbolic (Cayley) common eigenbasis; "
               "Eq. 16")
def spectral_symbolic(context: CheckContext) -> Finding:
    """Assumption 2 ⇒ diagonal B_k ⇒ Eq. 16 with sympy."""
    from theorylab.proofs.subspace import corollary4_derivation

    shapes = [(3, 2)] + ([(3, 1), (2, 1)] if context.full else [])
    steps = [step for size, dim in shapes for step in corollary4_derivation(size, dim)]
    return judge_derivation(steps, cases=len(shapes))


def _spectral_probe(instance: dict[str, object]) -> Counterexample | None:
    base = np.asarray(instance["base_eigenvalues"])
    increments = np.asarray(instance["increments"])
    dimension = int(instance["dimension"])  # type: ignore[arg-type]
    sigma = float(instance["sigma"])  # type: ignore[arg-type]
    frame = _frame(base.shape[0], int(instance["frame_seed"]))  # type: ignore[arg-type]
    difference = frame @ np.diag(increments) @ frame.T
    compressed = compress_increment(0.0, np.zeros(base.shape[0]), difference, frame[:, :dimension])
    via_gm = gaussian_moment_criterion(0.0, compressed.gradient, compressed.hessian, sigma)
    closed = spectral_criterion(increments[:dimension], sigma)
    scale = sigma**4 * (1.0 + float(np.sum(increments**2))) * dimension**2
    if abs(via_gm - closed) > 1e-12 * scale:
        return Counterexample(instance={k: np.asarray(v).tolist() for k, v in instance.items()},
                              claimed=closed, actual=via_gm,
                              message=f"Eq. 16 gives {closed:.6g}, Eq. 15 on B_k {via_gm:.6g}")
    return None


spectral_search = CATALOG.add_search(SPECTRAL_FORM, PropertySearch(
    name="spectral_form_search",
    description="Eq. 16 vs Eq. 15 on U_DᵀA_kU_D in a random common eigenbasis; increments of "
    "every sign and order",
    strategy=eigenvalue_increment_instances,
    probe=_spectral_probe,
))


# --------------------------------------------------------------------------- extremality


def _extremality_probe(instance: dict[str, object]) -> Counterexample | None:
    increments = np.asarray(instance["increments"])
    dimension = int(instance["dimension"])  # type: ignore[arg-type]
    best, maximisers = best_index_sets(increments, dimension)
    top = tuple(range(dimension))
    if _phi(increments, top) < best:
        return Counterexample(
            instance={"base_eigenvalues": np.asarray(instance["base_eigenvalues"]).tolist(),
                      "increments": increments.tolist(), "dimension": dimension},
            claimed=f"top-{dimension} eigenspace maximal, Φ = {_phi(increments, top):g}",
            actual=f"max Φ = {best:g} at eigen-indices {list(maximisers[0])}",
            message=f"top-D eigenspace is not extremal: Φ(top) = {_phi(increments, top):g} "
            f"< {best:g} (δ = {increments.tolist()}, D = {dimension})",
        )
    return None


extremality_search = CATALOG.add_search(EXTREMALITY, PropertySearch(
    name="proposition3_search",
    description="Prop. 3's hypotheses only: non-negative increments in any order; brute force "
    "over all |S| = D",
    strategy=lambda: eigenvalue_increment_instances(nonnegative=True),
    probe=_extremality_probe,
))

lemma5_search = CATALOG.add_search(EXTREMALITY, PropertySearch(
    name="lemma5_search",
    description="Lemma 5's hypotheses: δ_1 ≥ … ≥ δ_N ≥ 0 along descending λ^(k); brute force",
    strategy=lambda: eigenvalue_increment_instances(nonnegative=True, ordered=True),
    probe=_extremality_probe,
))


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


@CATALOG.check(EXTREMALITY, kind=CheckKind.SYMBOLIC,
               description="App. A.6 exchange identity Φ(S')−Φ(S) = (δ_j−δ_i)(2δ_i+2δ_j+s+s')")
def lemma5_symbolic(context: CheckContext) -> Finding:
    """The exchange step of Lemma 5's proof as a sympy identity."""
    from theorylab.proofs.subspace import lemma5_exchange_derivation

    return judge_derivation(lemma5_exchange_derivation(), cases=1)


@CATALOG.check(EXTREMALITY_CORRECTED, kind=CheckKind.SYMBOLIC,
               description="exchange identity (A.6): with δ ≥ 0 each swap toward larger δ "
               "raises Φ, so the D largest increments maximise")
def corrected_symbolic(context: CheckContext) -> Finding:
    """Same exchange identity; its factor 2δ_i+2δ_j+s+s' ≥ 0 for δ ≥ 0."""
    from theorylab.proofs.subspace import lemma5_exchange_derivation

    return judge_derivation(lemma5_exchange_derivation(), cases=1)


def _corrected_probe(instance: dict[str, object]) -> Counterexample | None:
    increments = np.asarray(instance["increments"])
    dimension = int(instance["dimension"])  # type: ignore[arg-type]
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


corrected_search = CATALOG.add_search(EXTREMALITY_CORRECTED, PropertySearch(
    name="corrected_extremality_search",
    description="δ ≥ 0 in any order: the D largest increments attain max Φ, and the top-D "
    "eigenspace does iff min_{i≤D} δ_i ≥ max_{i>D} δ_i (brute force)",
    strategy=lambda: eigenvalue_increment_instances(nonnegative=True),
    probe=_corrected_probe,
))
