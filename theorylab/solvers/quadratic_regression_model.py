r"""The quadratic regression model of paper 002 (Sec. 3, Eq. 12-13): its building blocks.

Residuals :math:`z(\theta) = z_0 + J_0\theta + \tfrac12 Q[\theta,\theta]`, Jacobian
:math:`J(\theta) = J_0 + Q[\theta,\cdot]`, curvature :math:`Q = \sum_\gamma w_\gamma\otimes
M_\gamma` (``w_γ`` the left singular vectors of :math:`J_0`), minibatch selections :math:`P_t`
diagonal with exactly ``B`` ones. This module holds the pieces shared by the three routes to
the expected eigenvalue derivatives in :mod:`theorylab.solvers.quadratic_regression`: the
singular triples, the curvature tensor (given or Gaussian), the minibatch masks, one SGD step
and the input validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np

from theorylab.arrays import as_matrix, as_vector, check_positive
from theorylab.errors import ParameterError, ShapeError

__all__ = [
    "EigenvalueDerivatives",
    "minibatch_masks",
    "quadratic_model_curvature",
    "random_quadratic_curvature",
    "singular_triples",
]


@dataclass(frozen=True)
class EigenvalueDerivatives:
    r"""Expected first and second discrete derivatives at ``t = 0`` (Eq. 15-17).

    Attributes
    ----------
    first:
        :math:`\mathbb{E}[\Delta_1\hat\lambda_{\alpha,0}]`.
    second:
        :math:`\mathbb{E}[\Delta_2\hat\sigma_{\alpha,0}]`.
    first_stderr, second_stderr:
        Monte Carlo standard errors (0 for exact routes).
    samples:
        Trajectories evaluated (enumerated or simulated).
    """

    first: float
    second: float
    first_stderr: float = 0.0
    second_stderr: float = 0.0
    samples: int = 0


def singular_triples(jacobian: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Full left basis ``W`` (D×D), singular values (length D, zero-padded), ``V^T`` rows.

    Examples
    --------
    >>> left, values, right_t = singular_triples([[2.0, 0.0], [0.0, 1.0]])
    >>> values.tolist()
    [2.0, 1.0]
    """
    matrix = as_matrix(jacobian, "jacobian")
    left, values, right_t = np.linalg.svd(matrix, full_matrices=True)
    padded = np.zeros(matrix.shape[0])
    padded[: values.size] = values
    return left, padded, right_t


def quadratic_model_curvature(
    left: object, blocks: object, variances: object | None = None
) -> np.ndarray:
    r"""Eq. 13: :math:`Q = \sum_\gamma w_\gamma \otimes (\sqrt{V_\gamma}\,M_\gamma)`, (D, P, P).

    ``blocks`` holds the unit-variance symmetric matrices :math:`M_\gamma` (shape (D, P, P)).
    """
    basis = as_matrix(left, "left singular vectors")
    stack = np.asarray(blocks, dtype=float)
    if stack.ndim != 3 or stack.shape[0] != basis.shape[1] or stack.shape[1] != stack.shape[2]:
        raise ShapeError(f"blocks must have shape (D, P, P), got {stack.shape}")
    if variances is not None:
        scale = np.sqrt(as_vector(variances, "variances", length=stack.shape[0]))
        stack = stack * scale[:, None, None]
    return np.einsum("dg,gpq->dpq", basis, stack)


def minibatch_masks(size: int, batch_size: int) -> np.ndarray:
    """Every diagonal of ``P`` with exactly ``B`` ones, as rows (C(D, B), D).

    Examples
    --------
    >>> minibatch_masks(3, 2).tolist()
    [[1.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]
    """
    _check_batch(size, batch_size)
    subsets = list(combinations(range(size), batch_size))
    masks = np.zeros((len(subsets), size))
    for row, subset in enumerate(subsets):
        masks[row, list(subset)] = 1.0
    return masks


