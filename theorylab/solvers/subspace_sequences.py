r"""Exact sequential minimisers for the rate of paper 003 (Theorem 2, Assumption 1).

Two problems where every quantity of Theorem 2 is computable to machine precision:

* ``"ridge"``: :math:`\ell_i(w) = \tfrac12(x_i^\top w - y_i)^2 + \tfrac\lambda2\|w\|^2`
  (the increment field is exactly quadratic, so Lemma 1 and Eq. 15 are exact);
* ``"logistic"``: :math:`\ell_i(w) = \log(1+e^{x_i^\top w}) - y_i x_i^\top w
  + \tfrac\lambda2\|w\|^2`, :math:`y_i\in\{0,1\}` (non-quadratic).

For every :math:`k = k_0,\dots,K` the minimiser :math:`w_k^*` of
:math:`L_k = \frac1k\sum_{i\le k}\ell_i` is computed exactly (closed form for ridge, Newton
to a gradient of :math:`10^{-13}` warm-started at :math:`w_{k-1}^*` for logistic), and with
it the surrogate coefficients :math:`a_k`, :math:`g^{(k+1)}(w_k^*)`,
:math:`A_k = H^{(k+1)}-H^{(k)}` and :math:`H^{(k)}(w_k^*)` of Eq. 8, plus the constants
of Assumption 1 measured at the sequential minimisers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.arrays import as_matrix, as_vector, check_positive
from theorylab.errors import ParameterError, ShapeError

__all__ = [
    "IncrementSequence",
    "SequentialProblem",
    "gauss_hermite_criterion",
    "make_sequential_problem",
    "sequential_increments",
]

_KINDS = ("ridge", "logistic")
NEWTON_TOLERANCE = 1e-13


@dataclass(frozen=True)
class SequentialProblem:
    """A stream of samples ``(inputs (n, N), targets (n,))`` with an L2 weight ``ridge``."""

    kind: str
    inputs: np.ndarray
    targets: np.ndarray
    ridge: float

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ParameterError(f"kind must be one of {_KINDS}, got {self.kind!r}")
        inputs = as_matrix(self.inputs, "inputs")
        as_vector(self.targets, "targets", length=inputs.shape[0])
        check_positive(self.ridge, "ridge")

    @property
    def dimension(self) -> int:
        """Number :math:`N` of parameters."""
        return int(self.inputs.shape[1])

    def margins(self, points: np.ndarray, count: int) -> np.ndarray:
        r""":math:`x_i^\top w` for the first ``count`` samples at points ``(R, N)``: ``(R, n)``."""
        return points @ self.inputs[:count].T

    def losses(self, points: np.ndarray, count: int) -> np.ndarray:
        r"""Per-sample losses :math:`\ell_i(w)` at points ``(R, N)`` for ``i < count``."""
        margins = self.margins(points, count)
        targets = self.targets[:count]
        if self.kind == "ridge":
            data = 0.5 * (margins - targets) ** 2
        else:
            data = np.logaddexp(0.0, margins) - targets * margins
        return data + 0.5 * self.ridge * np.sum(points**2, axis=1, keepdims=True)

    def increment(self, points: np.ndarray, k: int) -> np.ndarray:
        r"""True increment :math:`L_{k+1}(w)-L_k(w) = (\ell_{k+1}(w)-L_k(w))/(k+1)` (Eq. 5)."""
        losses = self.losses(np.atleast_2d(points), k + 1)
        return (losses[:, k] - losses[:, :k].mean(axis=1)) / (k + 1)

    def curvature_weights(self, point: np.ndarray, count: int) -> np.ndarray:
        r"""Output curvature :math:`\partial^2\ell_i/\partial m^2` (1 or :math:`p(1-p)`)."""
        if self.kind == "ridge":
            return np.ones(count)
        probabilities = _sigmoid(self.inputs[:count] @ point)
        return probabilities * (1.0 - probabilities)

    def residuals(self, point: np.ndarray, count: int) -> np.ndarray:
        r""":math:`\partial\ell_i/\partial m` (residual or :math:`p-y`) for ``i < count``."""
        margins = self.inputs[:count] @ point
        prediction = margins if self.kind == "ridge" else _sigmoid(margins)
        return prediction - self.targets[:count]

    def mean_gradient(self, point: np.ndarray, count: int) -> np.ndarray:
        """:math:`g^{(count)}(w)`."""
        return self.inputs[:count].T @ self.residuals(point, count) / count + self.ridge * point

    def mean_hessian(self, point: np.ndarray, count: int) -> np.ndarray:
        """:math:`H^{(count)}(w)`."""
        rows = self.inputs[:count]
        weights = self.curvature_weights(point, count)
        return (rows.T * weights) @ rows / count + self.ridge * np.eye(self.dimension)

    def minimiser(self, count: int, start: np.ndarray | None = None) -> np.ndarray:
        """Exact minimiser of :math:`L_{count}` (closed form or converged Newton)."""
        point = np.zeros(self.dimension) if start is None else start.copy()
        for _ in range(100):
            gradient = self.mean_gradient(point, count)
            if np.linalg.norm(gradient) <= NEWTON_TOLERANCE * max(1.0, np.linalg.norm(point)):
                return point
            point = point - np.linalg.solve(self.mean_hessian(point, count), gradient)
            if self.kind == "ridge":
                return point
        raise ParameterError(f"Newton did not converge for k={count}")


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * values))


def make_sequential_problem(
    kind: str, samples: int, dimension: int, rng: np.random.Generator, *, ridge: float = 0.1
) -> SequentialProblem:
    """A Gaussian design with anisotropic scales and a planted teacher (noisy targets).

    Column scales decay like :math:`2^{-j/2}` so the Hessian is anisotropic, as in the
    paper's motivation; targets are ``x·w₀ + ε`` (ridge) or Bernoulli(sigmoid(x·w₀)).
    """
    if samples < 2 or dimension < 1:
        raise ParameterError(f"need samples >= 2 and dimension >= 1, got {samples}, {dimension}")
    scales = 2.0 ** (-0.5 * np.arange(dimension))
    inputs = rng.standard_normal((samples, dimension)) * scales
    teacher = rng.standard_normal(dimension)
    margins = inputs @ teacher
    if kind == "ridge":
        targets = margins + 0.5 * rng.standard_normal(samples)
    else:
        targets = (rng.random(samples) < _sigmoid(margins)).astype(np.float64)
    return SequentialProblem(kind=kind, inputs=inputs, targets=targets, ridge=ridge)


@dataclass(frozen=True)
class IncrementSequence:
    r"""Per-:math:`k` surrogate coefficients at the sequential minimisers, and Assumption 1.

    Arrays are indexed by position in ``ks``. ``gradients`` holds
    :math:`g^{(k+1)}(w_k^*)`, ``hessian_differences`` :math:`A_k`, ``hessians``
    :math:`H^{(k)}(w_k^*)`. ``loss_bound``, ``gradient_bound``, ``hessian_bound`` are
    Assumption 1's :math:`M_\ell = \max_k\max_{i\le k+1}|\ell_i(w_k^*)|`,
    :math:`M_g = \max_k\|g_{k+1}(w_k^*)\|`,
    :math:`M_H = \max_k\max_{i\le k+1}\|H_i(w_k^*)\|_2`. ``stationarity`` is
    :math:`\max_k\|g^{(k)}(w_k^*)\|` (the proof's :math:`\nabla L_k(w_k^*) = 0`);
    ``sample_gaps`` is :math:`\ell_{k+1}(w_k^*) - L_k(w_k^*)`, ``sample_gradients``
    :math:`g_{k+1}(w_k^*)`.
    """

    ks: np.ndarray
    minimisers: np.ndarray
    value_gaps: np.ndarray
    sample_gaps: np.ndarray
    gradients: np.ndarray
    sample_gradients: np.ndarray
    hessian_differences: np.ndarray
    hessians: np.ndarray
    loss_bound: float
    gradient_bound: float
    hessian_bound: float
    stationarity: float


def sequential_increments(
    problem: SequentialProblem, first: int, last: int
) -> IncrementSequence:
    """Exact coefficients for ``k = first..last`` (needs ``last + 1`` samples)."""
    if not 1 <= first <= last or last + 1 > problem.inputs.shape[0]:
        raise ShapeError(
            f"need 1 <= first <= last < n = {problem.inputs.shape[0]}, got {first}, {last}"
        )
    ks = np.arange(first, last + 1)
    size = problem.dimension
    minimisers = np.empty((ks.size, size))
    value_gaps = np.empty(ks.size)
    sample_gaps = np.empty(ks.size)
    gradients = np.empty((ks.size, size))
    sample_gradients = np.empty((ks.size, size))
    differences = np.empty((ks.size, size, size))
    hessians = np.empty((ks.size, size, size))
    loss_bound = gradient_bound = hessian_bound = stationarity = 0.0
    point = None
    for index, k in enumerate(ks):
        point = problem.minimiser(int(k), point)
        minimisers[index] = point
        losses = problem.losses(point[None, :], k + 1)[0]
        sample_gaps[index] = losses[k] - losses[:k].mean()
        value_gaps[index] = sample_gaps[index] / (k + 1)
        row = problem.inputs[k]
        residual = problem.residuals(point, k + 1)
        sample_gradients[index] = residual[k] * row + problem.ridge * point
        gradients[index] = problem.mean_gradient(point, k + 1)
        hessians[index] = problem.mean_hessian(point, k)
        weights = problem.curvature_weights(point, k + 1)
        next_hessian = weights[k] * np.outer(row, row) + problem.ridge * np.eye(size)
        differences[index] = (next_hessian - hessians[index]) / (k + 1)
        row_norms = np.sum(problem.inputs[: k + 1] ** 2, axis=1)
        loss_bound = max(loss_bound, float(np.max(np.abs(losses))))
        gradient_bound = max(gradient_bound, float(np.linalg.norm(sample_gradients[index])))
        hessian_bound = max(hessian_bound, float(np.max(weights * row_norms)) + problem.ridge)
        stationarity = max(stationarity, float(np.linalg.norm(problem.mean_gradient(point, k))))
    return IncrementSequence(
        ks=ks, minimisers=minimisers, value_gaps=value_gaps, sample_gaps=sample_gaps,
        gradients=gradients, sample_gradients=sample_gradients,
        hessian_differences=differences, hessians=hessians, loss_bound=loss_bound,
        gradient_bound=gradient_bound, hessian_bound=hessian_bound, stationarity=stationarity,
    )


def gauss_hermite_criterion(
    increment: object, center: np.ndarray, basis: np.ndarray, sigma: float, nodes: int
) -> float:
    r"""Deterministic :math:`\mathbb E_z[f(w^*+Uz)^2]`, :math:`z\sim\mathcal N(0,\sigma^2I_D)`.

    Tensor-product Gauss–Hermite quadrature with ``nodes`` points per axis: exact when
    :math:`f^2` is a polynomial of degree :math:`\le 2\,\mathrm{nodes}-1` in each
    coordinate (``nodes = 3`` suffices for the quartic :math:`f^2` of a quadratic increment),
    spectrally accurate for smooth :math:`f` (logistic). The direct criterion of Eq. 4
    without Monte Carlo noise, for small :math:`D`.

    Examples
    --------
    :math:`f(w) = w_1`, :math:`\sigma = 2`: :math:`\mathbb E z^2 = 4`.

    >>> round(gauss_hermite_criterion(lambda w: w[:, 0], np.zeros(1), np.eye(1), 2.0, 3), 12)
    4.0
    """
    scale = check_positive(sigma, "sigma")
    abscissae, weights = np.polynomial.hermite_e.hermegauss(nodes)
    weights = weights / np.sqrt(2.0 * np.pi)
    dimension = basis.shape[1]
    grid = np.stack(np.meshgrid(*([abscissae] * dimension), indexing="ij"), -1)
    grid = grid.reshape(-1, dimension)
    grid_weights = np.prod(
        np.stack(np.meshgrid(*([weights] * dimension), indexing="ij"), -1).reshape(-1, dimension),
        axis=1,
    )
    values = np.asarray(increment(center + scale * grid @ basis.T), dtype=np.float64)  # type: ignore[operator]
    return float(grid_weights @ values**2)
