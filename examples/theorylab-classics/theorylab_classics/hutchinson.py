r"""The variance of Hutchinson's trace estimator with Rademacher probes — and a false variant.

For symmetric :math:`A \in \mathbb{R}^{n\times n}` and :math:`z` with independent Rademacher
(:math:`\pm 1`) entries, :math:`\mathbb{E}[z^\top Az] = \mathrm{Tr}A` and

.. math:: \mathrm{Var}[z^\top A z] = 2\Big(\|A\|_F^2 - \sum_i A_{ii}^2\Big)

(Hutchinson 1990): :math:`z_i^2 = 1` makes the diagonal a constant. With Gaussian probes the
variance is :math:`2\|A\|_F^2`; stating *that* for Rademacher probes is the plausible but
false variant ``classics.hutchinson_gaussian_formula_for_rademacher``, refuted by the 1×1
matrix :math:`A = [1]` (:math:`z^\top Az = 1` for every sign, variance 0, not 2).

Both claims get the same four checks (:func:`register_variance_checks`), parametrised by the
variance formula: the expectation over all :math:`2^n` signs in sympy, the same enumeration
in exact integers against random integer matrices, a hypothesis search whose shrunk
counterexample is reported, and a torch Monte Carlo estimate judged on its error law
(:math:`R^{-1/2}` in the number of probes) and its confidence interval.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from theorylab.authoring import (
    CONTRADICTED,
    CheckContext,
    CheckKind,
    Claim,
    ClaimKind,
    Counterexample,
    Figure,
    FigureSeries,
    Finding,
    PropertySearch,
    Source,
    Tolerance,
    Verdict,
    add_claim,
    add_search,
    check,
    combine_outcomes,
    equality_step,
    judge_derivation,
    judge_interval,
    labelled,
    loglog_slope,
    rademacher_expectation,
)

__all__ = [
    "HUTCHINSON_GAUSSIAN_FORMULA_FOR_RADEMACHER",
    "HUTCHINSON_RADEMACHER_VARIANCE",
    "exact_variance",
    "gaussian_variance",
    "rademacher_variance",
    "register_variance_checks",
]

HUTCHINSON = Source(
    paper="Hutchinson 1990",
    title="A stochastic estimator of the trace of the influence matrix for Laplacian "
    "smoothing splines",
    location="variance of the Rademacher trace estimator",
)
Variance = Callable[[Any], Any]


def rademacher_variance(matrix: Any) -> Any:
    r""":math:`2(\|A\|_F^2 - \sum_i A_{ii}^2)` for a NumPy or sympy square matrix.

    Examples
    --------
    >>> int(rademacher_variance(np.array([[1, 2], [2, 3]])))  # 2 (1 + 4 + 4 + 9 - 1 - 9)
    16
    """
    size = matrix.shape[0]
    squares = sum(matrix[i, j] ** 2 for i in range(size) for j in range(size))
    return 2 * (squares - sum(matrix[i, i] ** 2 for i in range(size)))


def gaussian_variance(matrix: Any) -> Any:
    r""":math:`2\|A\|_F^2`, the variance with Gaussian probes.

    Examples
    --------
    >>> int(gaussian_variance(np.array([[1]])))
    2
    """
    size = matrix.shape[0]
    return 2 * sum(matrix[i, j] ** 2 for i in range(size) for j in range(size))


# README: begin
def exact_variance(matrix: np.ndarray) -> Fraction:
    """Var zᵀAz over all 2^n sign vectors, in exact integer arithmetic (integer ``A``)."""

    def quadratic(signs: np.ndarray) -> int:
        return int(signs @ matrix @ signs)

    mean = rademacher_expectation(quadratic, len(matrix))
    return rademacher_expectation(lambda signs: quadratic(signs) ** 2, len(matrix)) - mean**2


def _probe(formula: Variance) -> Callable[[np.ndarray], Counterexample | None]:
    def probe(matrix: np.ndarray) -> Counterexample | None:
        actual, claimed = exact_variance(matrix), int(formula(matrix))
        if actual == claimed:
            return None
        return Counterexample(
            instance={"A": matrix.tolist()}, claimed=claimed,
            actual=int(actual) if actual.denominator == 1 else str(actual),
            message=f"Var zᵀAz = {actual} over all {2 ** len(matrix)} sign vectors, "
            f"the formula says {claimed}",
        )

    return probe
# README: end


def _symbolic_steps(size: int, formula: Variance) -> list:
    """Mean and variance of zᵀAz for a symbolic symmetric ``size×size`` A, all 2^n signs."""
    entries = {
        (i, j): sympy.Symbol(f"a{min(i, j)}{max(i, j)}", real=True)
        for i in range(size)
        for j in range(size)
    }
    matrix = sympy.Matrix(size, size, lambda i, j: entries[i, j])
    values = [
        (sympy.Matrix([signs]) * matrix * sympy.Matrix(signs))[0]
        for signs in itertools.product((-1, 1), repeat=size)
    ]
    mean = sympy.Add(*values) / len(values)
    second = sympy.Add(*[value**2 for value in values]) / len(values)
    return [
        equality_step(
            "mean", "E zᵀAz", r"\mathbb{E}z^\top Az = \mathrm{Tr}A", mean, matrix.trace()
        ),
        equality_step(
            "variance", "Var zᵀAz", r"\mathbb{E}(z^\top Az)^2 - (\mathrm{Tr}A)^2 = \text{formula}",
            second - mean**2, formula(matrix),
        ),
    ]


def _integer_symmetric(rng: np.random.Generator, size: int) -> np.ndarray:
    upper = np.triu(rng.integers(-5, 6, (size, size)))
    return upper + np.triu(upper, 1).T


def _symmetric_integer_matrices() -> Any:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    square = st.integers(1, 5).flatmap(
        lambda size: hnp.arrays(np.int64, (size, size), elements=st.integers(-3, 3))
    )
    return square.map(lambda raw: np.triu(raw) + np.triu(raw, 1).T)


def _monte_carlo(context: CheckContext, formula: Variance) -> Finding:
    r"""Sample variance of zᵀAz from R torch probes, A = GGᵀ/n (n = 30), 128 repeats per R.

    Error law: the mean relative error of the sample variance falls like :math:`R^{-1/2}`
    (a wrong formula leaves a bias: exponent 0). With 128 repeats the mean absolute error per
    R has relative spread about :math:`0.75/\sqrt{128} \approx 0.07`, so over R = 2^6..2^12
    the fitted exponent has a standard error near 0.02; the law is judged on the fitted
    exponent ± 3 (fit) standard errors inside :math:`-1/2 \pm 0.2`. The value is judged at
    R = 2^12: mean ± 3 standard errors inside formula × (1 ± 5%).
    """
    import torch

    generator = torch.Generator().manual_seed(context.seed)
    size, repeats, chunk = 30, 128, 32
    factor = torch.randn(size, size, generator=generator, dtype=torch.float64)
    matrix = factor @ factor.T / size
    claimed = float(formula(matrix.numpy()))
    probes = [2**power for power in range(6, 13)]
    errors = []
    for count in probes:
        parts = []
        for _ in range(repeats // chunk):  # 32 x 4096 x 30 probes at a time: 31 MB
            signs = torch.randint(0, 2, (chunk, count, size), generator=generator) * 2.0 - 1.0
            values = ((signs.to(torch.float64) @ matrix) * signs).sum(-1)
            parts.append(values.var(dim=1))
        estimates = torch.cat(parts)
        errors.append(float((estimates - claimed).abs().mean()) / claimed)
    fitted = loglog_slope(probes, errors)
    log_probes, log_errors = np.log(probes), np.log(errors)
    centred = log_probes - log_probes.mean()
    residuals = log_errors - log_errors.mean() - fitted * centred
    slope_error = float(np.sqrt(residuals @ residuals / (len(probes) - 2) / (centred @ centred)))
    mean, spread = float(estimates.mean()), float(estimates.std()) / repeats**0.5
    outcomes = {
        "error_law": judge_interval(
            (fitted - 3 * slope_error, fitted + 3 * slope_error), -0.5 - 0.2, -0.5 + 0.2
        ),
        "value": judge_interval(
            (mean - 3 * spread, mean + 3 * spread), 0.95 * claimed, 1.05 * claimed
        ),
    }
    verdict = combine_outcomes(outcomes)
    return Finding(
        verdict=verdict,
        summary=f"error ~ R^{fitted:.3f} (law -1/2: {outcomes['error_law']}); at R = "
        f"{probes[-1]}: {mean:.4g} ± {spread:.1g} vs formula {claimed:.4g} ({outcomes['value']})",
        lhs=claimed, rhs=mean, bound=0.05, error_law="E|Var_R - Var| / Var ~ c R^-1/2",
        backend="torch", sizes={"n": size, "repeats": repeats}, instances=repeats * len(probes),
        counterexample=Counterexample(
            instance={"A": "G Gᵀ / 30, G Gaussian", "seed": context.seed, "probes": probes[-1]},
            claimed=claimed, actual=mean, message="Monte Carlo variance outside formula ± 5%",
        ) if outcomes["value"] == CONTRADICTED else None,
        figure=Figure(
            title="Relative error of the Monte Carlo variance", x_label="probes R",
            y_label="mean |Var_R - formula| / formula", log_x=True, log_y=True,
            series=[FigureSeries(label="measured", x=probes, y=errors, style="scatter"),
                    FigureSeries(label="R^-1/2", x=probes,
                                 y=[errors[0] * (r / probes[0]) ** -0.5 for r in probes])],
        ),
        details={"outcomes": outcomes, "slope_stderr": slope_error},
    )


def register_variance_checks(claim: Claim, formula: Variance) -> None:
    """The four checks of "Var zᵀAz = formula(A)" for Rademacher z (module docstring)."""

    @check(claim, kind=CheckKind.SYMBOLIC, description="expectation over all 2^n signs in "
           "sympy, symbolic symmetric A, n = 2, 3")
    def enumeration_in_sympy(context: CheckContext) -> Finding:
        steps = [step for n in (2, 3) for step in labelled(f"n={n}", _symbolic_steps(n, formula))]
        return judge_derivation(steps, cases=2)

    @check(claim, kind=CheckKind.EXACT, description="exact integer enumeration of all 2^n "
           "signs vs the formula, random integer symmetric A, n = 1..8")
    def exact_enumeration(context: CheckContext) -> Finding:
        rng = context.rng()
        matrices = [_integer_symmetric(rng, size) for size in range(1, 9) for _ in range(3)]
        failures = [found for found in map(_probe(formula), matrices) if found is not None]
        return Finding(
            verdict=Verdict.REFUTED if failures else Verdict.HOLDS,
            summary=f"{len(matrices) - len(failures)} of {len(matrices)} matrices agree exactly",
            instances=len(matrices), counterexample=failures[0] if failures else None,
        )

    add_search(claim, PropertySearch(
        name="formula_matches_enumeration",
        description="hypothesis: integer symmetric A, n = 1..5, entries -3..3, exact",
        strategy=_symmetric_integer_matrices,
        probe=_probe(formula),
    ))

    @check(claim, kind=CheckKind.TORCH, description="Monte Carlo with R Rademacher probes: "
           "error law R^-1/2 and the value at R = 4096 within 5%")
    def monte_carlo(context: CheckContext) -> Finding:
        return _monte_carlo(context, formula)


HUTCHINSON_RADEMACHER_VARIANCE = add_claim(Claim(
    id="classics.hutchinson_rademacher_variance",
    title="Var of Hutchinson's estimator, Rademacher probes: 2(||A||_F^2 - sum A_ii^2)",
    source=HUTCHINSON,
    statement=r"\mathrm{Var}[z^\top Az] = 2\big(\|A\|_F^2 - \textstyle\sum_i A_{ii}^2\big)",
    kind=ClaimKind.IDENTITY,
    tolerance=Tolerance(rtol=0.0, rationale="integer matrices: exact arithmetic"),
))
register_variance_checks(HUTCHINSON_RADEMACHER_VARIANCE, rademacher_variance)

# README: begin
HUTCHINSON_GAUSSIAN_FORMULA_FOR_RADEMACHER = add_claim(Claim(
    id="classics.hutchinson_gaussian_formula_for_rademacher",
    title="(false) the Gaussian-probe variance 2||A||_F^2, stated for Rademacher probes",
    source=HUTCHINSON,
    statement=r"\mathrm{Var}[z^\top Az] = 2\|A\|_F^2,\ z_i = \pm 1",
    kind=ClaimKind.IDENTITY,
    tolerance=Tolerance(rtol=0.0, rationale="integer matrices: exact arithmetic"),
))
register_variance_checks(HUTCHINSON_GAUSSIAN_FORMULA_FOR_RADEMACHER, gaussian_variance)
# README: end