def random_quadratic_curvature(
    left: np.ndarray, variances: np.ndarray, parameters: int, rng: np.random.Generator
) -> np.ndarray:
    r"""Eq. 13 with Gaussian blocks, batched over leading axes.

    :math:`Q = \sum_\gamma w_\gamma\otimes\sqrt{V_\gamma}M_\gamma`, :math:`M_\gamma` symmetric
    with i.i.d. standard normal entries (diagonal included).

    ``left`` (..., D, D) holds the left singular vectors as columns, ``variances`` (..., D) the
    :math:`V_\gamma`; the leading axes broadcast. Returns (..., D, P, P).

    Examples
    --------
    >>> q = random_quadratic_curvature(np.eye(2), np.ones((5, 2)), 3, np.random.default_rng(0))
    >>> q.shape, bool(np.allclose(q, np.swapaxes(q, -1, -2)))
    ((5, 2, 3, 3), True)
    """
    variances = np.asarray(variances, dtype=float)
    if not np.all(np.isfinite(variances)) or np.any(variances < 0):
        raise ParameterError("curvature variances must be finite and non-negative")
    scales = np.sqrt(variances)
    upper = np.triu(rng.standard_normal((*scales.shape, parameters, parameters)))
    blocks = (upper + np.swapaxes(np.triu(upper, 1), -1, -2)) * scales[..., None, None]
    return np.einsum("...dg,...gpq->...dpq", np.asarray(left, dtype=float), blocks)


def _random_masks(rng: np.random.Generator, shape: tuple[int, ...], batch_size: int) -> np.ndarray:
    """Uniform ``B``-subsets along the last axis: the ``B`` smallest of i.i.d. uniforms."""
    ranks = np.argsort(np.argsort(rng.random(shape), axis=-1), axis=-1)
    return (ranks < batch_size).astype(float)


def _sgd_step(
    jacobian: np.ndarray,
    curvature: np.ndarray,
    residual: np.ndarray,
    theta: np.ndarray,
    mask: np.ndarray,
    step: float,
) -> tuple[np.ndarray, np.ndarray]:
    r"""One step of Eq. 12 for a batch of models; leading axes broadcast.

    Returns :math:`(J(\theta),\ \theta - \tfrac\eta B J(\theta)^\top P\,z(\theta))`; ``jacobian``
    (the :math:`J_0`) may be shared by all models.
    """
    current = jacobian + np.einsum("...dpq,...q->...dp", curvature, theta)
    value = (
        residual
        + np.einsum("...dp,...p->...d", jacobian, theta)
        + 0.5 * np.einsum("...dpq,...p,...q->...d", curvature, theta, theta)
    )
    return current, theta - step * np.einsum("...dp,...d->...p", current, mask * value)


def _check_batch(size: int, batch_size: int) -> int:
    if isinstance(batch_size, bool) or not float(batch_size).is_integer():
        raise ParameterError(f"batch_size must be an integer, got {batch_size!r}")
    if not 1 <= int(batch_size) <= size:
        raise ParameterError(f"batch_size must be in [1, D={size}], got {batch_size}")
    return comb(size, int(batch_size))


def _validate(
    jacobian: object,
    learning_rate: float,
    batch_size: int,
    mode: int,
    curvature_variances: object | None,
) -> tuple[np.ndarray, np.ndarray]:
    matrix = as_matrix(jacobian, "jacobian")
    check_positive(learning_rate, "learning_rate")
    _check_batch(matrix.shape[0], batch_size)
    if not 0 <= int(mode) < min(matrix.shape):
        raise ParameterError(f"mode must be in [0, {min(matrix.shape)}), got {mode}")
    variances = (
        np.ones(matrix.shape[0])
        if curvature_variances is None
        else as_vector(curvature_variances, "curvature_variances", length=matrix.shape[0])
    )
    if np.any(variances < 0):
        raise ParameterError("curvature_variances must be non-negative")
    return matrix, variances
