r"""Exact population curvature and Monte Carlo summaries of the generalisation gap (paper 004).

Shared by the models of :mod:`theorylab.solvers.generalization_gap` (which re-exports the
public names): :class:`PopulationCurvature` holds :math:`\theta^*, C, F, H, \Lambda` and the
asymptotic limits of Eq. 1, 4, 5; :class:`GapSimulation` the scaled Monte Carlo means with
their control-variate refinements and standard errors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.errors import ParameterError

__all__ = ["GapSimulation", "PopulationCurvature"]


@dataclass(frozen=True)
class PopulationCurvature:
    r"""Exact population quantities at :math:`\theta^*` and the three asymptotic limits."""

    theta_star: np.ndarray
    gradient_covariance: np.ndarray
    """:math:`C(\theta^*) = \\mathbb{E}[\nabla l_0\nabla l_0^\top]` (unregularised)."""
    fisher: np.ndarray
    hessian: np.ndarray
    regularization: np.ndarray

    @property
    def regularized_covariance(self) -> np.ndarray:
        r""":math:`C_\Lambda = C - \Lambda\theta^*\theta^{*\top}\Lambda` (Eq. 11)."""
        shift = self.regularization @ self.theta_star
        return self.gradient_covariance - np.outer(shift, shift)

    @property
    def regularized_hessian(self) -> np.ndarray:
        r""":math:`H_\Lambda = H + \Lambda` (Eq. 11)."""
        return self.hessian + self.regularization

    def _product(self) -> np.ndarray:
        return np.linalg.solve(self.regularized_hessian, self.regularized_covariance).T

    @property
    def gap_limit(self) -> float:
        r""":math:`\mathrm{Tr}(C_\Lambda H_\Lambda^{-1})` (Eq. 1)."""
        return float(np.trace(self._product()))

    @property
    def parameter_error_limit(self) -> float:
        r""":math:`\mathrm{Tr}(C_\Lambda H_\Lambda^{-2})` (Eq. 4)."""
        inverse = np.linalg.inv(self.regularized_hessian)
        return float(np.trace(self.regularized_covariance @ inverse @ inverse))

    @property
    def l2_error_limit(self) -> float:
        r""":math:`\mathrm{Tr}((C_\Lambda H_\Lambda^{-1})^2)` (Eq. 5)."""
        product = self._product()
        return float(np.trace(product @ product))


@dataclass(frozen=True)
class GapSimulation:
    r"""Monte Carlo means and standard errors of the scaled gap, parameter and L2 errors.

    Scaled means :math:`n\,\mathrm{Gap}`, :math:`n\|\Delta\theta\|^2`,
    :math:`n\|\Delta l\|^2_{L_2}`.

    The gap is averaged as :math:`\mathrm{Gap} - (L(\theta^*) - L_n(\theta^*))`: the
    subtracted control variate has expectation exactly 0 (:math:`\theta^*` is fixed), so the
    mean is unbiased for :math:`\mathbb{E}[\mathrm{Gap}]` while its :math:`O(n^{-1/2})`
    fluctuation is removed.
    """

    samples: int
    repetitions: int
    scaled_gap: float
    scaled_gap_stderr: float
    scaled_gap_refined: float
    r"""Mean of :math:`n\,\mathrm{Gap} - (n g^\top H_\Lambda^{-1}g
    - \mathrm{Tr}(C_\Lambda H_\Lambda^{-1}))`,
    :math:`g = \nabla L_{\kappa,n}(\theta^*)`: a second zero-mean control variate
    (:math:`\mathbb{E}[n g^\top H_\Lambda^{-1} g] = \mathrm{Tr}(C_\Lambda H_\Lambda^{-1})`
    exactly), which removes the leading :math:`O(1)` fluctuation of :math:`n\,\mathrm{Gap}`."""
    scaled_gap_refined_stderr: float
    scaled_parameter_error: float
    scaled_parameter_error_stderr: float
    scaled_parameter_error_refined: float
    scaled_parameter_error_refined_stderr: float
    scaled_l2_error: float
    scaled_l2_error_stderr: float
    scaled_l2_error_refined: float
    r"""As ``scaled_gap_refined`` with :math:`M = H_\Lambda^{-1}C_\Lambda H_\Lambda^{-1}` (Eq. 5);
    the parameter error uses :math:`M = H_\Lambda^{-2}` (Eq. 4)."""
    scaled_l2_error_refined_stderr: float
    max_gradient_norm: float
    """Largest training-gradient norm at :math:`\\hat\theta` (optimisation residual)."""


def _summary(
    samples: int,
    gap: np.ndarray,
    score: np.ndarray,
    pop: PopulationCurvature,
    param: np.ndarray,
    l2: np.ndarray,
    residual: float,
) -> GapSimulation:
    reps = gap.shape[0]
    inverse = np.linalg.inv(pop.regularized_hessian)
    covariance = pop.regularized_covariance
    refined_values = []
    for values, weight in (
        (gap, inverse),
        (param, inverse @ inverse),
        (l2, inverse @ covariance @ inverse),
    ):
        quadratic = np.einsum("ri,ij,rj->r", score, weight, score)
        refined_values.append(values - (quadratic - np.trace(weight @ covariance) / samples))
    stats = []
    for values in (gap, refined_values[0], param, refined_values[1], l2, refined_values[2]):
        scaled = samples * values
        stats += [float(scaled.mean()), float(scaled.std(ddof=1) / np.sqrt(reps))]
    return GapSimulation(samples, reps, *stats, max_gradient_norm=residual)


def _check_sizes(samples: int, repetitions: int, minimum: int) -> None:
    for value, name, low in ((samples, "samples", minimum), (repetitions, "repetitions", 2)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ParameterError(f"{name} must be an int >= {low}, got {value!r}")
