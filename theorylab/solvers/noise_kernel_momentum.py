r"""Noise kernel norm with heavy-ball momentum in the high-dimensional limit (paper 002, App. A.5).

Per NTK mode, with :math:`x = \eta\lambda` (main-text units: :math:`\eta` the SGD step,
:math:`\lambda` an eigenvalue of :math:`\hat\Theta = JJ^\top/D`), the mean residual follows
:math:`y_{t+1} = \Omega y_t - \mu y_{t-1}`, :math:`\Omega = 1 - x + \mu`. A unit noise kick
propagates with squared response :math:`y_t^2` and total gain :math:`G(x,\mu) = \sum_{t\ge0}y_t^2`;
with :math:`C = 11^\top/D`, :math:`\tilde\beta\approx\beta`:

.. math:: \mathcal{K}_{\rm mom} = \frac{1-\beta}{B}\sum_\alpha x_\alpha^2\,G(x_\alpha,\mu),\qquad
   G = \frac{1}{(1-\mu)^2-2(1+\mu)x+x^2}\Big(-\frac{2\mu}{1-\mu}
   + \frac{(1-x)^2-2\mu x-\mu^2}{2(1+\mu)x-x^2}\Big)

(Eq. 66 per mode; Eq. 56/58 print :math:`+\mu^{t+1}`, which gives :math:`+2\mu/(1-\mu)`).
At :math:`\mu = 0`, :math:`\mathcal{K}_{\rm mom} = (1-\beta)\hat{\mathcal{K}}_{HD}` (Eq. 68).
"""

from __future__ import annotations

import numpy as np

from theorylab.arrays import as_vector, check_positive
from theorylab.errors import NotPSDError, ParameterError, StabilityError

__all__ = ["momentum_noise_gain", "momentum_noise_gain_by_iteration", "noise_kernel_norm_momentum"]


def _validate(scaled: np.ndarray, momentum: float) -> None:
    if not 0.0 <= momentum < 1.0:
        raise ParameterError(f"momentum must be in [0, 1), got {momentum!r}")
    if np.any(scaled <= 0):
        raise NotPSDError("eta * lambda must be > 0 for every mode")
    if np.any(scaled >= 2 * (1 + momentum)):
        raise StabilityError("eta * lambda >= 2 (1 + mu): the mean dynamics are unstable")


def momentum_noise_gain(scaled: object, momentum: float, *, printed: bool = False) -> np.ndarray:
    r"""Closed-form :math:`G(x,\mu) = \sum_t y_t^2` (Eq. 66); ``printed`` uses Eq. 58's sign.

    Eq. 66's per-mode factor simplifies to :math:`G = \frac{1+\mu}{(1-\mu)\,x\,(2(1+\mu)-x)}`
    (checked symbolically), which has no removable singularity at :math:`\Omega^2 = 4\mu`.

    Examples
    --------
    :math:`\mu = 0`: :math:`G = 1/(1-(1-x)^2)`.

    >>> float(momentum_noise_gain([0.5], 0.0)[0]) == 1 / (1 - 0.25)
    True
    """
    x = as_vector(scaled, "scaled")
    mu = float(momentum)
    _validate(x, mu)
    if printed:  # singular (nan) where Omega^2 = 4 mu, as printed
        denominator = (1 - mu) ** 2 - 2 * (1 + mu) * x + x**2
        pair = ((1 - x) ** 2 - 2 * mu * x - mu**2) / (2 * (1 + mu) * x - x**2)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (2 * mu / (1 - mu) + pair) / denominator
    # Eq. 66 with its removable singularity at Omega^2 = 4 mu cancelled (AR(2) variance):
    return (1 + mu) / ((1 - mu) * x * (2 * (1 + mu) - x))


def momentum_noise_gain_by_iteration(
    scaled: object, momentum: float, steps: int = 200_000
) -> np.ndarray:
    r"""Oracle: :math:`\sum_{t<T} y_t^2` from the recursion, :math:`y_0 = 1, y_{-1} = 0`."""
    x = as_vector(scaled, "scaled")
    _validate(x, momentum)
    previous, current = np.zeros_like(x), np.ones_like(x)
    total = np.zeros_like(x)
    for _ in range(steps):
        total += current**2
        previous, current = current, (1 - x + momentum) * current - momentum * previous
        if np.all(np.abs(current) < 1e-30):
            break
    return total


def noise_kernel_norm_momentum(
    ntk_eigenvalues: object,
    learning_rate: float,
    batch_size: int,
    momentum: float,
    size: int,
    *,
    printed: bool = False,
) -> float:
    r"""Momentum noise kernel norm (App. A.5, corrected sign).

    .. math:: \mathcal{K}_{\rm mom} = \frac{1-\beta}{B}\sum_\alpha x_\alpha^2 G(x_\alpha,\mu)

    Examples
    --------
    >>> round(noise_kernel_norm_momentum([1.0, 1.0], 1.0, 1, 0.0, 4), 12)  # (1-1/4) * 2
    1.5
    """
    eigenvalues = as_vector(ntk_eigenvalues, "ntk_eigenvalues")
    eta = check_positive(learning_rate, "learning_rate")
    if not 1 <= batch_size <= size:
        raise ParameterError(f"batch_size must be in [1, {size}], got {batch_size}")
    scaled = eta * eigenvalues
    beta = batch_size / size
    gain = momentum_noise_gain(scaled, momentum, printed=printed)
    return float((1 - beta) / batch_size * np.sum(scaled**2 * gain))
