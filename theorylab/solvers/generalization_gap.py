r"""Models with exactly known :math:`\theta^*, C, F, H` and Monte Carlo of the gap (paper 004).

Conventions (paper 004, Sec. 2): :math:`l_\kappa(\theta; z) = -\log q(z\mid\theta) +
\tfrac12\theta^\top\Lambda\theta` in *every* sample loss, :math:`L_\kappa` the training mean,
:math:`\mathrm{Gap} = \mathbb{E}_z[l_\kappa(\hat\theta; z)] - L_\kappa(\hat\theta)`;
:math:`C, F, H` unregularised, :math:`C_\Lambda = C - \Lambda\theta^*\theta^{*\top}\Lambda`,
:math:`H_\Lambda = H + \Lambda` (Prop. G.1). The asymptotic limits (Eq. 1, 4, 5) are

.. math::
    n\mathbb{E}[\mathrm{Gap}] \to \mathrm{Tr}(C_\Lambda H_\Lambda^{-1}),\quad
    n\mathbb{E}\|\hat\theta-\theta^*\|^2 \to \mathrm{Tr}(C_\Lambda H_\Lambda^{-2}),\quad
    n\mathbb{E}\|\hat l-l^*\|^2_{L_2} \to \mathrm{Tr}((C_\Lambda H_\Lambda^{-1})^2).

Both models are simulated through sufficient statistics, so one draw costs
:math:`O(d^3)` whatever ``n`` is: the Gaussian design through a Wishart draw of
:math:`X^\top X`, the finite-support Bernoulli model through multinomial cell counts. The
population quantities and the Monte Carlo summary they share are in
:mod:`theorylab.solvers.generalization_gap_summary` (re-exported here).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import wishart

from theorylab.arrays import as_matrix, as_psd, as_vector, check_positive
from theorylab.errors import ParameterError, ShapeError
from theorylab.numerics import roundoff_tolerance
from theorylab.solvers.generalization_gap_summary import (
    GapSimulation,
    PopulationCurvature,
    _check_sizes,
    _summary,
)
from theorylab.solvers.soft_rank import regularizer_matrix

__all__ = [
    "FiniteBernoulliModel",
    "GapSimulation",
    "LinearGaussianRidge",
    "PopulationCurvature",
]

NEWTON_STEPS = 40


class LinearGaussianRidge:
    r"""Gaussian linear model with ridge.

    :math:`x\sim\mathcal N(0,\Sigma)`, :math:`y = x^\top\beta+\varepsilon`.

    The model is :math:`q(y\mid x,\theta) = \mathcal N(x^\top\theta, s^2)` with fixed
    ``model_std`` :math:`s`; :math:`\varepsilon\sim\mathcal N(0,\sigma^2)`. Calibrated
    (well specified) iff :math:`s = \sigma` and :math:`\Lambda \to 0`. Closed forms:
    :math:`\theta^* = (\Sigma/s^2+\Lambda)^{-1}\Sigma\beta/s^2`, :math:`F = H = \Sigma/s^2`,
    :math:`C = [(\sigma^2+\delta^\top\Sigma\delta)\Sigma + 2\Sigma\delta\delta^\top\Sigma]/s^4`,
    :math:`\delta = \beta-\theta^*` (Isserlis).

    Examples
    --------
    >>> model = LinearGaussianRidge(np.eye(1), [0.0], 1.0, 1.0, 1.0)
    >>> model.population().gap_limit  # C = 1, H_Λ = 2
    0.5
    """

    def __init__(
        self,
        input_covariance: object,
        beta: object,
        noise_std: float,
        model_std: float,
        regularization: object,
    ) -> None:
        self.sigma_x = as_psd(input_covariance, "input_covariance")
        size = self.sigma_x.shape[0]
        smallest = float(np.linalg.eigvalsh(self.sigma_x)[0])
        if smallest <= roundoff_tolerance(self.sigma_x, symmetric=True):  # singular within it
            raise ParameterError(
                "input_covariance must be positive definite beyond roundoff, "
                f"smallest eigenvalue {smallest:.3g}"
            )
        self.beta = as_vector(beta, "beta", length=size)
        self.noise_std = check_positive(noise_std, "noise_std")
        self.model_std = check_positive(model_std, "model_std")
        self.lam = regularizer_matrix(regularization, size)

    def population(self) -> PopulationCurvature:
        r"""Exact :math:`\theta^*, C, F, H` (closed forms above)."""
        s2 = self.model_std**2
        hessian = self.sigma_x / s2
        theta = np.linalg.solve(hessian + self.lam, self.sigma_x @ self.beta / s2)
        delta = self.beta - theta
        moment = self.noise_std**2 + delta @ self.sigma_x @ delta
        shift = self.sigma_x @ delta
        covariance = (moment * self.sigma_x + 2.0 * np.outer(shift, shift)) / s2**2
        return PopulationCurvature(theta, covariance, hessian.copy(), hessian, self.lam)

    def simulate(self, samples: int, repetitions: int, rng: np.random.Generator) -> GapSimulation:
        r"""Monte Carlo of Gap, parameter and L2 errors over ``repetitions`` training sets."""
        size = self.beta.shape[0]
        _check_sizes(samples, repetitions, size + 1)
        pop = self.population()
        s2, sigma = self.model_std**2, self.noise_std
        gram = wishart.rvs(df=samples, scale=self.sigma_x, size=repetitions, random_state=rng)
        gram = np.asarray(gram).reshape(repetitions, size, size)
        cross = sigma * np.einsum(
            "rij,rj->ri", np.linalg.cholesky(gram), rng.standard_normal((repetitions, size))
        )
        outside = sigma**2 * rng.chisquare(samples - size, repetitions)
        system = gram / (samples * s2) + self.lam
        rhs = (np.einsum("rij,j->ri", gram, self.beta) + cross) / (samples * s2)
        theta_hat = np.linalg.solve(system, rhs[..., None])[..., 0]
        u = self.beta - theta_hat
        projected = np.einsum("ri,ri->r", cross, np.linalg.solve(gram, cross[..., None])[..., 0])
        train_sq = (
            np.einsum("ri,rij,rj->r", u, gram, u)
            + 2 * np.einsum("ri,ri->r", u, cross)
            + projected
            + outside
        ) / samples
        pop_sq = np.einsum("ri,ij,rj->r", u, self.sigma_x, u) + sigma**2
        change = theta_hat - pop.theta_star
        delta = self.beta - pop.theta_star
        # control variate with mean exactly 0: L(θ*) - L_n(θ*) (θ* does not depend on the data)
        star_train = (
            np.einsum("i,rij,j->r", delta, gram, delta) + 2 * cross @ delta + projected + outside
        ) / samples
        star_pop = delta @ self.sigma_x @ delta + sigma**2
        gap = (pop_sq - train_sq - (star_pop - star_train)) / (2 * s2)
        s_uu = np.einsum("ri,ij,rj->r", change, self.sigma_x, change)
        s_ub = change @ self.sigma_x @ delta
        s_bb = delta @ self.sigma_x @ delta + sigma**2
        quad = 3 * s_uu**2 - 12 * s_uu * s_ub + 4 * (s_uu * s_bb + 2 * s_ub**2)
        shift = 0.5 * (
            np.einsum("ri,ij,rj->r", theta_hat, self.lam, theta_hat)
            - pop.theta_star @ self.lam @ pop.theta_star
        )
        l2 = quad / (4 * s2**2) + shift * (s_uu - 2 * s_ub) / s2 + shift**2
        gradient = (
            np.einsum("rij,rj->ri", gram, theta_hat)
            - np.einsum("rij,j->ri", gram, self.beta)
            - cross
        ) / (samples * s2) + theta_hat @ self.lam
        residual = float(np.max(np.linalg.norm(gradient, axis=1)))
        score = (
            -(np.einsum("rij,j->ri", gram, delta) + cross) / (samples * s2)
            + self.lam @ pop.theta_star
        )
        return _summary(samples, gap, score, pop, np.sum(change**2, axis=1), l2, residual)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * values))


def _softplus(values: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, values)


class FiniteBernoulliModel:
    r"""Bernoulli model on a finite input support, exact population sums (paper 004, Sec. 2).

    Inputs :math:`x_j` (rows of ``atoms``, probabilities ``weights``), true
    :math:`P(y=1\mid x_j) = p_j`. Logit
    :math:`\mathcal N_\theta(x_j) = o_j + x_j^\top\theta + \tfrac12 c_j\|\theta\|^2`
    (``offsets`` :math:`o`, ``curvatures`` :math:`c`; both 0 is logistic regression, for which
    :math:`H = F` always). Loss :math:`\mathrm{softplus}(\mathcal N) - y\mathcal N +
    \frac12\theta^\top\Lambda\theta`; :math:`J_j = x_j + c_j\theta`,
    :math:`\nabla^2\mathcal N_j = c_j I`, so

    .. math::
        F = \sum_j w_j\sigma'_j J_jJ_j^\top,\quad
        H = F + \sum_j w_j(\sigma_j-p_j)c_j I,\quad
        C = \sum_j w_j\,\mathbb{E}[(\sigma_j-y)^2\mid x_j]\,J_jJ_j^\top .

    Examples
    --------
    >>> model = FiniteBernoulliModel([[1.0]], [1.0], [0.5], regularization=1.0)
    >>> model.population().gap_limit  # theta* = 0, C = F = 1/4, H_Λ = 5/4
    0.2
    """

    def __init__(
        self,
        atoms: object,
        weights: object,
        label_probabilities: object,
        *,
        regularization: object,
        offsets: object = None,
        curvatures: object = None,
        start: object = None,
    ) -> None:
        self.atoms = as_matrix(atoms, "atoms")
        count, size = self.atoms.shape
        self.weights = as_vector(weights, "weights", length=count)
        self.p = as_vector(label_probabilities, "label_probabilities", length=count)
        if np.any(self.weights < 0) or abs(self.weights.sum() - 1.0) > 1e-12:
            raise ParameterError("weights must be non-negative and sum to 1")
        if np.any((self.p < 0) | (self.p > 1)):
            raise ParameterError("label_probabilities must lie in [0, 1]")
        zeros = np.zeros(count)
        self.offsets = zeros if offsets is None else as_vector(offsets, "offsets", length=count)
        self.curvatures = (
            zeros if curvatures is None else as_vector(curvatures, "curvatures", length=count)
        )
        self.lam = regularizer_matrix(regularization, size)
        self._start = np.zeros(size) if start is None else as_vector(start, "start", length=size)
        self._theta_star = self._newton(
            self.weights[None], (self.weights * self.p)[None], self._start[None]
        )[0][0]

    def logits(self, theta: np.ndarray) -> np.ndarray:
        """Logits ``(r, m)`` for parameters ``theta`` of shape ``(r, d)``."""
        norms = np.sum(theta**2, axis=-1, keepdims=True)
        return self.offsets + theta @ self.atoms.T + 0.5 * self.curvatures * norms

    def _newton(
        self, mass: np.ndarray, positives: np.ndarray, theta: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """Minimise the count-weighted loss plus ridge per row by Newton's method."""
        theta = theta.copy()
        for _ in range(NEWTON_STEPS):
            gradient, hessian = self._derivatives(mass, positives, theta)
            step = np.linalg.solve(hessian, gradient[..., None])[..., 0]
            theta -= step
            if np.max(np.abs(step)) < 1e-14:
                break
        gradient, _ = self._derivatives(mass, positives, theta)
        return theta, float(np.max(np.linalg.norm(gradient, axis=-1)))

    def _derivatives(
        self, mass: np.ndarray, positives: np.ndarray, theta: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        prob = _sigmoid(self.logits(theta))
        jac = self.atoms[None] + self.curvatures[None, :, None] * theta[:, None, :]
        residual = mass * prob - positives
        gradient = np.einsum("rj,rjd->rd", residual, jac) + theta @ self.lam
        weight = mass * prob * (1 - prob)
        hessian = (
            np.einsum("rj,rjd,rje->rde", weight, jac, jac)
            + np.einsum("rj,j->r", residual, self.curvatures)[:, None, None]
            * np.eye(theta.shape[1])
            + self.lam
        )
        return gradient, hessian

    def population(self) -> PopulationCurvature:
        r"""Exact :math:`\theta^*, C, F, H` by finite sums at the Newton minimiser."""
        return self.curvature_at(self._theta_star)

    def curvature_at(self, theta: object) -> PopulationCurvature:
        r"""Exact :math:`C(\theta), F(\theta), H(\theta)` (unregularised) at any ``theta``."""
        theta = as_vector(theta, "theta", length=self.atoms.shape[1])
        prob = _sigmoid(self.logits(theta[None])[0])
        jac = self.atoms + self.curvatures[:, None] * theta[None]
        outer = np.einsum("jd,je->jde", jac, jac)
        fisher = np.einsum("j,jde->de", self.weights * prob * (1 - prob), outer)
        second = self.p * (1 - prob) ** 2 + (1 - self.p) * prob**2
        covariance = np.einsum("j,jde->de", self.weights * second, outer)
        hessian = fisher + np.sum(self.weights * (prob - self.p) * self.curvatures) * np.eye(
            theta.size
        )
        return PopulationCurvature(theta, covariance, fisher, hessian, self.lam)

    def _losses(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-cell losses ``(r, m)`` for y = 0 and y = 1, regulariser included."""
        logits = self.logits(theta)
        ridge = 0.5 * np.einsum("rd,de,re->r", theta, self.lam, theta)[:, None]
        return _softplus(logits) + ridge, _softplus(logits) - logits + ridge

    def simulate(self, samples: int, repetitions: int, rng: np.random.Generator) -> GapSimulation:
        r"""Monte Carlo of Gap, parameter and :math:`L_2` errors via multinomial cell counts."""
        _check_sizes(samples, repetitions, 1)
        count = self.atoms.shape[0]
        cells = np.concatenate([self.weights * (1 - self.p), self.weights * self.p])
        counts = rng.multinomial(samples, cells, size=repetitions) / samples
        negatives, positives = counts[:, :count], counts[:, count:]
        start = np.repeat(self._theta_star[None], repetitions, axis=0)
        theta_hat, residual = self._newton(negatives + positives, positives, start)
        loss0, loss1 = self._losses(theta_hat)
        population = loss0 @ (self.weights * (1 - self.p)) + loss1 @ (self.weights * self.p)
        train = np.sum(negatives * loss0 + positives * loss1, axis=1)
        star0, star1 = self._losses(self._theta_star[None])
        # control variate with mean exactly 0: L(θ*) - L_n(θ*) (θ* does not depend on the data)
        star_population = star0[0] @ (self.weights * (1 - self.p)) + star1[0] @ (
            self.weights * self.p
        )
        star_train = negatives @ star0[0] + positives @ star1[0]
        l2 = ((loss0 - star0) ** 2) @ (self.weights * (1 - self.p)) + ((loss1 - star1) ** 2) @ (
            self.weights * self.p
        )
        change = np.sum((theta_hat - self._theta_star) ** 2, axis=1)
        if not np.all(np.isfinite(theta_hat)):
            raise ShapeError("Newton diverged on some training sets; use larger samples")
        pop = self.population()
        prob = _sigmoid(self.logits(self._theta_star[None])[0])
        jac = self.atoms + self.curvatures[:, None] * self._theta_star[None]
        score = ((negatives + positives) * prob - positives) @ jac + self.lam @ self._theta_star
        gap = population - train - (star_population - star_train)
        return _summary(samples, gap, score, pop, change, l2, residual)
