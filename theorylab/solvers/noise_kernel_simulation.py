r"""Direct simulation of minibatch SGD on the linearised model (paper 002, Eq. 5) and thresholds.

:func:`simulate_growth_rates` runs many seeds of
:math:`z_{t+1} = (I - \eta\beta^{-1}\hat\Theta P_t)z_t`
in parallel, renormalising each trajectory every step (log-norms accumulate, no overflow),
and returns per-seed log growth of :math:`\|z_t\|^2` after a burn-in. Two rates follow:
the typical (median, Lyapunov) rate and the mean-square rate
:math:`\frac1T\log\overline{\|z_T\|^2}`, which :math:`\max|\lambda(T)|` governs.
:func:`stability_threshold` bisects a monotone stability measure for its crossing of 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp

from theorylab.errors import ParameterError
from theorylab.solvers.noise_kernel import validate_sgd_problem

__all__ = ["GrowthRates", "simulate_growth_rates", "stability_threshold"]


@dataclass(frozen=True)
class GrowthRates:
    """Per-seed log growth of ``|z|^2`` per step, with the two summary rates."""

    per_seed: np.ndarray
    """``(seeds,)`` log(|z_T|^2/|z_{T0}|^2)/(T-T0)."""
    steps: int
    burn_in: int

    @property
    def typical(self) -> float:
        """Median per-seed rate (Lyapunov exponent of ``|z|^2``)."""
        return float(np.median(self.per_seed))

    @property
    def mean_square(self) -> float:
        r""":math:`\frac{1}{T-T_0}\log` of the seed-average of :math:`\|z_T\|^2/\|z_{T_0}\|^2`."""
        window = self.steps - self.burn_in
        return float(logsumexp(self.per_seed * window) - np.log(len(self.per_seed))) / window


def simulate_growth_rates(
    ntk: object,
    learning_rate: float,
    batch_size: int,
    *,
    steps: int,
    seeds: int,
    rng: np.random.Generator,
    burn_in: int | None = None,
) -> GrowthRates:
    """Run ``seeds`` SGD trajectories for ``steps`` steps from Gaussian ``z_0`` (Eq. 5)."""
    matrix, eta, batch = validate_sgd_problem(ntk, learning_rate, batch_size)
    if steps < 2 or seeds < 1:
        raise ParameterError("steps must be >= 2 and seeds >= 1")
    size = matrix.shape[0]
    start = steps // 5 if burn_in is None else burn_in
    scale = eta * size / batch
    state = rng.standard_normal((seeds, size))
    state /= np.linalg.norm(state, axis=1, keepdims=True)
    log_norm = np.zeros(seeds)
    at_burn_in = np.zeros(seeds)
    rows = np.arange(seeds)[:, None]
    for step in range(steps):
        chosen = np.argsort(rng.random((seeds, size)), axis=1)[:, :batch]
        picked = state[rows, chosen]  # (seeds, B)
        columns = matrix[:, chosen].transpose(1, 0, 2)  # (seeds, D, B)
        state = state - scale * np.einsum("sdb,sb->sd", columns, picked)
        norms = np.linalg.norm(state, axis=1)
        norms = np.where(norms > 0, norms, 1e-300)
        log_norm += 2 * np.log(norms)
        state /= norms[:, None]
        if step + 1 == start:
            at_burn_in = log_norm.copy()
    return GrowthRates((log_norm - at_burn_in) / (steps - start), steps, start)


def stability_threshold(
    measure: Callable[[float], float], upper: float, *, iterations: int = 30
) -> float:
    """``eta`` in ``(0, upper)`` where a measure increasing in ``eta`` crosses 1 (``nan`` if none).

    Brent's method on ``measure - 1`` (about 10 evaluations to relative 1e-10), after
    ``iterations`` bisection steps at most if Brent cannot bracket.
    """
    from scipy.optimize import brentq

    low, high = upper * 1e-6, upper * (1 - 1e-9)
    if measure(high) < 1.0:
        return float("nan")
    if measure(low) >= 1.0:
        return low
    return float(
        brentq(
            lambda eta: measure(eta) - 1.0,
            low,
            high,
            xtol=1e-14,
            rtol=1e-10,
            maxiter=max(iterations, 100),
        )
    )
