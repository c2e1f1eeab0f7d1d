r"""Monte Carlo sweeps over ``n`` for the asymptotic claims of paper 004 (Eq. 1, 4, 5).

A statement :math:`\lim_n n\,\mathbb{E}[X_n] = \ell` is checked on a model whose
:math:`\ell` is known exactly: at each ``n`` the Monte Carlo mean of :math:`nX_n` and its
standard error; a weighted fit :math:`m(n) = \ell_{\rm fit} + a/n + b/n^2` gives the
extrapolated limit with its standard error; the error law of "→" is the classical
:math:`O(1/n)` correction, measured as the log-log slope of :math:`|m(n) - \ell|` over the
``n`` where the deviation is resolved (beyond 3 standard errors; at least two such ``n``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from theorylab.claims.softrank.models import GapModel
from theorylab.error_laws import loglog_slope
from theorylab.solvers.generalization_gap import GapSimulation
from theorylab.spec import Figure, FigureSeries, Verdict

__all__ = ["SweepResult", "n_sweep", "sample_sizes"]

LIMIT_Z = 4.0
RESOLVED_Z = 3.0
SLOPE_BAND = (-1.5, -0.5)


def sample_sizes(full: bool) -> tuple[int, ...]:
    """``n`` grid: 10 … 2560 (quick) or 10 … 10240 (full), doubling."""
    top = 10240 if full else 2560
    sizes, size = [], 10
    while size <= top:
        sizes.append(size)
        size *= 2
    return tuple(sizes)


@dataclass(frozen=True)
class SweepResult:
    """Means, standard errors, the extrapolated limit and the measured correction exponent."""

    label: str
    sizes: list[int]
    means: list[float]
    stderrs: list[float]
    limit: float
    fitted_limit: float
    fitted_limit_stderr: float
    slope: float | None
    verdict: Verdict

    @property
    def limit_z(self) -> float:
        """Standard scores of the extrapolated limit against the exact one."""
        return abs(self.fitted_limit - self.limit) / self.fitted_limit_stderr

    def describe(self) -> dict[str, object]:
        """JSON-ready record for ``Finding.details``."""
        return {
            "label": self.label,
            "n": self.sizes,
            "mean": self.means,
            "stderr": self.stderrs,
            "limit": self.limit,
            "fitted_limit": self.fitted_limit,
            "fitted_limit_stderr": self.fitted_limit_stderr,
            "limit_z": self.limit_z,
            "correction_slope": self.slope,
            "verdict": self.verdict.value,
        }

    def series(self) -> list[FigureSeries]:
        """``|mean - limit|`` vs ``n`` and the 3-stderr resolution floor."""
        deviation = [max(abs(m - self.limit), 1e-12) for m in self.means]
        floor = [RESOLVED_Z * s for s in self.stderrs]
        sizes = [float(n) for n in self.sizes]
        return [
            FigureSeries(
                label=f"{self.label}: |n·E − limit|", x=sizes, y=deviation, style="scatter"
            ),
            FigureSeries(label=f"{self.label}: 3·stderr", x=sizes, y=floor),
        ]


def n_sweep(
    label: str,
    simulate: Callable[[int], GapSimulation],
    statistic: Callable[[GapSimulation], tuple[float, float]],
    limit: float,
    sizes: Sequence[int],
) -> SweepResult:
    """Run ``simulate`` at each ``n``, read ``statistic`` (mean, stderr), judge the limit."""
    means, stderrs = [], []
    for size in sizes:
        mean, stderr = statistic(simulate(size))
        means.append(mean)
        stderrs.append(stderr)
    inverse = 1.0 / np.asarray(sizes, float)
    design = np.stack([np.ones_like(inverse), inverse, inverse**2], axis=1)
    weights = 1.0 / np.asarray(stderrs) ** 2
    normal = design.T @ (weights[:, None] * design)
    coefficients = np.linalg.solve(normal, design.T @ (weights * np.asarray(means)))
    fitted_stderr = float(np.sqrt(np.linalg.inv(normal)[0, 0]))
    deviation = np.abs(np.asarray(means) - limit)
    resolved = deviation > RESOLVED_Z * np.asarray(stderrs)
    slope = (
        loglog_slope(np.asarray(sizes)[resolved], deviation[resolved])
        if resolved.sum() >= 2
        else None
    )
    z = abs(coefficients[0] - limit) / fitted_stderr
    if z > LIMIT_Z:
        verdict = Verdict.REFUTED
    elif slope is None:
        verdict = Verdict.INCONCLUSIVE
    elif SLOPE_BAND[0] <= slope <= SLOPE_BAND[1]:
        verdict = Verdict.HOLDS_APPROX
    else:
        verdict = Verdict.REFUTED
    return SweepResult(
        label,
        list(sizes),
        means,
        stderrs,
        limit,
        float(coefficients[0]),
        fitted_stderr,
        slope,
        verdict,
    )


def combine(results: Sequence[SweepResult]) -> Verdict:
    """Weakest verdict wins: any REFUTED, then INCONCLUSIVE, else HOLDS_APPROX."""
    verdicts = {result.verdict for result in results}
    for verdict in (Verdict.REFUTED, Verdict.INCONCLUSIVE):
        if verdict in verdicts:
            return verdict
    return Verdict.HOLDS_APPROX


def sweep_figure(title: str, results: Sequence[SweepResult]) -> Figure:
    """Log-log figure of every sweep's deviation from its limit (the O(1/n) law)."""
    series = [item for result in results for item in result.series()]
    return Figure(
        title=title,
        x_label="n",
        y_label="|n·E[·] − limit|",
        log_x=True,
        log_y=True,
        series=series,
    )


__all__ += ["combine", "sweep_figure"]


STATISTICS = {
    "gap": (
        "gap_limit",
        lambda s: (s.scaled_gap_refined, s.scaled_gap_refined_stderr),
    ),
    "parameter_error": (
        "parameter_error_limit",
        lambda s: (s.scaled_parameter_error_refined, s.scaled_parameter_error_refined_stderr),
    ),
    "l2_error": (
        "l2_error_limit",
        lambda s: (s.scaled_l2_error_refined, s.scaled_l2_error_refined_stderr),
    ),
}


def model_sweeps(
    models: Mapping[str, GapModel],
    statistic: str,
    *,
    full: bool,
    rng: np.random.Generator,
) -> list[SweepResult]:
    """One :func:`n_sweep` per model for ``statistic`` in ``gap | parameter_error | l2_error``."""
    limit_name, reader = STATISTICS[statistic]
    repetitions = 20000 if full else 3000
    results = []
    for name, model in models.items():
        limit = getattr(model.population(), limit_name)
        results.append(
            n_sweep(
                f"{name} {statistic}",
                lambda n, m=model: m.simulate(n, repetitions, rng),
                reader,
                limit,
                sample_sizes(full),
            )
        )
    return results


__all__ += ["STATISTICS", "model_sweeps"]
