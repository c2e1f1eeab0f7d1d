"""Exact checks of ``tpv.trace_stability`` and its companion (float64 vs rationals, Monte Carlo).

:func:`finite_size_bound` checks the identity-level bound, :func:`assumptions_imply_conclusion`
evaluates Theorem A.4 on Jacobian data meeting A.1 and A.2 (:func:`abstract_instance`),
:func:`lemma_a3_rate` measures Lemma A.3's LLN rate, and :func:`corrected_bound_exact`
evaluates the corrected chain (:func:`corrected_chain`).
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.tpv.trace_inequality import exact_inequality_holds, rational_matrix
from theorylab.claims.tpv.trace_stability import (
    EXACT_RTOL,
    TRACE_STABILITY,
    TRACE_STABILITY_CORRECTED,
)
from theorylab.claims.tpv.trace_stability.rates import rate_figure
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.trace_stability import effective_curvature_difference, trace_stability_gap
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict

__all__ = [
    "abstract_instance",
    "assumptions_imply_conclusion",
    "corrected_bound_exact",
    "corrected_chain",
    "finite_size_bound",
    "lemma_a3_rate",
]


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
        difference = rational_matrix(jac_train).T * rational_matrix(jac_train) / int(
            train
        ) - rational_matrix(jac_test).T * rational_matrix(jac_test) / int(test)
        holds, _ = exact_inequality_holds(
            difference, rational_matrix((factor @ factor.T).astype(float))
        )
        instances += 1
        if not holds:
            violations.append({"J_tr": jac_train.tolist(), "J_te": jac_test.tolist()})
    ok = not violations and worst_slack >= 0 and worst_norm_gap <= EXACT_RTOL
    return judged(
        ok,
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


def abstract_instance(size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
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


def _gram_change(data: dict[str, np.ndarray], size: int) -> float:
    """A.2 (Eq. 21): the n x n Gram change ``||G_X(w*) - G_X(w0)||_op``, worst set."""
    return max(
        float(
            np.max(
                np.abs(
                    np.linalg.eigvalsh(
                        (data[f"js_{s}"] @ data[f"js_{s}"].T - data[f"j0_{s}"] @ data[f"j0_{s}"].T)
                        / size
                    )
                )
            )
        )
        for s in ("train", "test")
    )


@CATALOG.check(
    TRACE_STABILITY,
    kind=CheckKind.EXACT,
    description="do A.1 + A.2 imply the conclusion? Jacobian data with ε_NTK = 0 "
    "(Gram matrices preserved) and zero LLN term, but gap = Tr C",
)
def assumptions_imply_conclusion(context: CheckContext) -> Finding:
    """Evaluate every quantity of Theorem A.4 on the abstract instance, for growing n."""
    rng = context.rng()
    rows: list[dict[str, float]] = []
    refuted = False
    for size in (1, 10, 100, 300):
        data = abstract_instance(size, rng)
        gram_change = _gram_change(data, size)
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
    return judged(
        not refuted,
        summary=(
            f"A.2 holds with ε_NTK = {minimal['eps_ntk_gram']:g} and the LLN term is "
            f"{minimal['lln_term']:g} for every n in 1..300, yet |TPV_tr - TPV_te| = "
            f"{minimal['gap']:g} = Tr C > (2ε + o(1)) Tr C = {minimal['theorem_bound']:g}: "
            "Gram stability (A.2) does not give Eq. 22 (||H(w*) - H(w0)|| = "
            f"{minimal['H_change_train']:g})"
        ),
        lhs=minimal["gap"],
        rhs=minimal["theorem_bound"],
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
    return judged(
        follows,
        supported=Verdict.HOLDS_APPROX,
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
        figure=rate_figure(
            "Lemma A.3: LLN term vs n (Gaussian Jacobians, H̄ known)",
            "n_tr = n_te",
            "operator norm",
            sizes,
            [("||H_tr - H̄||", to_population), ("||H_tr - H_te||", train_test)],
            ("n^-1/2 reference", train_test),
        ),
        details={
            "sizes": sizes,
            "to_population": to_population,
            "train_test": train_test,
            "stderr": errors,
        },
    )


@CATALOG.check(
    TRACE_STABILITY_CORRECTED,
    kind=CheckKind.EXACT,
    description="the original's counterexample meets the corrected bound (with equality), "
    "and the chain holds on random wide instances with Jacobian perturbations of every size",
)
def corrected_bound_exact(context: CheckContext) -> Finding:
    """Evaluate the corrected chain on the abstract instance and on random instances."""
    rng = context.rng()
    data = abstract_instance(1, rng)
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
    return judged(
        worst <= 0,
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
