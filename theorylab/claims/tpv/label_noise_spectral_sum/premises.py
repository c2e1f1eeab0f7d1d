r"""Premise audit of ``tpv.label_noise_spectral_sum``: a skewed (non-symmetric) noise law.

Theorem 3.2 asks only :math:`\mathbb E\varepsilon = 0` and
:math:`\mathbb E\varepsilon\varepsilon^\top = \sigma^2 I` ("any distribution"), but the
existing oracles draw symmetric laws (Rademacher enumeration, Gaussian Monte Carlo), whose odd
moments vanish. This check enumerates a skewed two-point law, :math:`\varepsilon_i/\sigma =
\sqrt2` with probability 1/3 and :math:`-1/\sqrt2` with probability 2/3 (mean 0, variance 1,
third moment :math:`1/\sqrt2 \ne 0`), exactly over all :math:`2^m` noise vectors, and refits
:math:`\delta w = M\varepsilon` for each.
"""

from __future__ import annotations

import itertools

import numpy as np

from theorylab.claims.tpv.label_noise_spectral_sum import EXACT_RTOL, LABEL_NOISE_SPECTRAL_SUM
from theorylab.claims.tpv.label_noise_spectral_sum.exact import EXACT_SHAPES, _integer_instance
from theorylab.findings import judged
from theorylab.oracles import qr_solution_map
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.linalg import jacobian_rows
from theorylab.solvers.tpv import label_noise_tpv
from theorylab.spec import CheckKind, Finding

__all__ = ["SKEWED_LAW", "skewed_noise_moments"]

SKEWED_LAW = ((np.sqrt(2.0), 1.0 / 3.0), (-1.0 / np.sqrt(2.0), 2.0 / 3.0))
"""(value, probability) pairs of a unit-variance, zero-mean, skewed two-point law."""
MAX_ROWS = 12


def skewed_noise_moments(
    train_rows: np.ndarray, test_rows: np.ndarray, samples: int, tests: int,
    noise_std: float, solution_map: np.ndarray,
) -> tuple[float, float]:
    """Exact E over the skewed law of (test TPV, train TPV): all ``2^m`` vectors, weighted."""
    count = train_rows.shape[0]
    (high, p_high), (low, _) = SKEWED_LAW
    vectors = np.array(list(itertools.product((high, low), repeat=count))).T  # (m, 2^m)
    highs = np.sum(vectors == high, axis=0)
    weights = p_high**highs * (1.0 - p_high) ** (count - highs)
    perturbations = solution_map @ (noise_std * vectors)
    test = float(np.sum((test_rows @ perturbations) ** 2, axis=0) @ weights) / tests
    train = float(np.sum((train_rows @ perturbations) ** 2, axis=0) @ weights) / samples
    return test, train


@CATALOG.check(
    LABEL_NOISE_SPECTRAL_SUM,
    kind=CheckKind.EXACT,
    description=(
        "premise audit: Eq. 10 under a skewed zero-mean noise law (two-point, third moment "
        "≠ 0), exact weighted enumeration of all 2^m noise vectors, ridge 0 and > 0"
    ),
)
def skewed_noise_enumeration(context: CheckContext) -> Finding:
    """Closed form vs the exact expectation over a non-symmetric noise law."""
    rng = context.rng()
    noise_std = 0.3
    worst, comparisons, worst_case = 0.0, 0, {}
    shapes = [shape for shape in EXACT_SHAPES if shape[0] * shape[1] <= MAX_ROWS]
    for shape in shapes * (3 if context.full else 1):
        samples, outputs, parameters, rank, tests = shape
        train, test = _integer_instance(rng, samples, outputs, parameters, rank, tests)
        train_rows, _ = jacobian_rows(train)
        test_rows, _ = jacobian_rows(test)
        for ridge in (0.0, 0.25):
            result = label_noise_tpv(train, test, noise_std, ridge=ridge)
            solution_map = qr_solution_map(train_rows, result.rank_tolerance, ridge)
            test_value, train_value = skewed_noise_moments(
                train_rows, test_rows, samples, tests, noise_std, solution_map
            )
            scale = noise_std**2 * float(np.sum(test_rows**2)) / tests
            gap = max(abs(result.test - test_value) / max(abs(test_value), scale),
                      abs(result.train - train_value) / noise_std**2)
            comparisons += 1
            if gap > worst:
                worst, worst_case = gap, {"shape": list(shape), "ridge": ridge}
    return judged(
        worst <= EXACT_RTOL,
        summary=(
            f"skewed law (√2 w.p. 1/3, −1/√2 w.p. 2/3): closed form vs exact enumeration, max "
            f"relative gap {worst:.2e} over {comparisons} comparisons (rtol {EXACT_RTOL:g})"
        ),
        instance=lambda: worst_case,
        residual=worst,
        bound=EXACT_RTOL,
        instances=comparisons,
        details={"worst_case": worst_case, "noise_std": noise_std},
    )
