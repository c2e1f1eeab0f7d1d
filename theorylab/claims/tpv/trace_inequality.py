r"""``tpv.trace_inequality`` — paper 000, App. A.3 (proof of Theorem A.4).

App. A.3's trace inequality :math:`|\mathrm{Tr}(AB)| \le \|A\|_{\mathrm{op}}\mathrm{Tr}(B)`
(:math:`A` symmetric, :math:`B \succeq 0`) turns the train/test TPV gap into an operator-norm
distance, :math:`|\mathrm{TPV}_{tr} - \mathrm{TPV}_{te}| \le \|H_{tr} - H_{te}\|\,\mathrm{Tr}C`
(:mod:`theorylab.claims.tpv.trace_stability`). Its exact oracle
(:func:`exact_inequality_holds`, sympy real-root counting on rational entries) serves both
claims.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy

from theorylab.claims.tpv.common import library_strategy
from theorylab.claims.tpv.paper import cite
from theorylab.derivations import judge_derivation, labelled
from theorylab.errors import NotPSDError
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.trace_stability import trace_inequality_sides
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict

__all__ = [
    "TRACE_INEQUALITY",
    "exact_inequality_holds",
    "rational_matrix",
    "trace_inequality_search",
]

(TRACE_INEQUALITY,) = CATALOG.add_specs(__file__, cite)


# --------------------------------------------------------------------------- exact oracle


def rational_matrix(matrix: np.ndarray) -> sympy.Matrix:
    """The float64 matrix as a sympy matrix of the exact rationals its entries are."""
    return sympy.Matrix(
        matrix.shape[0], matrix.shape[1], lambda i, j: sympy.Rational(Fraction(float(matrix[i, j])))
    )


def exact_inequality_holds(symmetric: sympy.Matrix, psd: sympy.Matrix) -> tuple[bool, Fraction]:
    r"""Decide :math:`|\mathrm{Tr}(AB)| \le \rho(A)\,\mathrm{Tr}(B)` exactly (rational entries).

    With :math:`q = |\mathrm{Tr}(AB)|/\mathrm{Tr}(B)`, the inequality holds iff the
    characteristic polynomial of :math:`A` has a real root in :math:`(-\infty, -q]\cup[q,\infty)`
    (sympy's exact real-root counting); ``Tr B = 0`` is decided directly. Returns the verdict
    and :math:`q` (0 when ``Tr B = 0``).
    """
    exact = [
        matrix.applyfunc(
            lambda entry: sympy.Rational(Fraction(float(entry))) if entry.is_Float else entry
        )
        for matrix in (symmetric, psd)
    ]
    symmetric, psd = exact
    trace_b = sympy.Rational(psd.trace())
    product = abs(sympy.Rational((symmetric * psd).trace()))
    if trace_b <= 0:  # only off the domain (B not PSD) or B = 0: need |t| <= rho Tr B <= 0
        return bool(product == 0 and (trace_b == 0 or symmetric.is_zero_matrix)), Fraction(0)
    ratio = product / trace_b
    if ratio == 0:
        return True, Fraction(0)
    variable = sympy.Symbol("x")
    poly = sympy.Poly(symmetric.charpoly(variable).as_expr(), variable)
    count = poly.count_roots(ratio, None) + poly.count_roots(None, -ratio)
    return bool(count > 0), Fraction(int(ratio.p), int(ratio.q))


def _exact_holds(a_matrix: np.ndarray, b_matrix: np.ndarray) -> bool:
    """:func:`exact_inequality_holds` on the exact rationals of two float64 matrices."""
    holds, _ = exact_inequality_holds(rational_matrix(a_matrix), rational_matrix(b_matrix))
    return holds


# --------------------------------------------------------------------------- checks


@CATALOG.check(
    TRACE_INEQUALITY,
    kind=CheckKind.SYMBOLIC,
    description="App. A.3 step by step on generic Cayley-frame instances, with a "
    "sum-of-squares certificate for the final inequality",
)
def trace_inequality_proof(context: CheckContext) -> Finding:
    """Eigendecomposition, trace expansion, Rayleigh bound and SOS certificate (sympy)."""
    from theorylab.proofs.tpv.trace_inequality import trace_inequality_derivation

    sizes = (2, 3) if context.full else (2,)
    steps = []
    for size in sizes:
        steps.extend(labelled(f"n={size}", trace_inequality_derivation(size)))
    return judge_derivation(steps, cases=len(sizes))


def _integer_pair(rng: np.random.Generator, size: int, rank: int) -> tuple[np.ndarray, np.ndarray]:
    raw = rng.integers(-4, 5, (size, size))
    factor = rng.integers(-3, 4, (size, rank))
    return (raw + raw.T).astype(np.float64), (factor @ factor.T).astype(np.float64)


@CATALOG.check(
    TRACE_INEQUALITY,
    kind=CheckKind.EXACT,
    description="exact decision (sympy real-root counting) on integer A of every "
    "signature and PSD B of every rank, plus the equality case B = u uᵀ",
)
def trace_inequality_exact(context: CheckContext) -> Finding:
    """Exact verdicts on random integer instances; tightness at the top eigenvector."""
    rng = context.rng()
    repeats = 6 if context.full else 2
    failures: list[dict[str, object]] = []
    worst_float = float("inf")
    instances = 0
    signatures: set[tuple[int, int]] = set()
    for size in (1, 2, 3, 4, 5):
        for rank in range(size + 1):
            for _ in range(repeats):
                a_matrix, b_matrix = _integer_pair(rng, size, rank)
                holds = _exact_holds(a_matrix, b_matrix)
                sides = trace_inequality_sides(a_matrix, b_matrix)
                worst_float = min(worst_float, sides.slack + sides.rounding_bound)
                eigenvalues = np.linalg.eigvalsh(a_matrix)
                signatures.add((int(np.sum(eigenvalues > 1e-9)), int(np.sum(eigenvalues < -1e-9))))
                instances += 1
                if not holds:
                    failures.append({"A": a_matrix.tolist(), "B": b_matrix.tolist()})
    # Equality: B = u u^T with u the eigenvector of A's largest-|eigenvalue| (Rayleigh tight).
    a_matrix, _ = _integer_pair(rng, 4, 0)
    eigenvalues, vectors = np.linalg.eigh(a_matrix)
    top = vectors[:, int(np.argmax(np.abs(eigenvalues)))]
    tight = trace_inequality_sides(a_matrix, np.outer(top, top))
    tightness = abs(tight.rhs - tight.lhs) / tight.rhs
    ok = not failures and worst_float >= 0 and tightness <= 1e-12
    return judged(
        ok,
        summary=(
            f"{instances} integer instances decided exactly: {len(failures)} violations; "
            f"{len(signatures)} signatures (p, q) of A; float slack + rounding bound >= "
            f"{worst_float:.3g}; equality at B = uuᵀ to {tightness:.1e}"
        ),
        residual=tightness,
        instances=instances,
        counterexample=(
            Counterexample(instance=failures[0], message="exact violation") if failures else None
        ),
        details={"signatures": sorted(signatures), "repeats": repeats},
    )


@CATALOG.check(
    TRACE_INEQUALITY,
    kind=CheckKind.EXACT,
    description="assumption boundary: B not PSD is outside the claim "
    "(NOT_APPLICABLE); reports the minimal off-domain failure",
)
def trace_inequality_boundary(context: CheckContext) -> Finding:
    """Off-domain probe: instances with indefinite B are rejected and may violate the bound."""
    examples = {
        "1x1, Tr B < 0": (np.array([[1.0]]), np.array([[-1.0]])),
        "2x2, Tr B = 0": (np.diag([1.0, -1.0]), np.diag([1.0, -1.0])),
        "2x2, Tr B > 0": (np.diag([1.0, -1.0]), np.diag([2.0, -1.0])),
    }
    report: dict[str, dict[str, object]] = {}
    rejected = 0
    for label, (a_matrix, b_matrix) in examples.items():
        try:
            trace_inequality_sides(a_matrix, b_matrix)
        except NotPSDError:
            rejected += 1
        holds = _exact_holds(a_matrix, b_matrix)
        nuclear = float(np.sum(np.abs(np.linalg.eigvalsh(b_matrix))))
        lhs = abs(float(np.trace(a_matrix @ b_matrix)))
        report[label] = {
            "A": a_matrix.tolist(),
            "B": b_matrix.tolist(),
            "|Tr AB|": lhs,
            "||A|| Tr B": float(np.max(np.abs(np.linalg.eigvalsh(a_matrix))))
            * float(np.trace(b_matrix)),
            "inequality_holds": holds,
            "nuclear_bound_holds": lhs <= nuclear,
        }
    failing = [label for label, row in report.items() if not row["inequality_holds"]]
    return Finding(
        verdict=Verdict.NOT_APPLICABLE,
        summary=(
            f"B indefinite violates the claim's assumption ({rejected}/{len(examples)} "
            f"rejected with NotPSDError); off-domain the inequality fails on "
            f"{len(failing)}/{len(examples)}, minimal: A = [1], B = [-1] (1 > -1). "
            "|Tr AB| <= ||A|| ||B||_* (nuclear norm) still holds there"
        ),
        instances=len(examples),
        details={"instances": report, "rejected": rejected},
    )


def _inequality_probe(instance: tuple[np.ndarray, np.ndarray]) -> Counterexample | None:
    a_matrix, b_matrix = instance
    sides = trace_inequality_sides(a_matrix, b_matrix)
    holds = _exact_holds(a_matrix, b_matrix)
    if not holds or sides.slack < -sides.rounding_bound:
        return Counterexample(
            instance={"A": a_matrix.tolist(), "B": b_matrix.tolist()},
            claimed=sides.rhs,
            actual=sides.lhs,
            message=f"|Tr AB| = {sides.lhs!r} > ||A|| Tr B = {sides.rhs!r} (exact: {holds})",
        )
    return None



trace_inequality_search = CATALOG.search(
    TRACE_INEQUALITY,
    name="trace_inequality_exact_and_float",
    description="hypothesis over same-size (A symmetric integer, any signature; B = GGᵀ "
    "of any rank, columns scaled by 2^±6): exact decision and float64 slack >= -rounding",
    strategy=library_strategy("symmetric_psd_pairs"),
    probe=_inequality_probe,
)
