"""Immutable, typed results of the curvature estimators, each carrying its own uncertainty.

Every result records how many operator products (``matvecs``) it cost and the ``seed`` that
makes it reproducible (``None`` for deterministic computations).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["EigenResult", "SpectralDensityResult", "TraceResult"]


@dataclass(frozen=True)
class TraceResult:
    r"""An estimate of :math:`\operatorname{Tr}(A)` (or :math:`\operatorname{Tr} f(A)`).

    Attributes
    ----------
    value
        The estimate.
    stderr
        Standard error of the estimate (0 for exact methods, which carry round-off only).
    matvecs
        Operator products used (per-sample gradients count as ``0``; see ``samples``).
    samples
        Probe vectors (stochastic methods) or data samples (exact methods) used.
    method
        ``"exact"``, ``"hutchinson"``, ``"hutch++"`` or ``"slq"``.
    seed
        Seed of the probe generator, ``None`` for exact methods.
    """

    value: float
    stderr: float
    matvecs: int
    samples: int
    method: str
    seed: int | None = None

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class EigenResult:
    r"""Eigenpairs :math:`A v_i = \lambda_i v_i`, eigenvalues in descending order.

    Attributes
    ----------
    eigenvalues
        Shape ``(k,)``, descending.
    eigenvectors
        Shape ``(p, k)``, orthonormal columns.
    residuals
        :math:`\|A v_i - \lambda_i v_i\|_2`, shape ``(k,)``, computed with explicit products.
    matvecs
        Operator products used, including the ``k`` for the residuals.
    method
        ``"lanczos (full reorthogonalisation)"``, ``"lanczos (partial
        reorthogonalisation)"`` or ``"power"``.
    converged
        Whether every relative residual :math:`\|Av-\lambda v\|/|\lambda|` met the tolerance.
    seed
        Seed of the start vector.
    """

    eigenvalues: torch.Tensor
    eigenvectors: torch.Tensor
    residuals: torch.Tensor
    matvecs: int
    method: str
    converged: bool
    seed: int | None = None

    @property
    def relative_residuals(self) -> torch.Tensor:
        r""":math:`\|A v_i - \lambda_i v_i\| / |\lambda_i|` (``inf`` where the eigenvalue is 0)."""
        return self.residuals / self.eigenvalues.abs()


@dataclass(frozen=True)
class SpectralDensityResult:
    r"""A Gaussian-smoothed spectral density from stochastic Lanczos quadrature.

    :math:`\phi(t) = \frac{1}{p}\sum_i \mathcal{N}(t; \lambda_i, \sigma^2)` is estimated by
    averaging the Gauss quadrature rules (nodes, weights) of each probe.

    Attributes
    ----------
    grid, density
        Evaluation points and density values, shape ``(m,)``; ``density`` integrates to ~1.
    nodes, weights
        Ritz values and quadrature weights per probe, shape ``(probes, steps)``; weights of
        each probe sum to 1.
    stderr
        Pointwise standard error of ``density`` over probes.
    matvecs, seed
        Cost and reproducibility.
    bandwidth
        The smoothing width :math:`\sigma` used (the resolution of ``density``); the grid
        spans the nodes of positive weight :math:`\pm 3\sigma`.
    """

    grid: torch.Tensor
    density: torch.Tensor
    nodes: torch.Tensor
    weights: torch.Tensor
    stderr: torch.Tensor
    matvecs: int
    seed: int | None
    bandwidth: float
