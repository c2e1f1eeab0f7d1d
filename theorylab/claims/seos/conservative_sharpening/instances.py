"""Random and exact instances of the quadratic regression model, and their error scale."""

from __future__ import annotations

import numpy as np

from theorylab.solvers.quadratic_regression import (
    eigenvalue_derivatives_formula,
    exact_eigenvalue_derivatives,
)

__all__ = ["closed_form_error", "exact_pair", "magnitude", "random_instance", "relative"]


def random_instance(rng: np.random.Generator, max_size: int) -> dict[str, object]:
    """A random model: ``D, P <= max_size``, any mode and B, heterogeneous V_gamma, V_z."""
    size = int(rng.integers(1, max_size + 1))
    parameters = int(rng.integers(1, max_size + 1))
    return {
        "jacobian": rng.standard_normal((size, parameters)),
        "mode": int(rng.integers(0, min(size, parameters))),
        "batch_size": int(rng.integers(1, size + 1)),
        "learning_rate": float(rng.uniform(0.1, 1.5)),
        "curvature_variances": rng.uniform(0.0, 2.0, size),
        "residual_variance": float(rng.uniform(0.2, 2.0)),
    }


def exact_pair(instance: dict[str, object]) -> tuple[float, float, float, float]:
    """Brute-force (E[Δ1λ̂], gap) and the closed forms (Eq. 16, corrected gap)."""
    arguments = {key: value for key, value in instance.items() if key != "batch_size"}
    small = exact_eigenvalue_derivatives(batch_size=instance["batch_size"], **arguments)
    full = exact_eigenvalue_derivatives(batch_size=len(instance["jacobian"]), **arguments)
    first, gap = eigenvalue_derivatives_formula(batch_size=instance["batch_size"], **arguments)
    return small.first, small.second - full.second, first, gap


def magnitude(instance: dict[str, object]) -> float:
    """The size of the terms the moments are built from, to put round-off of zero on scale."""
    eta = float(instance["learning_rate"])
    jacobian = np.asarray(instance["jacobian"], dtype=float)
    variance = 1.0 + float(np.max(instance.get("curvature_variances", 1.0)))
    noise = 1.0 + float(instance.get("residual_variance", 1.0))
    return (eta**2 + eta**3) * (1 + np.sum(jacobian**2)) ** 2 * jacobian.shape[1] * variance * noise


def relative(actual: float, expected: float, magnitude: float = 1.0) -> float:
    """Relative error, floored at 1e-3 of the problem's magnitude (where the value is ~0)."""
    return abs(actual - expected) / max(abs(expected), 1e-3 * magnitude)


def closed_form_error(instance: dict[str, object]) -> float:
    """Worst relative error of the closed forms (Eq. 16, corrected gap) against enumeration."""
    first, gap, first_formula, gap_formula = exact_pair(instance)
    scale = magnitude(instance)
    return max(relative(first, first_formula, scale), relative(gap, gap_formula, scale))
