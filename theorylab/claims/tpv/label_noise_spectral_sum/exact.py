"""Exact checks of ``tpv.label_noise_spectral_sum``: brute-force oracles and Monte Carlo."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from theorylab.claims.tpv.label_noise_spectral_sum import EXACT_RTOL, LABEL_NOISE_SPECTRAL_SUM
from theorylab.error_laws import gaussian_mean_square_stderr
from theorylab.figures import figure
from theorylab.findings import judged
from theorylab.oracles import enumerated_noise_moments, qr_solution_map, rational_label_noise
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.linalg import jacobian_rows
from theorylab.solvers.tpv import label_noise_tpv
from theorylab.spec import CheckKind, Counterexample, Finding, Verdict

__all__ = ["EXACT_SHAPES", "closed_form_vs_brute_force", "monte_carlo_error_law"]


def _relative_gap(value: float, reference: float, scale: float) -> float:
    """``|value - reference|`` relative to ``|reference|`` (or to ``scale`` when that is 0)."""
    denominator = abs(reference) if reference != 0 else scale
    if denominator == 0:
        return 0.0 if value == 0 else float("inf")
    return abs(value - reference) / denominator


def _integer_instance(
    rng: np.random.Generator, samples: int, outputs: int, parameters: int, rank: int, tests: int
) -> tuple[np.ndarray, np.ndarray]:
    rows = samples * outputs
    train = rng.integers(-5, 6, (rows, rank)) @ rng.integers(-5, 6, (rank, parameters))
    test = rng.integers(-5, 6, (tests * outputs, parameters))
    shape = (samples, outputs, parameters) if outputs > 1 else (samples, parameters)
    test_shape = (tests, outputs, parameters) if outputs > 1 else (tests, parameters)
    return train.astype(np.float64).reshape(shape), test.astype(np.float64).reshape(test_shape)


EXACT_SHAPES = (  # (n, K, p, rank, n_te): wide, tall, deficient, zero, vector outputs
    (6, 1, 10, 6, 5),
    (6, 1, 10, 3, 5),
    (10, 1, 4, 4, 6),
    (10, 1, 4, 2, 6),
    (7, 1, 7, 0, 3),
    (4, 3, 9, 7, 5),
    (5, 2, 3, 3, 4),
)


@CATALOG.check(
    LABEL_NOISE_SPECTRAL_SUM,
    kind=CheckKind.EXACT,
    description=(
        "closed form vs exact rational arithmetic, a QR-based pseudo-inverse and full "
        "enumeration of Rademacher noise, on instances of every rank (ridge 0 and > 0)"
    ),
)
def closed_form_vs_brute_force(context: CheckContext) -> Finding:
    """Compare :func:`label_noise_tpv` with three independent oracles."""
    rng = context.rng()
    repeats = 4 if context.full else 1
    noise_std = 0.3
    worst = 0.0
    worst_case: dict[str, object] = {}
    comparisons = 0
    for shape in EXACT_SHAPES * repeats:
        samples, outputs, parameters, rank, tests = shape
        train, test = _integer_instance(rng, samples, outputs, parameters, rank, tests)
        train_rows, _ = jacobian_rows(train)
        test_rows, _ = jacobian_rows(test)
        for ridge in (Fraction(0), Fraction(1, 4)):
            result = label_noise_tpv(train, test, noise_std, ridge=float(ridge))
            exact_test, exact_train = rational_label_noise(
                train_rows, test_rows, samples, tests, ridge
            )
            solution_map = qr_solution_map(train_rows, result.rank_tolerance, float(ridge))
            references = {
                "rational": (noise_std**2 * float(exact_test), noise_std**2 * float(exact_train)),
            }
            if train_rows.shape[0] <= 14:
                references["rademacher_enumeration"] = enumerated_noise_moments(
                    train_rows, test_rows, samples, tests, noise_std, solution_map
                )
            scale = noise_std**2 * float(np.sum(test_rows**2)) / tests
            for oracle, (test_value, train_value) in references.items():
                gap = max(
                    _relative_gap(result.test, test_value, scale),
                    _relative_gap(result.train, train_value, noise_std**2),
                )
                comparisons += 1
                if gap > worst:
                    worst = gap
                    worst_case = {"shape": list(shape), "ridge": float(ridge), "oracle": oracle}
    verdict = Verdict.HOLDS if worst <= EXACT_RTOL else Verdict.REFUTED
    summary = (
        f"max relative gap {worst:.2e} over {comparisons} comparisons "
        f"({'within' if verdict is Verdict.HOLDS else 'beyond'} rtol {EXACT_RTOL:g})"
    )
    return Finding(
        verdict=verdict,
        summary=summary,
        residual=worst,
        bound=EXACT_RTOL,
        sizes={"instances": len(EXACT_SHAPES) * repeats, "max_parameters": 10},
        instances=len(EXACT_SHAPES) * repeats * 2,
        counterexample=(
            None
            if verdict is Verdict.HOLDS
            else Counterexample(instance=worst_case, message=summary)
        ),
        details={"worst_case": worst_case, "noise_std": noise_std},
    )


@CATALOG.check(
    LABEL_NOISE_SPECTRAL_SUM,
    kind=CheckKind.EXACT,
    description="Monte Carlo over Gaussian label noise: error vs the exact R^-1/2 law",
)
def monte_carlo_error_law(context: CheckContext) -> Finding:
    r"""Direct Monte Carlo of :math:`\mathbb{E}[\delta f^2]` and its predicted RMS error.

    With :math:`A = M^\top J_{te}^\top J_{te} M`, one draw gives
    :math:`Y = \varepsilon^\top A\varepsilon/n_{te}`; for Gaussian noise
    :math:`\mathrm{Var}\,Y = 2\sigma^4\mathrm{Tr}(A^2)/n_{te}^2`, so the mean of ``R`` draws
    has RMS error :math:`\sigma^2\sqrt{2\,\mathrm{Tr}(A^2)/R}/n_{te}`. The check measures the
    RMS error over repetitions at several ``R``, its log-log slope, and the ratio to the law.
    """
    rng = context.rng()
    samples, parameters, rank, tests, noise_std = 8, 20, 6, 12, 0.5
    train = rng.standard_normal((samples, rank)) @ rng.standard_normal((rank, parameters))
    test = rng.standard_normal((tests, parameters))
    result = label_noise_tpv(train, test, noise_std)
    solution_map = qr_solution_map(train, result.rank_tolerance)
    response = test @ solution_map
    law_constant = gaussian_mean_square_stderr(response, noise_std, draws=1, count=tests)
    draws = (100, 400, 1600, 6400) + ((25600,) if context.full else ())
    repetitions = 200 if context.full else 64
    measured, predicted, ratios = [], [], []
    for runs in draws:
        noise = noise_std * rng.standard_normal((repetitions, runs, samples))
        changes = np.einsum("tk,rsk->rst", response, noise)
        estimates = np.mean(np.sum(changes**2, axis=2), axis=1) / tests
        rms = float(np.sqrt(np.mean((estimates - result.test) ** 2)))
        law = float(law_constant / np.sqrt(runs))
        measured.append(rms)
        predicted.append(law)
        ratios.append(rms / law)
    slope = float(np.polyfit(np.log(draws), np.log(measured), 1)[0])
    # RMS over `repetitions` draws has relative sd ~ 1/sqrt(2 reps): allow 4 sd.
    ratio_band = 4.0 / np.sqrt(2.0 * repetitions)
    consistent = all(abs(ratio - 1.0) <= ratio_band for ratio in ratios)
    slope_ok = abs(slope + 0.5) <= 0.15
    return judged(
        consistent and slope_ok,
        summary=(
            f"RMS error slope {slope:.3f} (law -0.5); measured/predicted RMS in "
            f"[{min(ratios):.2f}, {max(ratios):.2f}] (band 1 ± {ratio_band:.2f})"
        ),
        lhs=result.test,
        residual=measured[-1],
        bound=predicted[-1],
        error_law="RMS = sigma^2 sqrt(2 Tr(A^2) / R) / n_te",
        sizes={"n": samples, "p": parameters, "rank": rank, "n_te": tests},
        instances=repetitions * len(draws),
        figure=figure(
            "Monte Carlo label-noise TPV: RMS error vs draws",
            "draws R",
            "RMS error",
            list(map(float, draws)),
            [("measured", measured, "scatter"), ("σ²√(2Tr A²/R)/n_te", predicted)],
            log_x=True,
            log_y=True,
        ),
        details={"slope": slope, "ratios": ratios, "draws": list(draws)},
    )
