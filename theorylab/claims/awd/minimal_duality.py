r"""``awd.minimal_duality`` — paper 001, Def. 3.1 / Lemma 3.2, proof App. E.1.

For a fully connected layer :math:`z = Wa`, the minimal-Frobenius-norm :math:`\Delta W` with
:math:`(W+\Delta W)a = W(a+\Delta a)` is :math:`\Delta W = (W\Delta a)a^\top/\|a\|^2`. Checked
step by step (sympy), against exact rationals and the SVD minimum-norm solution of the
vectorised constraint, and by a hypothesis search over integer layers.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from theorylab.claims.awd.paper import awd_check, cite, single_threaded
from theorylab.derivations import judge_derivation, labelled
from theorylab.falsify import PropertySearch
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.awd import minimal_awd_perturbation
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict

__all__ = ["MINIMAL_DUALITY", "duality_search", "minimum_norm_reference"]


(MINIMAL_DUALITY,) = CATALOG.add_specs(__file__, cite)
EXACT_RTOL = MINIMAL_DUALITY.tolerance.rtol


def minimum_norm_reference(
    weight: np.ndarray, activity: np.ndarray, delta: np.ndarray
) -> np.ndarray:
    r"""Brute force: SVD least-norm solution of :math:`(a^\top\otimes I)\,x = W\Delta a`."""
    rows = weight.shape[0]
    system = np.kron(activity[None, :], np.eye(rows))  # column-major vec
    solution, *_ = np.linalg.lstsq(system, weight @ delta, rcond=None)
    return solution.reshape(weight.shape, order="F")


def _exact(weight: np.ndarray, activity: np.ndarray, delta: np.ndarray) -> list[list[Fraction]]:
    a = [Fraction(int(v)) for v in activity]
    norm = sum(v * v for v in a)
    shifted = [
        sum(Fraction(int(w)) * Fraction(int(d)) for w, d in zip(row, delta, strict=True))
        for row in weight
    ]
    return [[s * v / norm for v in a] for s in shifted]


@awd_check(
    MINIMAL_DUALITY,
    kind=CheckKind.SYMBOLIC,
    description="App. E.1 Lagrangian steps, duality and minimality (Pythagoras) in sympy",
)
def derivation_app_e1(context: CheckContext) -> Finding:
    """Each step of App. E.1 on symbolic 2x2 and 3x2 layers (4x3 at full level)."""
    from theorylab.proofs.awd.minimal_duality import minimal_duality_derivation

    shapes = [(2, 2), (3, 2)] + ([(4, 3)] if context.full else [])
    steps = []
    for rows, columns in shapes:
        steps.extend(labelled(f"{rows}x{columns}", minimal_duality_derivation(rows, columns)))
    return judge_derivation(steps, cases=len(shapes))


def _relative(value: np.ndarray, reference: np.ndarray) -> float:
    scale = max(float(np.max(np.abs(reference))), 1e-300)
    return float(np.max(np.abs(value - reference))) / scale if reference.size else 0.0


@awd_check(
    MINIMAL_DUALITY,
    kind=CheckKind.EXACT,
    description="closed form vs exact rationals, SVD least norm, and random feasible "
    "competitors (none shorter) on integer layers",
)
def closed_form_vs_brute_force(context: CheckContext) -> Finding:
    """Compare the closed form with two oracles and with 200 random feasible alternatives."""
    rng = context.rng()
    cases = 40 if context.full else 12
    worst, shorter = 0.0, 0
    for _ in range(cases):
        rows, columns = rng.integers(1, 6, size=2)
        weight = rng.integers(-4, 5, (rows, columns)).astype(float)
        activity = rng.integers(-4, 5, columns).astype(float)
        if not activity.any():
            activity[0] = 1.0
        delta = rng.integers(-4, 5, columns).astype(float)
        closed = minimal_awd_perturbation(weight, activity, delta)
        exact = np.array([[float(v) for v in row] for row in _exact(weight, activity, delta)])
        worst = max(
            worst,
            _relative(closed, exact) if exact.any() else float(np.abs(closed).max()),
            _relative(minimum_norm_reference(weight, activity, delta), exact)
            if exact.any()
            else 0.0,
        )
        projector = np.eye(columns) - np.outer(activity, activity) / (activity @ activity)
        for _ in range(200 // cases + 1):
            competitor = closed + rng.standard_normal((rows, columns)) @ projector
            shorter += int(np.linalg.norm(competitor) < np.linalg.norm(closed) * (1 - 1e-12))
    verdict = Verdict.HOLDS if worst <= EXACT_RTOL and shorter == 0 else Verdict.REFUTED
    return Finding(
        verdict=verdict,
        summary=f"max relative gap {worst:.2e} vs rationals/SVD over {cases} layers; "
        f"{shorter} feasible competitors shorter than the closed form",
        residual=worst,
        bound=EXACT_RTOL,
        instances=cases,
        sizes={"max_rows": 5, "max_columns": 5},
        details={"shorter_competitors": shorter},
    )


@single_threaded
def _probe(instance: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Counterexample | None:
    weight, activity, delta = instance
    if not activity.any():
        return None  # outside the assumption a != 0 (the solver raises ParameterError there)
    closed = minimal_awd_perturbation(weight, activity, delta)
    exact = np.array([[float(v) for v in row] for row in _exact(weight, activity, delta)])
    gap = float(np.max(np.abs(closed - exact)))
    bound = 8 * sum(weight.shape) * np.finfo(float).eps * max(float(np.max(np.abs(exact))), 1e-300)
    constraint = (weight + closed) @ activity - weight @ (activity + delta)
    scale = float(np.abs(weight).sum() * np.abs(activity).sum() + 1)
    if gap > bound or np.max(np.abs(constraint)) > 64 * np.finfo(float).eps * scale * 4:
        return Counterexample(
            instance={
                "weight": weight.tolist(),
                "activity": activity.tolist(),
                "activity_delta": delta.tolist(),
            },
            claimed=closed.tolist(),
            actual=exact.tolist(),
            message=f"closed form off exact rationals by {gap:.3g} (bound {bound:.3g})",
        )
    return None


def _strategy() -> object:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    def layer(shape: tuple[int, int]) -> object:
        rows, columns = shape
        entries = st.integers(-6, 6)
        return st.tuples(
            hnp.arrays(np.int64, (rows, columns), elements=entries).map(lambda x: x.astype(float)),
            hnp.arrays(np.int64, (columns,), elements=entries).map(lambda x: x.astype(float)),
            hnp.arrays(np.int64, (columns,), elements=entries).map(lambda x: x.astype(float)),
        )

    return st.tuples(st.integers(1, 5), st.integers(1, 5)).flatmap(layer)


duality_search = CATALOG.add_search(
    MINIMAL_DUALITY,
    PropertySearch(
        name="closed_form_is_exact_minimum",
        description="hypothesis over integer layers m, n <= 5 (a != 0): closed form vs exact "
        "rationals within 8 (m+n) eps, constraint residual at round-off",
        strategy=_strategy,
        probe=_probe,
    ),
)
