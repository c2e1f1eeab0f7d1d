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

__all__ = [
    "GrowthRates",
    "SimulatedThreshold",
    "mean_square_rates",
    "simulate_growth_rate_grid",
    "simulate_growth_rates",
    "simulate_mean_square_rates",
    "simulated_threshold",
    "stability_threshold",
]


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
    start = steps // 5 if burn_in is None else burn_in
    per_seed = simulate_growth_rate_grid(
        matrix, [eta], batch, steps=steps, seeds=seeds, rng=rng, burn_in=start
    )
    return GrowthRates(per_seed[0], steps, start)


def simulate_growth_rate_grid(
    ntk: np.ndarray,
    learning_rates: object,
    batch_size: int,
    *,
    steps: int,
    seeds: int,
    rng: np.random.Generator,
    momentum: float = 0.0,
    burn_in: int | None = None,
) -> np.ndarray:
    r"""Per-seed log growth of the state norm², ``(len(learning_rates), seeds)``, one batch of runs.

    Heavy ball (App. A.5, Eq. 53-55 on the residuals):
    :math:`z_{t+1} = ((1+\mu)I - \eta\beta^{-1}\hat\Theta P_t)z_t - \mu z_{t-1}`,
    :math:`z_{-1} = z_0` (zero velocity); :math:`\mu = 0` is Eq. 5. The state
    :math:`(z_t, z_{t-1})` is renormalised jointly every step (with :math:`\mu = 0`: :math:`z_t`).
    All learning rates run in one vectorised batch (``D`` small: overhead-bound).
    """
    matrix = np.asarray(ntk, dtype=float)
    etas = np.atleast_1d(np.asarray(learning_rates, dtype=float))
    if steps < 2 or seeds < 1:
        raise ParameterError("steps must be >= 2 and seeds >= 1")
    if not 0.0 <= momentum < 1.0:
        raise ParameterError(f"momentum must be in [0, 1), got {momentum!r}")
    size = matrix.shape[0]
    start = steps // 5 if burn_in is None else burn_in
    runs = len(etas) * seeds
    scale = np.repeat(etas * size / batch_size, seeds)[:, None]
    state = rng.standard_normal((runs, size))
    state /= np.linalg.norm(state, axis=1, keepdims=True)
    previous = state.copy()
    log_norm = np.zeros(runs)
    at_burn_in = np.zeros(runs)
    for step in range(steps):
        state, previous, norms = _heavy_ball_step(
            matrix, state, previous, scale, batch_size, momentum, rng
        )
        log_norm += 2 * np.log(norms)
        if step + 1 == start:
            at_burn_in = log_norm.copy()
    return ((log_norm - at_burn_in) / (steps - start)).reshape(len(etas), seeds)


