r"""Minibatch gradient-noise covariance of squared-loss SGD (paper 000, App. D.1, Eq. 42-54).

Setup (paper 000, App. D): scalar outputs, loss :math:`L(w) = \frac1{2n}\sum_i \varepsilon_i^2`,
residuals :math:`\varepsilon_i = f(x_i;w) - y_i`, Jacobian rows :math:`J_i`, per-sample
gradients :math:`g_i = \varepsilon_i J_i^\top`, full gradient :math:`g = \frac1n J^\top
\varepsilon`. The per-sample covariance over a uniform random index is (Eq. 45)

.. math:: \Sigma_{\mathrm{sample}} = \tfrac1n J^\top A_2 J - \tfrac1{n^2} J^\top
          \varepsilon\varepsilon^\top J, \qquad A_2 = \mathrm{diag}(\varepsilon_i^2),

and the covariance of the minibatch mean :math:`g_B = \frac1b\sum_{i\in B} g_i` is
:math:`\kappa_b\,\Sigma_{\mathrm{sample}}` with :math:`\kappa_b = 1/b` for ``b`` draws with
replacement (Eq. 46) and the finite-population factor :math:`\kappa_b = (n-b)/(b(n-1))` for a
uniform ``b``-subset without replacement.

:func:`minibatch_noise_covariance` evaluates the closed form;
:func:`minibatch_covariance_by_enumeration` is its brute-force reference: it lists every ordered
tuple (:math:`n^b`) or every subset (:math:`\binom nb`) and takes the covariance of the batch
gradients directly, sharing no formula with the closed form.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_matrix, as_vector
from theorylab.errors import ParameterError

__all__ = [
    "MAX_ENUMERATED_BATCHES",
    "MinibatchNoise",
    "batch_factor",
    "minibatch_covariance_by_enumeration",
    "minibatch_noise_covariance",
]

MAX_ENUMERATED_BATCHES = 200_000


def _check_batch(batch_size: int, sample_count: int, replacement: bool) -> int:
    if isinstance(batch_size, bool) or int(batch_size) != batch_size:
        raise ParameterError(f"batch_size must be an integer, got {batch_size!r}")
    size = int(batch_size)
    if size < 1:
        raise ParameterError(f"batch_size must be >= 1, got {size}")
    if not replacement and size > sample_count:
        raise ParameterError(
            f"batch_size must be <= n = {sample_count} without replacement, got {size}"
        )
    return size


def batch_factor(sample_count: int, batch_size: int, replacement: bool = True) -> float:
    r"""Variance factor :math:`\kappa_b` of a minibatch mean relative to one uniform draw.

    :math:`\kappa_b = 1/b` with replacement (paper 000, Eq. 46); :math:`(n-b)/(b(n-1))`
    without (finite-population correction; ``1/b`` when ``n = 1``).

    Examples
    --------
    >>> batch_factor(4, 2, replacement=True), batch_factor(4, 2, replacement=False)
    (0.5, 0.3333333333333333)
    """
    size = _check_batch(batch_size, sample_count, replacement)
    if replacement or sample_count == 1:
        return 1.0 / size
    return (sample_count - size) / (size * (sample_count - 1))


@dataclass(frozen=True)
class MinibatchNoise:
    r"""Minibatch gradient-noise covariance and its pieces (paper 000, Eq. 42-47).

    Attributes
    ----------
    covariance
        :math:`\Sigma_\xi = \kappa_b\,\Sigma_{\mathrm{sample}}` (Eq. 46; ``(p, p)``).
    sample_covariance
        :math:`\Sigma_{\mathrm{sample}}` (Eq. 45).
    diagonal_term
        :math:`\frac{1}{bn}J^\top A_2 J` — Approximation 1, Eq. 47 (always with the ``1/b``
        of Eq. 47, as the paper writes it).
    gradient
        :math:`g = \nabla L = \frac1n J^\top\varepsilon`; Eq. 45 minus its first term is
        :math:`-g g^\top`, so :math:`\Sigma_\xi - \text{Eq. 47} = -\kappa_b g g^\top` when
        :math:`\kappa_b = 1/b`.
    factor
        :math:`\kappa_b`.
    batch_size, replacement
        As given.
    """

    covariance: np.ndarray
    sample_covariance: np.ndarray
    diagonal_term: np.ndarray
    gradient: np.ndarray
    factor: float
    batch_size: int
    replacement: bool

    @property
    def approximation_1_error(self) -> np.ndarray:
        r"""Exact error of Eq. 47: :math:`\Sigma_\xi - \frac1{bn}J^\top A_2J`."""
        return self.covariance - self.diagonal_term


def _inputs(jacobian: Any, residuals: Any) -> tuple[np.ndarray, np.ndarray]:
    rows = as_matrix(jacobian, "jacobian")
    errors = as_vector(residuals, "residuals", length=rows.shape[0])
    return rows, errors


def minibatch_noise_covariance(
    jacobian: Any, residuals: Any, batch_size: int, replacement: bool = True
) -> MinibatchNoise:
    r"""Covariance of the minibatch gradient (paper 000, App. D.1, Eq. 45-46).

    .. math:: \Sigma_\xi = \kappa_b\Big(\tfrac1n J^\top \mathrm{diag}(\varepsilon_i^2)J
              - \tfrac1{n^2}J^\top\varepsilon\varepsilon^\top J\Big),\qquad
              \kappa_b = \begin{cases}1/b & \text{with replacement (Eq. 46)}\\
              \frac{n-b}{b(n-1)} & \text{without replacement.}\end{cases}

    Parameters
    ----------
    jacobian
        ``(n, p)`` output-parameter Jacobian, rows :math:`J_i = \nabla_w f(x_i;w)^\top`.
    residuals
        ``(n,)`` residuals :math:`\varepsilon_i = f(x_i;w) - y_i`.
    batch_size
        :math:`b \ge 1` (``b <= n`` without replacement).
    replacement
        Draw the ``b`` indices i.i.d. uniform (True, the paper's model) or a uniform subset.

    Returns
    -------
    MinibatchNoise

    Raises
    ------
    ShapeError, NonFiniteError
        Bad arrays or mismatched lengths.
    ParameterError
        Batch size not an integer in range.

    Examples
    --------
    Two samples, one parameter, rows 1 and 2, residuals 1 and -1: per-sample gradients 1 and
    -2 have mean -1/2 and variance 9/4; a batch of 2 with replacement halves it.

    >>> noise = minibatch_noise_covariance([[1.0], [2.0]], [1.0, -1.0], batch_size=2)
    >>> float(noise.sample_covariance[0, 0]), float(noise.covariance[0, 0])
    (2.25, 1.125)
    """
    rows, errors = _inputs(jacobian, residuals)
    sample_count = rows.shape[0]
    size = _check_batch(batch_size, sample_count, replacement)
    factor = batch_factor(sample_count, size, replacement)
    weighted = rows * errors[:, None]  # per-sample gradients g_i^T as rows
    second_moment = weighted.T @ weighted / sample_count  # (1/n) J^T A_2 J
    gradient = weighted.sum(axis=0) / sample_count
    sample_covariance = second_moment - np.outer(gradient, gradient)
    sample_covariance = 0.5 * (sample_covariance + sample_covariance.T)
    return MinibatchNoise(
        covariance=factor * sample_covariance,
        sample_covariance=sample_covariance,
        diagonal_term=second_moment / size,
        gradient=gradient,
        factor=factor,
        batch_size=size,
        replacement=bool(replacement),
    )


def minibatch_covariance_by_enumeration(
    jacobian: Any, residuals: Any, batch_size: int, replacement: bool = True
) -> np.ndarray:
    r"""Brute-force :math:`\mathrm{Cov}(g_B)` by listing every equally likely minibatch.

    With replacement: all :math:`n^b` ordered index tuples; without: all
    :math:`\binom nb` subsets. For each batch the mean per-sample gradient is formed, and the
    covariance is the plain average of :math:`(g_B - \bar g_B)(g_B - \bar g_B)^\top`.

    Raises
    ------
    ParameterError
        If more than :data:`MAX_ENUMERATED_BATCHES` batches would be listed.

    Examples
    --------
    >>> minibatch_covariance_by_enumeration([[1.0], [2.0]], [1.0, -1.0], 2)
    array([[1.125]])
    """
    rows, errors = _inputs(jacobian, residuals)
    sample_count = rows.shape[0]
    size = _check_batch(batch_size, sample_count, replacement)
    count = sample_count**size if replacement else math.comb(sample_count, size)
    if count > MAX_ENUMERATED_BATCHES:
        raise ParameterError(
            f"{count} minibatches exceed the enumeration limit {MAX_ENUMERATED_BATCHES}"
        )
    gradients = rows * errors[:, None]
    batches = (
        itertools.product(range(sample_count), repeat=size)
        if replacement
        else itertools.combinations(range(sample_count), size)
    )
    index = np.array(list(batches), dtype=np.int64).reshape(count, size)
    batch_gradients = gradients[index].mean(axis=1)
    centred = batch_gradients - batch_gradients.mean(axis=0)
    return centred.T @ centred / count
