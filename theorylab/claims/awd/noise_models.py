r"""Small exact models for paper 001's numerical checks (per-sample gradients and Hessians).

* :class:`SoftmaxRegression` — multinomial logistic regression
  :math:`\ell_s(W) = -\log\mathrm{softmax}(Wx_s)_{y_s}`: exact per-sample gradients
  :math:`(p-e_y)\otimes x` and Hessians :math:`(\mathrm{diag}\,p - pp^\top)\otimes xx^\top`
  (PSD, rank :math:`\le K-1`), parameters flattened row-major.
* :func:`perturbed_gradient_noise` — direct Monte Carlo of the minibatch gradient noise under
  isotropic per-sample weight perturbations (Lemma 3.3 / Theorem 3.4's model), antithetic.
* :func:`rank_one_ensemble` / :func:`cluster_population` — per-sample Hessian ensembles for
  Remark 3.5 (a sign-symmetric one and a two-cluster one, population moments exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.errors import ParameterError
from theorylab.solvers.awd_coupling import haar_orthogonal

__all__ = [
    "GradientNoiseEstimate",
    "SoftmaxRegression",
    "cluster_population",
    "perturbed_gradient_noise",
    "rank_one_ensemble",
]


@dataclass(frozen=True)
class SoftmaxRegression:
    """Inputs ``(n, d)``, integer labels ``(n,)`` in ``0..K-1``; parameters ``W (K, d)``."""

    inputs: np.ndarray
    labels: np.ndarray
    classes: int

    @classmethod
    def random(
        cls, samples: int, features: int, classes: int, rng: np.random.Generator
    ) -> SoftmaxRegression:
        """Gaussian inputs scaled to unit expected norm, uniform labels."""
        inputs = rng.standard_normal((samples, features)) / np.sqrt(features)
        return cls(inputs, rng.integers(0, classes, samples), classes)

    @property
    def parameters(self) -> int:
        """:math:`p = Kd`."""
        return self.classes * self.inputs.shape[1]

    def probabilities(self, weights: np.ndarray) -> np.ndarray:
        """Softmax outputs for flat ``weights`` of shape ``(..., p)``: ``(..., n, K)``."""
        matrix = weights.reshape(*weights.shape[:-1], self.classes, self.inputs.shape[1])
        logits = np.einsum("...kd,nd->...nk", matrix, self.inputs)
        logits -= logits.max(axis=-1, keepdims=True)
        exponentials = np.exp(logits)
        return exponentials / exponentials.sum(axis=-1, keepdims=True)

    def gradients(self, weights: np.ndarray, samples: np.ndarray) -> np.ndarray:
        r"""Per-sample gradients at per-sample weights ``(m, p)`` for sample indices ``(m,)``."""
        matrix = weights.reshape(-1, self.classes, self.inputs.shape[1])
        x = self.inputs[samples]
        logits = np.einsum("mkd,md->mk", matrix, x)
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        probabilities[np.arange(samples.size), self.labels[samples]] -= 1.0
        return np.einsum("mk,md->mkd", probabilities, x).reshape(samples.size, -1)

    def hessians(self, weights: np.ndarray) -> np.ndarray:
        r"""Per-sample Hessians :math:`(\mathrm{diag}\,p - pp^\top)\otimes xx^\top`, ``(n,p,p)``."""
        probabilities = self.probabilities(weights)
        output = np.einsum("nk,kl->nkl", probabilities, np.eye(self.classes)) - np.einsum(
            "nk,nl->nkl", probabilities, probabilities
        )
        inner = np.einsum("ni,nj->nij", self.inputs, self.inputs)
        blocks = np.einsum("nkl,nij->nkilj", output, inner)
        return blocks.reshape(self.inputs.shape[0], self.parameters, self.parameters)


@dataclass(frozen=True)
class GradientNoiseEstimate:
    """Monte Carlo covariances of the full and linearised noise, with batch-means stderr."""

    covariance: np.ndarray
    linear_covariance: np.ndarray
    linear_stderr: np.ndarray
    draws: int


def perturbed_gradient_noise(
    model: SoftmaxRegression,
    weights: np.ndarray,
    weight_std: float,
    batch_size: int,
    draws: int,
    rng: np.random.Generator,
    groups: int = 20,
) -> GradientNoiseEstimate:
    r"""Direct Monte Carlo of :math:`\xi = \frac1b\sum_{s\in B}[g_s(w+\delta w_s) - g_s(w)]`.

    Batches are drawn uniformly with replacement; each slot has its own
    :math:`\delta w_s\sim\mathcal N(0,\sigma_w^2 I)`. Draws come in antithetic pairs
    (:math:`\pm\delta w`, same batch), so odd-order Taylor terms cancel exactly in the
    second moment. The linearised noise :math:`\frac1b\sum H_s\delta w_s` uses the same draws;
    its stderr comes from ``groups`` batch means.
    """
    if draws % (2 * groups):
        raise ParameterError(f"draws must be a multiple of 2 * groups = {2 * groups}")
    half = draws // 2
    hessians = model.hessians(weights)
    indices = rng.integers(0, model.inputs.shape[0], (half, batch_size))
    noise = weight_std * rng.standard_normal((half, batch_size, model.parameters))
    flat_indices = np.concatenate([indices.ravel(), indices.ravel()])
    flat_noise = np.concatenate([noise, -noise]).reshape(-1, model.parameters)
    base = model.gradients(np.broadcast_to(weights, flat_noise.shape), flat_indices)
    moved = model.gradients(weights + flat_noise, flat_indices)
    full = (moved - base).reshape(draws, batch_size, -1).mean(axis=1)
    linear = (
        np.einsum("mpq,mq->mp", hessians[flat_indices], flat_noise)
        .reshape(draws, batch_size, -1)
        .mean(axis=1)
    )

    def second_moment(values: np.ndarray) -> np.ndarray:
        centred = values - values.mean(axis=0)
        return centred.T @ centred / (values.shape[0] - 1)

    grouped = np.stack(
        [
            second_moment(np.concatenate([part, -part]))
            for part in np.array_split(linear[:half], groups)
        ]
    )
    return GradientNoiseEstimate(
        covariance=second_moment(full),
        linear_covariance=second_moment(linear),
        linear_stderr=grouped.std(axis=0, ddof=1) / np.sqrt(groups),
        draws=draws,
    )


def rank_one_ensemble(
    samples: int, spectrum: np.ndarray, rng: np.random.Generator, shape: float = 4.0
) -> np.ndarray:
    r"""A sign-symmetric ensemble :math:`H_s = \lambda_s x_sx_s^\top`.

    :math:`x_s\sim\mathcal N(0,\mathrm{diag}(s))`, :math:`\lambda_s\sim\mathrm{Gamma}(k, 1)`
    independent.
    """
    vectors = rng.standard_normal((samples, spectrum.size)) * np.sqrt(spectrum)
    magnitudes = rng.gamma(shape, 1.0, samples)
    return magnitudes[:, None, None] * np.einsum("si,sj->sij", vectors, vectors)


def cluster_population(
    size: int, rng: np.random.Generator, scales: tuple[float, float] = (1.0, 3.0)
) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact population :math:`H = \mathbb{E}H_s`, :math:`C = \mathbb{E}H_s^2` (two clusters).

    Cluster :math:`c` (probability 1/2): :math:`H_s = \lambda_c xx^\top`,
    :math:`x\sim\mathcal N(0,\Sigma_c)`, :math:`\Sigma_c = Q_c\,\mathrm{diag}(1/k)\,Q_c^\top` with
    independent Haar :math:`Q_c`; Gaussian moments give
    :math:`\mathbb{E}(xx^\top)^2 = \mathrm{tr}(\Sigma)\Sigma + 2\Sigma^2`.
    """
    spectrum = 1.0 / np.arange(1, size + 1)
    hessian = np.zeros((size, size))
    covariance = np.zeros((size, size))
    for scale in scales:
        frame = haar_orthogonal(size, rng)
        sigma = (frame * spectrum) @ frame.T
        hessian += 0.5 * scale * sigma
        covariance += 0.5 * scale**2 * (np.trace(sigma) * sigma + 2.0 * sigma @ sigma)
    return hessian, covariance
