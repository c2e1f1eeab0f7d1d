r"""``tpv.trace_inequality`` and ``tpv.trace_stability`` — paper 000, Theorem 2.1 / A.4, App. A.

App. A.3's trace inequality :math:`|\mathrm{Tr}(AB)| \le \|A\|_{\mathrm{op}}\mathrm{Tr}(B)`
(:math:`A` symmetric, :math:`B \succeq 0`) turns the train/test TPV gap into an operator-norm
distance, :math:`|\mathrm{TPV}_{tr} - \mathrm{TPV}_{te}| \le \|H_{tr} - H_{te}\|\,\mathrm{Tr}C`,
and Theorem A.4 bounds that distance by :math:`2\varepsilon_{\mathrm{NTK}} + o(1)` through the
triangle chain, with Eq. 22 (parameter-space stability of :math:`H_{\mathrm{eff}}`) deduced
from Assumption A.2 (stability of the :math:`n\times n` Gram matrix :math:`G_X`).

That deduction does not hold: :math:`H(w^*) - H(w_0)` and :math:`G(w^*) - G(w_0)` do not share
their spectrum (:math:`J_0 = [1, 0]`, :math:`J^* = [0, 1]`: :math:`G^* - G_0 = 0` while
:math:`\|H^* - H_0\| = 1`), and Jacobian data satisfying A.1 and A.2 with
:math:`\varepsilon_{\mathrm{NTK}} = 0` and an exactly vanishing LLN term can have a gap of
:math:`\mathrm{Tr}(C)`. The corrected companion takes Eq. 22 (implied by Jacobian
stability) as its premise. The torch checks (:mod:`.trace_stability_torch`) measure the
asymptotics on MLPs and rerun the synthetic experiment of Sec. 5.1 / App. F.1.1.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import sympy

from theorylab.claims.tpv.paper import PAPER_000, PAPER_000_TITLE
from theorylab.derivations import judge_derivation, labelled
from theorylab.errors import NotPSDError
from theorylab.falsify import PropertySearch
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.trace_stability import (
    effective_curvature_difference,
    trace_inequality_sides,
    trace_stability_gap,
)
from theorylab.spec import (
    Assumption,
    CheckKind,
    Claim,
    ClaimKind,
    Convention,
    Counterexample,
    Figure,
    FigureSeries,
    Finding,
    Level,
    Source,
    Tolerance,
    Verdict,
)

if TYPE_CHECKING:  # hypothesis (imported by theorylab.strategies) stays optional
    from theorylab.strategies import JacobianPair

__all__ = [
    "TRACE_INEQUALITY",
    "TRACE_STABILITY",
    "TRACE_STABILITY_CORRECTED",
    "exact_inequality_holds",
    "trace_inequality_search",
    "trace_stability_corrected_search",
]

EXACT_RTOL = 1e-10

TRACE_INEQUALITY = CATALOG.add(
    Claim(
        id="tpv.trace_inequality",
        title="|Tr(AB)| <= ||A||_op Tr(B) for symmetric A and PSD B",
        source=Source(
            paper=PAPER_000,
            title=PAPER_000_TITLE,
            location="App. A.3, proof of Theorem A.4",
            equations=[],
        ),
        statement=r"|\mathrm{Tr}(AB)| \le \|A\|_{\mathrm{op}}\,\mathrm{Tr}(B)",
        kind=ClaimKind.INEQUALITY,
        assumptions=[
            Assumption(name="A symmetric", statement=r"$A = A^\top$, any signature"),
            Assumption(name="B PSD", statement=r"$B \succeq 0$, any rank"),
        ],
        conventions=[Convention(name="operator norm", statement="largest singular value")],
        tolerance=Tolerance(
            rtol=0.0,
            error_law="exact (sympy real-root counting); float64 slack >= -8 n^2 eps max|A| sum|B|",
            rationale="An inequality between algebraic numbers: decided exactly on integer "
            "instances; the float64 solver may undershoot by its rounding bound only.",
        ),
        tags=["paper000", "tpv", "trace-stability"],
        notes="Off the domain (B not PSD) the inequality can fail: A = [1], B = [-1].",
    )
)

TRACE_STABILITY = CATALOG.add(
    Claim(
        id="tpv.trace_stability",
        title="TPV trace stability: train TPV estimates test TPV for wide nets and large n",
        source=Source(
            paper=PAPER_000,
            title=PAPER_000_TITLE,
            location="Theorem 2.1; App. A (A.1, A.2, Lemma A.3, Theorem A.4); "
            "Sec. 5.1, Fig. 1-2, App. F.1.1",
            equations=["8", "17", "18", "19", "20", "21", "22", "23"],
        ),
        statement=(
            r"|\mathrm{TPV}(w^*;X_{tr}) - \mathrm{TPV}(w^*;X_{te})| \le "
            r"(2\varepsilon_{\mathrm{NTK}} + o_{n_{tr},n_{te}}(1))\,\mathrm{Tr}(C),\ "
            r"\varepsilon_{\mathrm{NTK}} \to 0\ (m\to\infty)"
        ),
        kind=ClaimKind.ASYMPTOTIC,
        assumptions=[
            Assumption(name="A.1", statement="X_tr, X_te i.i.d. from D, independent of w_0"),
            Assumption(
                name="A.2",
                statement=r"$\|G_X(w^*) - G_X(w_0)\|_{op} \le "
                r"\varepsilon_{NTK}$ for each $X \in \{X_{tr}, X_{te}\}$, "
                r"$G_X = J_X J_X^\top/n_X$ (Eq. 19, 21)",
            ),
            Assumption(name="Lemma A.3", statement=r"$\mathbb{E}\|J(x;w_0)\|_F^2 < \infty$"),
            Assumption(name="C PSD", statement=r"$C \succeq 0$"),
        ],
        conventions=[
            Convention(name="H_eff", statement=r"$H_{\rm eff}(w;X) = J_X^\top J_X/n_X$ (Eq. 18)"),
            Convention(
                name="50% band",
                statement=r"$|\mathrm{TPV}_{tr}/\mathrm{TPV}_{te} - 1| "
                r"\le 0.5$ (Fig. 1-2 grey band, our reading)",
            ),
        ],
        tolerance=Tolerance(
            rtol=EXACT_RTOL,
            error_law="||H_tr - H_te||_op / ||H_te||_op ~ a n^-1/2 (LLN, CLT rate) + "
            "b m^-1/2 (lazy NTK training), measured on NTK-parametrised MLPs",
            rationale="The finite-size bound is exact (float64 vs rationals); the asymptotic "
            "terms have no stated rate, so the CLT/NTK rates are the error model measured.",
        ),
        tags=["paper000", "tpv", "trace-stability"],
        notes="Sec. 5.1 prints n_train in {10, 10000}, Fig. 2 and App. F.1.1 {10, 1000}; "
        "we use {10, 1000}.",
    )
)

TRACE_STABILITY_CORRECTED = CATALOG.add(
    Claim(
        id="tpv.trace_stability.corrected",
        title="TPV trace stability with parameter-space (Jacobian) stability as the premise",
        source=TRACE_STABILITY.source,
        statement=(
            r"\|H_X(w^*) - H_X(w_0)\|_{op} \le \varepsilon_X\ (X = X_{tr}, X_{te}) \Rightarrow "
            r"|\mathrm{TPV}_{tr} - \mathrm{TPV}_{te}| \le (\varepsilon_{tr} + \varepsilon_{te} + "
            r"\|H_{tr}(w_0) - H_{te}(w_0)\|_{op})\,\mathrm{Tr}(C);\ "
            r"\varepsilon_X \le (2\|J_X(w_0)\|\|\Delta_X\| + \|\Delta_X\|^2)/n_X,\ "
            r"\Delta_X = J_X(w^*) - J_X(w_0)"
        ),
        kind=ClaimKind.INEQUALITY,
        assumptions=[
            Assumption(
                name="A.2'",
                statement="Eq. 22 assumed directly (H_eff stability), "
                "e.g. from Jacobian stability ||J(w*) - J(w0)||_op / sqrt(n) -> 0",
            ),
            Assumption(name="C PSD", statement=r"$C \succeq 0$"),
        ],
        tolerance=Tolerance(
            rtol=EXACT_RTOL, rationale="exact inequality chain (float64 rounding bound added)"
        ),
        tags=["paper000", "tpv", "trace-stability"],
        companion_of="tpv.trace_stability",
    )
)


# --------------------------------------------------------------------------- exact oracle


def _rational_matrix(matrix: np.ndarray) -> sympy.Matrix:
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


# --------------------------------------------------------------------------- trace inequality


@CATALOG.check(
    TRACE_INEQUALITY,
    kind=CheckKind.SYMBOLIC,
    description="App. A.3 step by step on generic Cayley-frame instances, with a "
    "sum-of-squares certificate for the final inequality",
)
def trace_inequality_proof(context: CheckContext) -> Finding:
    """Eigendecomposition, trace expansion, Rayleigh bound and SOS certificate (sympy)."""
    from theorylab.proofs.tpv_trace_stability import trace_inequality_derivation

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
                holds, _ = exact_inequality_holds(
                    _rational_matrix(a_matrix), _rational_matrix(b_matrix)
                )
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
    return Finding(
        verdict=Verdict.HOLDS if ok else Verdict.REFUTED,
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
    report: dict[str, object] = {}
    rejected = 0
    for label, (a_matrix, b_matrix) in examples.items():
        try:
            trace_inequality_sides(a_matrix, b_matrix)
        except NotPSDError:
            rejected += 1
        holds, _ = exact_inequality_holds(_rational_matrix(a_matrix), _rational_matrix(b_matrix))
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
    failing = [label for label, row in report.items() if not row["inequality_holds"]]  # type: ignore[index]
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
    holds, _ = exact_inequality_holds(_rational_matrix(a_matrix), _rational_matrix(b_matrix))
    if not holds or sides.slack < -sides.rounding_bound:
        return Counterexample(
            instance={"A": a_matrix.tolist(), "B": b_matrix.tolist()},
            claimed=sides.rhs,
            actual=sides.lhs,
            message=f"|Tr AB| = {sides.lhs!r} > ||A|| Tr B = {sides.rhs!r} (exact: {holds})",
        )
    return None


def _inequality_strategy() -> object:
    from theorylab.strategies import symmetric_psd_pairs

    return symmetric_psd_pairs()


trace_inequality_search = CATALOG.add_search(
    TRACE_INEQUALITY,
    PropertySearch(
        name="trace_inequality_exact_and_float",
        description="hypothesis over same-size (A symmetric integer, any signature; B = GGᵀ "
        "of any rank, columns scaled by 2^±6): exact decision and float64 slack >= -rounding",
        strategy=_inequality_strategy,
        probe=_inequality_probe,
    ),
)


# --------------------------------------------------------------------------- trace stability


@CATALOG.check(
    TRACE_STABILITY,
    kind=CheckKind.SYMBOLIC,
    description="App. A.2-A.3 on symbolic Jacobians: Eq. 20, symmetry, triangle "
    "chain, Lemma A.3 split, and the step A.2 ⇒ Eq. 22 as argued",
)
def trace_stability_proof(context: CheckContext) -> Finding:
    """Each proof step of Theorem A.4; 'A.2 ⇒ Eq. 22' compared by characteristic polynomials."""
    from theorylab.proofs.tpv_trace_stability import trace_stability_derivation

    shapes = [(1, 1, 2), (2, 2, 3)]
    steps = []
    for train_size, test_size, parameters in shapes:
        case_steps = trace_stability_derivation(train_size, test_size, parameters)
        steps.extend(labelled(f"n={train_size}, n_te={test_size}, p={parameters}", case_steps))
    return judge_derivation(steps, cases=len(shapes))


def _random_instance(
    rng: np.random.Generator, train: int, test: int, parameters: int, rank: int, outputs: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shape = (lambda n: (n, parameters)) if outputs == 1 else (lambda n: (n, outputs, parameters))
    jac_train = rng.standard_normal(shape(train))
    jac_test = rng.standard_normal(shape(test))
    factor = rng.standard_normal((parameters, rank))
    return jac_train, jac_test, factor @ factor.T


@CATALOG.check(
    TRACE_STABILITY,
    kind=CheckKind.EXACT,
    description="finite-size bound |TPV_tr - TPV_te| <= ||H_tr - H_te|| Tr C: "
    "thin-QR norm vs dense p x p, and exact rational decision on integer instances",
)
def finite_size_bound(context: CheckContext) -> Finding:
    """The identity-level consequence of the trace inequality, checked exactly."""
    rng = context.rng()
    worst_norm_gap = 0.0
    worst_slack = float("inf")
    instances = 0
    shapes = [
        (3, 5, 40, 40, 1),
        (8, 4, 200, 5, 1),
        (6, 6, 30, 0, 1),
        (4, 3, 50, 7, 3),
        (20, 30, 12, 12, 1),
    ]
    for train, test, parameters, rank, outputs in shapes * (3 if context.full else 1):
        jac_train, jac_test, covariance = _random_instance(
            rng, train, test, parameters, rank, outputs
        )
        result = trace_stability_gap(jac_train, jac_test, covariance)
        dense = effective_curvature_difference(jac_train, jac_test, method="dense")
        for method in ("gram", "thin_qr"):
            reduced = effective_curvature_difference(jac_train, jac_test, method=method)
            worst_norm_gap = max(
                worst_norm_gap,
                abs(reduced.operator_norm - dense.operator_norm) / dense.operator_norm,
            )
        worst_slack = min(worst_slack, result.bound - result.gap + result.rounding_bound)
        instances += 1
    violations = []
    for _ in range(12 if context.full else 4):
        train, test, parameters = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 4)
        jac_train = rng.integers(-3, 4, (train, parameters)).astype(np.float64)
        jac_test = rng.integers(-3, 4, (test, parameters)).astype(np.float64)
        factor = rng.integers(-2, 3, (parameters, rng.integers(0, parameters + 1)))
        difference = _rational_matrix(jac_train).T * _rational_matrix(jac_train) / int(
            train
        ) - _rational_matrix(jac_test).T * _rational_matrix(jac_test) / int(test)
        holds, _ = exact_inequality_holds(
            difference, _rational_matrix((factor @ factor.T).astype(float))
        )
        instances += 1
        if not holds:
            violations.append({"J_tr": jac_train.tolist(), "J_te": jac_test.tolist()})
    ok = not violations and worst_slack >= 0 and worst_norm_gap <= EXACT_RTOL
    return Finding(
        verdict=Verdict.HOLDS if ok else Verdict.REFUTED,
        summary=(
            f"Gram / thin-QR vs dense p x p ||H_tr - H_te||: max rel. gap {worst_norm_gap:.1e}; "
            f"bound - gap + rounding >= {worst_slack:.3g}; {len(violations)} exact violations"
        ),
        residual=worst_norm_gap,
        bound=EXACT_RTOL,
        instances=instances,
        counterexample=(
            Counterexample(instance=violations[0], message="exact violation")
            if violations
            else None
        ),
    )


def _abstract_instance(size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    r"""Jacobian data meeting A.1 and A.2 (ε_NTK = 0) with an exactly vanishing LLN term.

    :math:`J(x; w_0) = s(x) e_1^\top` with :math:`s(x) = \pm 1` (so :math:`h(x; w_0) =
    e_1e_1^\top` for every :math:`x`: :math:`H_{tr}(w_0) = H_{te}(w_0) = \bar H`), and
    :math:`J(x; w^*) = J(x; w_0) R` on the training inputs only (R the 90° rotation), the
    test Jacobians unchanged — e.g. a Jacobian field rotated only in small neighbourhoods
    of the training inputs (which almost surely contain no test input), so it is a function
    of :math:`x` and :math:`X_{tr}` alone. Each :math:`G_X` is preserved exactly; the joint
    train/test Gram matrix is not, which is what A.2 (per set) leaves free.
    """
    rotation = np.array([[0.0, 1.0], [-1.0, 0.0]])
    signs_train = rng.choice([-1.0, 1.0], size)
    signs_test = rng.choice([-1.0, 1.0], size)
    j0_train = np.outer(signs_train, [1.0, 0.0])
    j0_test = np.outer(signs_test, [1.0, 0.0])
    return {
        "j0_train": j0_train,
        "j0_test": j0_test,
        "js_train": j0_train @ rotation,
        "js_test": j0_test,
        "covariance": np.diag([1.0, 0.0]),
    }


@CATALOG.check(
    TRACE_STABILITY,
    kind=CheckKind.EXACT,
    description="do A.1 + A.2 imply the conclusion? Jacobian data with ε_NTK = 0 "
    "(Gram matrices preserved) and zero LLN term, but gap = Tr C",
)
def assumptions_imply_conclusion(context: CheckContext) -> Finding:
    """Evaluate every quantity of Theorem A.4 on the abstract instance, for growing n."""
    rng = context.rng()
    rows = []
    refuted = False
    for size in (1, 10, 100, 300):
        data = _abstract_instance(size, rng)
        # A.2 (Eq. 21): the n x n Gram change ||G_X(w*) - G_X(w0)||_op, per set.
        gram_change = max(
            float(
                np.max(
                    np.abs(
                        np.linalg.eigvalsh(
                            (
                                data[f"js_{s}"] @ data[f"js_{s}"].T
                                - data[f"j0_{s}"] @ data[f"j0_{s}"].T
                            )
                            / size
                        )
                    )
                )
            )
            for s in ("train", "test")
        )
        lln = effective_curvature_difference(data["j0_train"], data["j0_test"]).operator_norm
        result = trace_stability_gap(data["js_train"], data["js_test"], data["covariance"])
        theorem_bound = (2 * gram_change + lln) * result.covariance_trace
        h_change = effective_curvature_difference(data["js_train"], data["j0_train"]).operator_norm
        rows.append(
            {
                "n": size,
                "eps_ntk_gram": gram_change,
                "lln_term": lln,
                "gap": result.gap,
                "theorem_bound": theorem_bound,
                "H_change_train": h_change,
            }
        )
        refuted = refuted or result.gap > theorem_bound + result.rounding_bound
    minimal = rows[0]
    return Finding(
        verdict=Verdict.REFUTED if refuted else Verdict.HOLDS,
        summary=(
            f"A.2 holds with ε_NTK = {minimal['eps_ntk_gram']:g} and the LLN term is "
            f"{minimal['lln_term']:g} for every n in 1..300, yet |TPV_tr - TPV_te| = "
            f"{minimal['gap']:g} = Tr C > (2ε + o(1)) Tr C = {minimal['theorem_bound']:g}: "
            "Gram stability (A.2) does not give Eq. 22 (||H(w*) - H(w0)|| = "
            f"{minimal['H_change_train']:g})"
        ),
        lhs=minimal["gap"],  # type: ignore[arg-type]
        rhs=minimal["theorem_bound"],  # type: ignore[arg-type]
        instances=len(rows),
        counterexample=Counterexample(
            instance={
                "J_tr(w0)": [[1.0, 0.0]],
                "J_tr(w*)": [[0.0, 1.0]],
                "J_te(w0)": [[1.0, 0.0]],
                "J_te(w*)": [[1.0, 0.0]],
                "C": [[1.0, 0.0], [0.0, 0.0]],
            },
            claimed="gap <= (2 eps_NTK + o(1)) Tr C = 0",
            actual="gap = 1",
            message="Gram matrices unchanged (eps_NTK = 0), H_tr(w0) = H_te(w0), gap = Tr C = 1",
        )
        if refuted
        else None,
        details={"rows": rows},
    )


@CATALOG.check(
    TRACE_STABILITY,
    kind=CheckKind.EXACT,
    description="Lemma A.3 (Eq. 23) by direct Monte Carlo with a known population H̄: "
    "||H_tr - H̄|| and ||H_tr - H_te|| vs n, fitted exponent vs the CLT rate -1/2",
)
def lemma_a3_rate(context: CheckContext) -> Finding:
    r"""Gaussian Jacobian rows :math:`J(x) \sim \mathcal N(0, \Sigma)` give :math:`\bar H = \Sigma`.

    Lemma A.3 asserts :math:`\|H_{tr} - H_{te}\|_{op} \to 0` a.s.; the error model measured
    here is the CLT rate :math:`c\,n^{-1/2}` (with :math:`n_{te} = n_{tr} = n`), fitted over
    ``repeats`` draws per ``n``; the standard error of each mean is reported.
    """
    rng = context.rng()
    parameters = 20
    spectrum = 1.0 / np.arange(1, parameters + 1) ** 1.5
    root = np.sqrt(spectrum)
    sizes = [16, 64, 256, 1024] + ([4096, 16384] if context.full else [])
    repeats = 40 if context.full else 20
    to_population, train_test, errors = [], [], []
    for size in sizes:
        population_gaps, pair_gaps = [], []
        for _ in range(repeats):
            train = rng.standard_normal((size, parameters)) * root
            test = rng.standard_normal((size, parameters)) * root
            curvature = train.T @ train / size
            population_gaps.append(
                np.max(np.abs(np.linalg.eigvalsh(curvature - np.diag(spectrum))))
            )
            pair_gaps.append(effective_curvature_difference(train, test).operator_norm)
        to_population.append(float(np.mean(population_gaps)))
        train_test.append(float(np.mean(pair_gaps)))
        errors.append(float(np.std(pair_gaps, ddof=1) / np.sqrt(repeats)))
    slope_population = float(np.polyfit(np.log(sizes), np.log(to_population), 1)[0])
    slope_pair = float(np.polyfit(np.log(sizes), np.log(train_test), 1)[0])
    tolerance = 0.1
    follows = abs(slope_population + 0.5) <= tolerance and abs(slope_pair + 0.5) <= tolerance
    return Finding(
        verdict=Verdict.HOLDS_APPROX if follows else Verdict.REFUTED,
        summary=(
            f"||H_tr - H̄|| ~ n^{slope_population:.3f}, ||H_tr - H_te|| ~ n^{slope_pair:.3f} "
            f"(law -0.5 ± {tolerance}); at n = {sizes[-1]}: {train_test[-1]:.3g} ± "
            f"{errors[-1]:.1g} relative to ||H̄|| = 1"
        ),
        error_law="E||H_n - H̄||_op ~ c n^-1/2 (matrix CLT, fixed p)",
        residual=max(abs(slope_population + 0.5), abs(slope_pair + 0.5)),
        bound=tolerance,
        sizes={"p": parameters, "repeats": repeats},
        instances=repeats * len(sizes),
        figure=Figure(
            title="Lemma A.3: LLN term vs n (Gaussian Jacobians, H̄ known)",
            x_label="n_tr = n_te",
            y_label="operator norm",
            log_x=True,
            log_y=True,
            series=[
                FigureSeries(
                    label="||H_tr - H̄||",
                    x=list(map(float, sizes)),
                    y=to_population,
                    style="scatter",
                ),
                FigureSeries(
                    label="||H_tr - H_te||",
                    x=list(map(float, sizes)),
                    y=train_test,
                    style="scatter",
                ),
                FigureSeries(
                    label="n^-1/2 reference",
                    x=list(map(float, sizes)),
                    y=[train_test[0] * (n / sizes[0]) ** -0.5 for n in sizes],
                ),
            ],
        ),
        details={
            "sizes": sizes,
            "to_population": to_population,
            "train_test": train_test,
            "stderr": errors,
        },
    )


@CATALOG.check(
    TRACE_STABILITY,
    kind=CheckKind.TORCH,
    description="error law on NTK-parametrised MLPs: ||H_tr - H_te||/||H_te|| vs "
    "n_train (LLN) and ||H(w*) - H(w0)|| vs width (A.2 / Eq. 22) after GD",
)
def scaling_law(context: CheckContext) -> Finding:
    """See :func:`theorylab.claims.tpv.trace_stability_torch.scaling_experiment`."""
    from theorylab.claims.tpv.trace_stability_torch import scaling_experiment

    return scaling_experiment(context)


@CATALOG.check(
    TRACE_STABILITY,
    kind=CheckKind.TORCH,
    description="Sec. 5.1 / App. F.1.1 synthetic grid: empirical TPV_train vs "
    "TPV_test (label and SGD noise), 50% band for n_train = 1000 vs 10",
    levels=(Level.QUICK, Level.FULL),
)
def synthetic_band(context: CheckContext) -> Finding:
    """See :func:`theorylab.claims.tpv.trace_stability_torch.band_experiment`."""
    from theorylab.claims.tpv.trace_stability_torch import band_experiment

    return band_experiment(context)


# --------------------------------------------------------------------------- corrected


@CATALOG.check(
    TRACE_STABILITY_CORRECTED,
    kind=CheckKind.SYMBOLIC,
    description="Theorem A.4's chain with Eq. 22 from the Jacobian-stability identity",
)
def corrected_proof(context: CheckContext) -> Finding:
    """The same steps as the original, the A.2 step replaced by an exact expansion."""
    from theorylab.proofs.tpv_trace_stability import trace_stability_derivation

    shapes = [(1, 1, 2), (2, 2, 3)]
    steps = []
    for train_size, test_size, parameters in shapes:
        case_steps = trace_stability_derivation(train_size, test_size, parameters, corrected=True)
        steps.extend(labelled(f"n={train_size}, n_te={test_size}, p={parameters}", case_steps))
    return judge_derivation(steps, cases=len(shapes))


@CATALOG.check(
    TRACE_STABILITY_CORRECTED,
    kind=CheckKind.EXACT,
    description="the original's counterexample meets the corrected bound (with equality), "
    "and the chain holds on random wide instances with Jacobian perturbations of every size",
)
def corrected_bound_exact(context: CheckContext) -> Finding:
    """Evaluate the corrected chain on the abstract instance and on random instances."""
    rng = context.rng()
    data = _abstract_instance(1, rng)
    abstract = corrected_chain(
        data["j0_train"], data["j0_test"], data["js_train"], data["js_test"], data["covariance"]
    )
    worst = abstract["violation"]
    for _ in range(20 if context.full else 6):
        train, test, parameters = (int(v) for v in rng.integers(2, 12, 3))
        parameters *= 10
        j0_train = rng.standard_normal((train, parameters))
        j0_test = rng.standard_normal((test, parameters))
        size = 10.0 ** rng.uniform(-4, 1)
        js_train = j0_train + size * rng.standard_normal(j0_train.shape)
        js_test = j0_test + size * rng.standard_normal(j0_test.shape)
        factor = rng.standard_normal((parameters, int(rng.integers(0, parameters))))
        terms = corrected_chain(j0_train, j0_test, js_train, js_test, factor @ factor.T)
        worst = max(worst, terms["violation"])
    return Finding(
        verdict=Verdict.HOLDS if worst <= 0 else Verdict.REFUTED,
        summary=(
            f"abstract instance: gap {abstract['gap']:g} <= corrected bound "
            f"{abstract['bound']:g} (tight); max chain violation over random instances "
            f"{worst:.3g} (<= 0 required)"
        ),
        lhs=abstract["gap"],
        rhs=abstract["bound"],
        residual=worst,
        instances=(20 if context.full else 6) + 1,
    )


def corrected_chain(
    j0_train: np.ndarray,
    j0_test: np.ndarray,
    js_train: np.ndarray,
    js_test: np.ndarray,
    covariance: np.ndarray,
) -> dict[str, float]:
    """Every term of the corrected chain; ``violation > 0`` iff an inequality fails."""
    result = trace_stability_gap(js_train, js_test, covariance)
    eps_train = effective_curvature_difference(js_train, j0_train).operator_norm
    eps_test = effective_curvature_difference(js_test, j0_test).operator_norm
    lln = effective_curvature_difference(j0_train, j0_test).operator_norm
    trace = result.covariance_trace
    jac_bound = max(
        (2 * np.linalg.norm(j0, 2) * np.linalg.norm(js - j0, 2) + np.linalg.norm(js - j0, 2) ** 2)
        / j0.shape[0]
        - eps
        for j0, js, eps in ((j0_train, js_train, eps_train), (j0_test, js_test, eps_test))
    )
    scale = result.rounding_bound + 1e-12 * (eps_train + eps_test + lln) * max(trace, 1.0)
    violation = max(
        result.gap - result.bound - result.rounding_bound,
        result.operator_norm - (eps_train + eps_test + lln) - scale,
        -jac_bound - scale,
    )
    return {
        "gap": result.gap,
        "bound": (eps_train + eps_test + lln) * trace,
        "violation": float(violation),
    }


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


trace_stability_corrected_search = CATALOG.add_search(
    TRACE_STABILITY_CORRECTED,
    PropertySearch(
        name="corrected_chain_holds",
        description="hypothesis over Jacobian pairs at w0 and perturbations Δ (any rank, "
        "scaled 2^±3), C = LLᵀ of any rank: gap <= ||ΔH|| Tr C <= (ε_tr + ε_te + lln) Tr C and "
        "ε_X <= (2||J0|| ||Δ|| + ||Δ||²)/n",
        strategy=_corrected_strategy,
        probe=_corrected_probe,
    ),
)