def _heavy_ball_step(
    matrix: np.ndarray,
    state: np.ndarray,
    previous: np.ndarray,
    scale: np.ndarray,
    batch_size: int,
    momentum: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of every run (rows), a fresh batch each; returns the renormalised state, norms."""
    runs, size = state.shape
    chosen = np.argsort(rng.random((runs, size)), axis=1)[:, :batch_size]
    selected = np.zeros((runs, size))
    np.put_along_axis(selected, chosen, 1.0, axis=1)  # rows of P_t
    kick = scale * ((selected * state) @ matrix)  # (Theta P_t z)^T, Theta symmetric
    if momentum:
        state, previous = (1 + momentum) * state - momentum * previous - kick, state
        norms = np.sqrt(np.sum(state**2, axis=1) + np.sum(previous**2, axis=1))
    else:
        state = state - kick
        norms = np.linalg.norm(state, axis=1)
    norms = np.where(norms > 0, norms, 1e-300)
    return state / norms[:, None], previous / norms[:, None], norms


def simulate_mean_square_rates(
    ntk: np.ndarray,
    learning_rates: object,
    batch_size: int,
    *,
    steps: int,
    walkers: int,
    populations: int,
    rng: np.random.Generator,
    momentum: float = 0.0,
    burn_in: int | None = None,
) -> np.ndarray:
    r"""Mean-square growth rate of the state norm² by population Monte Carlo, ``(n_eta, pops)``.

    Each population of ``walkers`` trajectories (same dynamics as
    :func:`simulate_growth_rate_grid`) is resampled every step with probability proportional
    to its walkers' one-step growth :math:`g_i = \|w_{t+1}\|^2/\|w_t\|^2` (systematic
    resampling); :math:`\prod_t \overline{g}_t` is then an unbiased estimate of
    :math:`\mathbb{E}\|w_T\|^2/\|w_0\|^2` whose log does not suffer the heavy tail of
    averaging :math:`e^{Tr_i}` over independent seeds, and the rate
    :math:`\frac{1}{T-T_0}\sum_{t\ge T_0}\log\overline{g}_t \to \log\max|\lambda(T)|`
    (bias :math:`O(1/\text{walkers})`). Independent populations give the spread.
    """
    matrix = np.asarray(ntk, dtype=float)
    etas = np.atleast_1d(np.asarray(learning_rates, dtype=float))
    if steps < 2 or walkers < 1 or populations < 1:
        raise ParameterError("steps must be >= 2, walkers and populations >= 1")
    start = steps // 5 if burn_in is None else burn_in
    groups = len(etas) * populations
    size = matrix.shape[0]
    scale = np.repeat(etas * size / batch_size, populations * walkers)[:, None]
    state = rng.standard_normal((groups * walkers, size))
    state /= np.linalg.norm(state, axis=1, keepdims=True)
    previous = state.copy()
    total = np.zeros(groups)
    offsets = (np.arange(groups) * walkers)[:, None]
    for step in range(steps):
        state, previous, norms = _heavy_ball_step(
            matrix, state, previous, scale, batch_size, momentum, rng
        )
        growth = (norms**2).reshape(groups, walkers)
        mean = growth.mean(axis=1)
        if step >= start:
            total += np.log(mean)
        cumulative = np.cumsum(growth / (walkers * mean[:, None]), axis=1)
        marks = (rng.random((groups, 1)) + np.arange(walkers)[None, :]) / walkers
        rows = np.arange(groups)[:, None]
        found = np.searchsorted((cumulative + rows).ravel(), (marks + rows).ravel(), side="right")
        index = np.minimum(found, (offsets + walkers - 1).repeat(walkers, axis=1).ravel())
        state, previous = state[index], previous[index]
    return (total / (steps - start)).reshape(len(etas), populations)


def mean_square_rates(per_seed: np.ndarray, window: int) -> np.ndarray:
    r"""Row-wise :math:`\frac1W\log\overline{e^{W r}}` of per-seed rates ``r`` (``(n, seeds)``)."""
    return (logsumexp(per_seed * window, axis=-1) - np.log(per_seed.shape[-1])) / window


@dataclass(frozen=True)
class SimulatedThreshold:
    """Where the mean-square growth rate changes sign, with its bootstrap standard error."""

    eta: float
    """Last upward zero of the piecewise-linear (eta, mean-square rate) curve (nan if none)."""
    stderr: float
    """Standard deviation of the root over seed resamples."""
    rates: np.ndarray
    """Mean-square rate per learning rate."""


def simulated_threshold(
    learning_rates: object,
    samples: np.ndarray,
    *,
    rng: np.random.Generator,
    window: int | None = None,
    resamples: int = 200,
) -> SimulatedThreshold:
    """Sign change of the mean-square rate on the grid (interpolated), bootstrapped per eta.

    ``samples`` ``(n_eta, n)``: per-seed rates of :func:`simulate_growth_rate_grid` (give their
    ``window``; the rate is then :func:`mean_square_rates`), or per-population mean-square rates
    of :func:`simulate_mean_square_rates` (``window=None``; the rate is their mean).
    """
    etas = np.asarray(learning_rates, dtype=float)

    def rates(sample: np.ndarray) -> np.ndarray:
        return sample.mean(axis=-1) if window is None else mean_square_rates(sample, window)

    def root(sample: np.ndarray) -> float:
        values = rates(sample)
        signs = np.nonzero((values[:-1] <= 0) & (values[1:] > 0))[0]
        if len(signs) == 0:
            return float("nan")
        k = int(signs[-1])  # last upward sign change, linear interpolation inside it
        weight = values[k] / (values[k] - values[k + 1])
        return float(etas[k] + weight * (etas[k + 1] - etas[k]))

    count = samples.shape[1]
    picks = rng.integers(0, count, (resamples, len(etas), count))
    roots = [root(np.take_along_axis(samples, pick, axis=1)) for pick in picks]
    return SimulatedThreshold(root(samples), float(np.nanstd(roots)), rates(samples))


def stability_threshold(
    measure: Callable[[float], float],
    upper: float,
    *,
    iterations: int = 30,
    rtol: float = 1e-10,
    xtol: float = 1e-14,
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
            xtol=xtol,
            rtol=rtol,
            maxiter=max(iterations, 100),
        )
    )
