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

Exact finite-``D`` companions (heavy ball on the residuals, Eq. 53-55 with
:math:`\theta_{t+1} = \theta_t + \eta v_{t+1}`):
:math:`z_{t+1} = ((1+\mu)I - \eta\beta^{-1}\hat\Theta P_t)z_t - \mu z_{t-1}`.
:func:`momentum_second_moment_operator` is the exact linear map of
:math:`W_t = \mathbb{E}[w_tw_t^\top]`, :math:`w_t = (z_t, z_{t-1})` (dense, :math:`4D^2`);
:func:`noise_kernel_norm_momentum_delocalised` is the exact :math:`\mathcal{K}` when
:math:`C = 11^\top/D` (no :math:`\tilde\beta\approx\beta`).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from theorylab.arrays import as_vector, check_positive
from theorylab.errors import NotPSDError, ParameterError, StabilityError
from theorylab.solvers.noise_kernel import batch_fractions, validate_sgd_problem

__all__ = [
    "enumerated_momentum_second_moment_operator",
    "momentum_noise_gain",
    "momentum_noise_gain_by_iteration",
    "momentum_second_moment_operator",
    "momentum_spectral_radius",
    "noise_kernel_norm_momentum",
    "noise_kernel_norm_momentum_delocalised",
    "validate_momentum_problem",
]


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

    ``batch_size`` (``B``) and ``size`` (``D``) count samples, one NTK row each.

    Examples
    --------
    >>> round(noise_kernel_norm_momentum([1.0, 1.0], 1.0, 1, 0.0, 4), 12)  # (1-1/4) * 2
    1.5
    """
    eigenvalues = as_vector(ntk_eigenvalues, "ntk_eigenvalues")
    eta = check_positive(learning_rate, "learning_rate")
    batch_fractions(batch_size, size)  # both count samples: 1 <= B <= n
    scaled = eta * eigenvalues
    beta = batch_size / size
    gain = momentum_noise_gain(scaled, momentum, printed=printed)
    return float((1 - beta) / batch_size * np.sum(scaled**2 * gain))


def noise_kernel_norm_momentum_delocalised(
    ntk_eigenvalues: object, learning_rate: float, batch_size: int, momentum: float, size: int
) -> float:
    r"""Exact momentum :math:`\mathcal{K}` when :math:`C = 11^\top/D` (finite ``D``, any ``B``).

    The diagonal block of :func:`momentum_second_moment_operator` in the NTK eigenbasis is
    block-diagonal per mode (:math:`p_t, r_t, p_{t-1}`) plus the rank-one noise feed
    :math:`\frac{1-\tilde\beta}{B}x_\alpha^2\sum_\gamma p_\gamma`; its gain at ``z = 1`` is

    .. math:: \mathcal{K} = \frac{1-\tilde\beta}{B}\sum_\alpha
       \frac{(1+\mu)x_\alpha}{(1-\mu)(2(1+\mu)-x_\alpha)-(1+\mu)(\tilde\beta\beta^{-1}-1)x_\alpha}

    (:math:`x = \eta\lambda`); :math:`\mu = 0` gives ``noise_kernel_norm_delocalised``,
    :math:`\tilde\beta \to \beta` gives :func:`noise_kernel_norm_momentum`.
    ``inf`` past the pole (the per-mode block is then unstable).

    Examples
    --------
    ``D = 2, B = 1`` (:math:`\tilde\beta = 0`, :math:`\tilde\beta\beta^{-1}-1 = -1`),
    :math:`\mu = 0`, ``x = (0.2, 0.6)``: each term is :math:`x/(2 - x + x) = x/2`.

    >>> round(noise_kernel_norm_momentum_delocalised([1.0, 3.0], 0.2, 1, 0.0, 2), 12)
    0.4
    """
    eigenvalues = as_vector(ntk_eigenvalues, "ntk_eigenvalues")
    eta = check_positive(learning_rate, "learning_rate")
    batch_fractions(batch_size, size)  # both count samples: 1 <= B <= n
    scaled = eta * eigenvalues
    mu = float(momentum)
    _validate(scaled, mu)
    beta, tilde = batch_fractions(batch_size, size)
    denominator = (1 - mu) * (2 * (1 + mu) - scaled) - (1 + mu) * (tilde / beta - 1) * scaled
    if np.any(denominator <= 0):
        return float("inf")
    return float((1 - tilde) / batch_size * np.sum((1 + mu) * scaled / denominator))


def validate_momentum_problem(
    ntk: object, learning_rate: float, batch_size: int, momentum: float
) -> tuple[np.ndarray, float, int]:
    r"""Validate ``(NTK, eta, B, mu)``; mean dynamics need :math:`\eta\lambda_{\max} < 2(1+\mu)`."""
    matrix, eta, batch = validate_sgd_problem(ntk, learning_rate, batch_size, check_stability=False)
    if not 0.0 <= momentum < 1.0:
        raise ParameterError(f"momentum must be in [0, 1), got {momentum!r}")
    if eta * float(np.linalg.eigvalsh(matrix)[-1]) >= 2 * (1 + momentum):
        raise StabilityError("eta * lambda_max >= 2 (1 + mu): the mean dynamics are unstable")
    return matrix, eta, batch


def _companion(ntk: np.ndarray, scale: float, momentum: float, mask: np.ndarray) -> np.ndarray:
    size = ntk.shape[0]
    top = (1 + momentum) * np.eye(size) - scale * ntk * mask[None, :]
    return np.block([[top, -momentum * np.eye(size)], [np.eye(size), np.zeros((size, size))]])


def momentum_second_moment_operator(
    ntk: object, learning_rate: float, batch_size: int, momentum: float
) -> np.ndarray:
    r"""Dense map :math:`\mathrm{vec}W_t \mapsto \mathrm{vec}W_{t+1}` (row-major, :math:`4D^2`).

    With :math:`\bar A = \begin{pmatrix}(1+\mu)I-\eta\hat\Theta & -\mu I\\ I & 0\end{pmatrix}`,
    :math:`L = (\hat\Theta, 0)^\top` and Lemma A.1,

    .. math:: W_{t+1} = \bar AW_t\bar A^\top + \eta^2 L\big[(\beta^{-1}-\tilde\beta\beta^{-1})
       \mathrm{diag}(W^{zz}_t) + (\tilde\beta\beta^{-1}-1)W^{zz}_t\big]L^\top .

    Examples
    --------
    ``D = 1``, :math:`\mu = 0`: the ``zz`` entry maps by :math:`(1-\eta\lambda)^2`.

    >>> float(momentum_second_moment_operator([[1.0]], 0.5, 1, 0.0)[0, 0])
    0.25
    """
    matrix, eta, batch = validate_momentum_problem(ntk, learning_rate, batch_size, momentum)
    size = matrix.shape[0]
    beta, tilde = batch_fractions(batch, size)
    mean = _companion(matrix, eta, momentum, np.ones(size))
    lift = np.vstack([matrix, np.zeros((size, size))])  # L, 2D x D
    top = np.hstack([np.eye(size), np.zeros((size, size))])  # W -> W^{zz}
    selector = np.diag(np.eye(size).ravel())
    inner = (1 / beta - tilde / beta) * selector + (tilde / beta - 1) * np.eye(size * size)
    return np.kron(mean, mean) + eta**2 * np.kron(lift, lift) @ inner @ np.kron(top, top)


def enumerated_momentum_second_moment_operator(
    ntk: np.ndarray, learning_rate: float, batch_size: int, momentum: float
) -> np.ndarray:
    r"""Oracle: :math:`\binom{D}{B}^{-1}\sum_P A_P\otimes A_P`, :math:`A_P` the heavy-ball step."""
    size = ntk.shape[0]
    scale = learning_rate * size / batch_size
    total = np.zeros((4 * size * size, 4 * size * size))
    count = 0
    for batch in combinations(range(size), batch_size):
        mask = np.zeros(size)
        mask[list(batch)] = 1.0
        step = _companion(np.asarray(ntk, dtype=float), scale, momentum, mask)
        total += np.kron(step, step)
        count += 1
    return total / count


def momentum_spectral_radius(
    ntk: object, learning_rate: float, batch_size: int, momentum: float
) -> float:
    r""":math:`\max|\lambda|` of :func:`momentum_second_moment_operator` (dense eigenvalues).

    ``> 1`` iff the mean-square residual of heavy-ball SGD grows. Mean dynamics unstable
    (:math:`\eta\lambda_{\max}\ge 2(1+\mu)`) also gives a radius ``> 1``.

    Examples
    --------
    >>> round(momentum_spectral_radius([[1.0]], 0.5, 1, 0.0), 12)
    0.25
    """
    operator = momentum_second_moment_operator(ntk, learning_rate, batch_size, momentum)
    return float(np.max(np.abs(np.linalg.eigvals(operator))))
