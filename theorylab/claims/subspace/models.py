"""Typed instances of paper 003's searches and the exact quadratic-loss problem they describe.

The hypothesis strategies (:mod:`theorylab.strategies`) draw plain dicts; each probe reads its
dict once through one of the frozen dataclasses below, whose fields keep the values as drawn
(the counterexample ``instance`` written to the JSON is built from the dict itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.numerics import POSITIVE_DEFINITE, classify_definiteness, roundoff_tolerance
from theorylab.solvers.subspace_probing import top_eigenspace
from theorylab.solvers.subspace_sequences import (
    IncrementSequence,
    SequentialProblem,
    make_sequential_problem,
    sequential_increments,
)

__all__ = [
    "CompressedProbe",
    "LossSequenceInstance",
    "ProbeInstance",
    "QuadraticInstance",
    "SpectralInstance",
    "exact_sequence",
    "probe_at_minimiser",
]


class QuadraticInstance:
    """Per-sample quadratic losses with the exact minimiser of :math:`L_k` (if one exists)."""

    def __init__(self, offsets: np.ndarray, linear: np.ndarray, curvatures: np.ndarray) -> None:
        self.offsets, self.linear, self.curvatures = offsets, linear, curvatures
        self.k = offsets.shape[0] - 1
        self.hessian_k = curvatures[: self.k].mean(axis=0)
        self.hessian_next = curvatures.mean(axis=0)
        # strict minimiser: lambda_min(H_k) positive beyond the roundoff margin n eps ||H_k||_2
        self.is_minimiser = classify_definiteness(
            float(np.linalg.eigvalsh(self.hessian_k)[0]),
            roundoff_tolerance(self.hessian_k, symmetric=True)) == POSITIVE_DEFINITE
        self.center = (np.linalg.solve(self.hessian_k, -linear[: self.k].mean(axis=0))
                       if self.is_minimiser else np.zeros(linear.shape[1]))

    def losses(self, points: np.ndarray) -> np.ndarray:
        """Per-sample losses at points ``(R, N)``: shape ``(R, k+1)``."""
        quadratic = 0.5 * np.einsum("rn,inm,rm->ri", points, self.curvatures, points)
        return self.offsets + points @ self.linear.T + quadratic

    def sample_gradients(self, point: np.ndarray) -> np.ndarray:
        """:math:`g_i(w)` for every sample, ``(k+1, N)``."""
        return self.linear + self.curvatures @ point

    def increment(self, points: np.ndarray) -> np.ndarray:
        """The true increment (Eq. 5) at points ``(R, N)``."""
        losses = self.losses(points)
        return (losses[:, self.k] - losses[:, : self.k].mean(axis=1)) / (self.k + 1)

    def coefficients(self) -> tuple[float, np.ndarray, np.ndarray]:
        """``(a_k, g^{(k+1)}(w_k^*), A_k)`` of Eq. 8."""
        gap = float(self.increment(self.center[None, :])[0])
        gradient = self.sample_gradients(self.center).mean(axis=0)
        return gap, gradient, self.hessian_next - self.hessian_k


@dataclass(frozen=True)
class LossSequenceInstance:
    """A :func:`~theorylab.strategies.quadratic_loss_sequences` draw: losses, probe D and σ."""

    offsets: np.ndarray
    linear: np.ndarray
    curvatures: np.ndarray
    probe_dimension: int
    sigma: float

    @classmethod
    def of(cls, instance: Mapping[str, Any]) -> LossSequenceInstance:
        """Read a strategy dict (arrays kept as drawn)."""
        return cls(instance["offsets"], instance["linear"], instance["curvatures"],
                   int(instance["probe_dimension"]), float(instance["sigma"]))

    def problem(self) -> QuadraticInstance:
        """The per-sample quadratic losses as a :class:`QuadraticInstance`."""
        return QuadraticInstance(self.offsets, self.linear, self.curvatures)


@dataclass(frozen=True)
class CompressedProbe:
    """A search instance at the exact minimiser of :math:`L_k`: Eq. 8's terms, top-D frame."""

    problem: QuadraticInstance
    dimension: int
    sigma: float
    basis: np.ndarray
    gap: float
    gradient: np.ndarray
    difference: np.ndarray


def probe_at_minimiser(instance: Mapping[str, Any]) -> CompressedProbe | None:
    """The probe of a :func:`quadratic_loss_sequences` draw; ``None`` when L_k has no minimiser."""
    drawn = LossSequenceInstance.of(instance)
    problem = drawn.problem()
    if not problem.is_minimiser:
        return None
    gap, gradient, difference = problem.coefficients()
    _, basis = top_eigenspace(problem.hessian_k, drawn.probe_dimension)
    return CompressedProbe(problem, drawn.probe_dimension, drawn.sigma, basis, gap, gradient,
                           difference)


def exact_sequence(kind: str, samples: int, dimension: int, rng: np.random.Generator,
                   first: int, last: int) -> tuple[SequentialProblem, IncrementSequence]:
    """A ``kind`` sample stream and its exact coefficients for ``k = first..last``."""
    problem = make_sequential_problem(kind, samples, dimension, rng)
    return problem, sequential_increments(problem, first, last)


@dataclass(frozen=True)
class ProbeInstance:
    """A :func:`~theorylab.strategies.quadratic_probe_instances` draw: ``a``, ``c``, ``B``, σ."""

    value_gap: float
    gradient: np.ndarray
    hessian: np.ndarray
    sigma: float

    @classmethod
    def of(cls, instance: Mapping[str, Any]) -> ProbeInstance:
        """Read a strategy dict (or the check's own random instance)."""
        return cls(float(instance["value_gap"]), np.asarray(instance["gradient"]),
                   np.asarray(instance["hessian"]), float(instance["sigma"]))


@dataclass(frozen=True)
class SpectralInstance:
    """An :func:`~theorylab.strategies.eigenvalue_increment_instances` draw."""

    base_eigenvalues: np.ndarray
    increments: np.ndarray
    dimension: int
    sigma: float
    frame_seed: int

    @classmethod
    def of(cls, instance: Mapping[str, Any]) -> SpectralInstance:
        """Read a strategy dict; ``sigma`` and ``frame_seed`` may be absent (extremality)."""
        return cls(np.asarray(instance["base_eigenvalues"]), np.asarray(instance["increments"]),
                   int(instance["dimension"]), float(instance.get("sigma", 1.0)),
                   int(instance.get("frame_seed", 0)))
