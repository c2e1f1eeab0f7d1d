r"""The quadratic regression model of paper 002 (Sec. 3, Eq. 12-17, App. B): exact moments.

Model (Eq. 12-13): residuals :math:`z(\theta) = z_0 + J_0\theta + \tfrac12 Q[\theta,\theta]`,
Jacobian :math:`J(\theta) = J_0 + Q[\theta,\cdot]`, SGD
:math:`\theta_{t+1} = \theta_t - \frac{\eta}{B}J_t^\top P_t z_t` with :math:`P_t` diagonal with
exactly ``B`` ones drawn uniformly without replacement, :math:`Q = \sum_\gamma w_\gamma\otimes
M_\gamma` (``w_γ`` the left singular vectors of :math:`J_0`), :math:`M_\gamma` symmetric with
independent zero-mean entries (diagonal included) of variance :math:`V_\gamma = V(\sigma_\gamma)`,
:math:`z_0` i.i.d. zero-mean with variance :math:`V_z`. Estimators (Eq. 14):
:math:`\hat\sigma_{\alpha,t} = w_\alpha^\top J_t v_\alpha`,
:math:`\hat\lambda_{\alpha,t} = \|w_\alpha^\top J_t\|^2`; differences (Eq. 15).

Three routes to :math:`\mathbb{E}_{P,Q,z}[\Delta_1\hat\lambda_{\alpha,0}]` and
:math:`\mathbb{E}_{P,Q,z}[\Delta_2\hat\sigma_{\alpha,0}]`:

* :func:`exact_eigenvalue_derivatives` — brute force: every pair of minibatches
  :math:`(P_0, P_1)` enumerated, and the expectations over ``z`` and ``Q`` taken exactly with
  the moment-basis rule below (no sampling);
* :func:`eigenvalue_derivatives_formula` — the closed forms derived here (module notes);
* :func:`simulate_eigenvalue_derivatives` — direct Monte Carlo over :math:`(P, Q, z)`.

The model's building blocks (singular triples, curvature tensors, minibatch masks, one SGD
step) live in :mod:`theorylab.solvers.quadratic_regression_model` and are re-exported here.

**Moment-basis rule.** :math:`\Delta_2\hat\sigma_{\alpha,0}` is a polynomial of degree at most 3
in ``z`` and at most 3 in the entries of ``Q`` (two SGD steps). For independent, symmetric,
zero-mean coordinates :math:`\xi_a` of variance :math:`s_a` and a polynomial ``f`` of degree
:math:`\le 3`, :math:`\mathbb{E}f(\xi) = f(0) + \sum_a s_a[\tfrac12(f(e_a)+f(-e_a)) - f(0)]`
(odd monomials and cross terms have mean zero; :math:`\xi_a^2` has mean :math:`s_a`).

**Closed forms** (for ``mode`` α, :math:`v = v_\alpha`, :math:`\hat\Theta = J_0J_0^\top/D`):

.. math::

    \mathbb{E}[\Delta_1\hat\lambda_{\alpha,0}] = B^{-1}PV_z\,\mathrm{tr}\hat\Theta\,\eta^2V_\alpha
    \quad\text{(Eq. 16, exact: no } O(D^{-1})\text{ term at } t = 0),

    \mathbb{E}[\Delta_2\hat\sigma_{\alpha,0}]_B - \mathbb{E}[\Delta_2\hat\sigma_{\alpha,0}]_D
    = -(B^{-1}-D^{-1})D^{-2}\eta^3V_zV_\alpha\sigma_\alpha
    \big[(P+1)\sigma_\alpha^2 - \tfrac12\textstyle\sum_p v_p^2(J_0^\top J_0)_{pp}\big]

exactly (no :math:`O(\eta^4)` remainder: the quartic term is odd in ``Q``). Eq. 17 as printed
(with :math:`d_2` the full-batch value) says :math:`-B^{-1}D^{-2}\eta^3\sigma_\alpha^3
V_\alpha PV_z`: right to leading order when :math:`B \ll D` and :math:`P \to \infty`, but
its batch law :math:`B^{-1}` misses :math:`-D^{-1}` (factor 2 at :math:`B = D/2`; nonzero at
:math:`B = D`, where it must vanish by its own definition of :math:`d_2`).
"""

from __future__ import annotations

import numpy as np

from theorylab.arrays import check_nonnegative, check_positive
from theorylab.errors import NonFiniteError, ParameterError, ShapeError
from theorylab.solvers.quadratic_regression_model import (
    EigenvalueDerivatives,
    _check_batch,
    _random_masks,
    _sgd_step,
    _validate,
    minibatch_masks,
    quadratic_model_curvature,
    random_quadratic_curvature,
    singular_triples,
)

__all__ = [
    "EigenvalueDerivatives",
    "eigenvalue_derivatives_formula",
    "eq17_printed_batch_gap",
    "exact_eigenvalue_derivatives",
    "minibatch_masks",
    "ntk_top_eigenvalue_trajectories",
    "quadratic_model_curvature",
    "random_quadratic_curvature",
    "simulate_eigenvalue_derivatives",
    "singular_triples",
    "two_step_estimates",
]

MAX_TRAJECTORIES = 20_000_000
CHUNK = 4096


def two_step_estimates(
    jacobian: np.ndarray,
    curvature: np.ndarray,
    residuals: np.ndarray,
    first_masks: np.ndarray,
    second_masks: np.ndarray,
    learning_rate: float,
    batch_size: int,
    mode: int,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two SGD steps of Eq. 12 for every :math:`(z, P_0, P_1)`: the Eq. 15 differences.

    Returns :math:`\Delta_1\hat\lambda_{\alpha,0}` and :math:`\Delta_2\hat\sigma_{\alpha,0}`.

    Shapes: ``residuals`` (n, D), masks (m0, D) and (m1, D); returns arrays (n, m0) and
    (n, m0, m1). Inputs are trusted (validated by the public callers).
    """
    left, values, right_t = singular_triples(jacobian)
    w, v = left[:, mode], right_t[mode]
    step = learning_rate / batch_size
    probe = np.einsum("d,dpq,q->p", w, curvature, v)  # sigma_t = sigma_0 + theta_t . probe
    theta1 = -step * np.einsum("dp,nd,md->nmp", jacobian, residuals, first_masks)
    jacobian1 = jacobian + np.einsum("dpq,nmq->nmdp", curvature, theta1)
    residual1 = (
        residuals[:, None, :]
        + theta1 @ jacobian.T
        + 0.5 * np.einsum("dpq,nmp,nmq->nmd", curvature, theta1, theta1)
    )
    gradient = np.einsum("nmdp,nmd,kd->nmkp", jacobian1, residual1, second_masks)
    theta2 = theta1[:, :, None, :] - step * gradient
    row1 = w @ jacobian1  # (n, m0, P)
    first = np.sum(row1**2, axis=-1) - values[mode] ** 2
    second = theta2 @ probe - 2 * (theta1 @ probe)[:, :, None]
    return first, second


def exact_eigenvalue_derivatives(
    jacobian: object,
    learning_rate: float,
    batch_size: int,
    mode: int = 0,
    *,
    curvature_variances: object | None = None,
    residual_variance: float = 1.0,
) -> EigenvalueDerivatives:
    r"""Brute-force :math:`\mathbb{E}_{P,Q,z}` of :math:`(\Delta_1\hat\lambda, \Delta_2\hat\sigma)`.

    Every minibatch pair :math:`(P_0, P_1)` is enumerated; ``z`` and ``Q`` are averaged exactly
    by the moment-basis rule (module notes), so the result is exact for any symmetric
    zero-mean laws with these variances. ``curvature_variances``: :math:`V_\gamma` per left
    singular vector (default 1). Cost grows like :math:`D^2P^2\binom{D}{B}^2`: small
    instances only.

    Raises
    ------
    ParameterError
        On a bad batch size, mode or variance, or if the enumeration is too large.

    Examples
    --------
    Eq. 16 at D = 2, P = 1, J = (1, 0)ᵀ, B = 1, η = 1 gives
    :math:`B^{-1}PV_z\mathrm{tr}\hat\Theta = 1/2`.

    >>> result = exact_eigenvalue_derivatives([[1.0], [0.0]], 1.0, 1)
    >>> round(result.first, 12), round(result.second, 12)
    (0.5, -0.125)
    """
    matrix, variances = _validate(jacobian, learning_rate, batch_size, mode, curvature_variances)
    vz = check_nonnegative(residual_variance, "residual_variance")
    size, parameters = matrix.shape
    masks = minibatch_masks(size, batch_size)
    upper = [(j, k) for j in range(parameters) for k in range(j, parameters)]
    trajectories = (2 * size * len(upper) + 1) * (2 * size + 1) * masks.shape[0] ** 2
    if trajectories > MAX_TRAJECTORIES:
        raise ParameterError(f"enumeration needs {trajectories:,} trajectories: instance too large")
    left = singular_triples(matrix)[0]
    residuals = np.vstack([np.zeros(size), np.eye(size), -np.eye(size)])

    def z_average(curvature: np.ndarray) -> np.ndarray:
        first, second = two_step_estimates(
            matrix, curvature, residuals, masks, masks, learning_rate, batch_size, mode
        )
        values = np.array([first.mean(axis=1), second.mean(axis=(1, 2))])  # (2, 2D+1)
        return values[:, 0] + vz * np.sum(
            (values[:, 1 : size + 1] + values[:, size + 1 :]) / 2 - values[:, :1], axis=1
        )

    centre = z_average(np.zeros((size, parameters, parameters)))
    total = centre.copy()
    for gamma in range(size):
        for j, k in upper:
            block = np.zeros((size, parameters, parameters))
            block[gamma, j, k] = block[gamma, k, j] = 1.0
            unit = np.einsum("dg,gpq->dpq", left, block)
            even = (z_average(unit) + z_average(-unit)) / 2 - centre
            total += variances[gamma] * even
    return EigenvalueDerivatives(
        first=float(total[0]), second=float(total[1]), samples=trajectories
    )


def eigenvalue_derivatives_formula(
    jacobian: object,
    learning_rate: float,
    batch_size: int,
    mode: int = 0,
    *,
    curvature_variances: object | None = None,
    residual_variance: float = 1.0,
) -> tuple[float, float]:
    r"""Closed forms: Eq. 16, and the exact batch gap of :math:`\mathbb{E}[\Delta_2\hat\sigma]`.

    Returns :math:`(\mathbb{E}[\Delta_1\hat\lambda_{\alpha,0}],\
    \mathbb{E}[\Delta_2\hat\sigma_{\alpha,0}]_B - \mathbb{E}[\Delta_2\hat\sigma_{\alpha,0}]_D)`
    (module notes). Valid for every D, P, B, η.

    Examples
    --------
    >>> eigenvalue_derivatives_formula([[1.0], [0.0]], 1.0, 1)
    (0.5, -0.1875)
    """
    matrix, variances = _validate(jacobian, learning_rate, batch_size, mode, curvature_variances)
    vz = check_nonnegative(residual_variance, "residual_variance")
    size, parameters = matrix.shape
    _, values, right_t = singular_triples(matrix)
    sigma, v = values[mode], right_t[mode]
    first = parameters * vz * np.sum(matrix**2) / size * learning_rate**2 * variances[mode]
    first /= batch_size
    bracket = (parameters + 1) * sigma**2 - 0.5 * np.sum(v**2 * np.sum(matrix**2, axis=0))
    gap = -(1 / batch_size - 1 / size) * learning_rate**3 * vz * variances[mode] * sigma
    return float(first), float(gap * bracket / size**2)


def eq17_printed_batch_gap(
    jacobian: object,
    learning_rate: float,
    batch_size: int,
    mode: int = 0,
    *,
    curvature_variances: object | None = None,
    residual_variance: float = 1.0,
) -> float:
    r"""Eq. 17 as printed, with :math:`d_2` the full-batch value.

    :math:`\mathbb{E}[\Delta_2\hat\sigma]_B - d_2 = -B^{-1}D^{-2}\eta^3\sigma_\alpha^3
    V(\sigma_\alpha)PV_z`.

    Examples
    --------
    >>> eq17_printed_batch_gap([[1.0], [0.0]], 1.0, 1)
    -0.25
    """
    matrix, variances = _validate(jacobian, learning_rate, batch_size, mode, curvature_variances)
    vz = check_nonnegative(residual_variance, "residual_variance")
    size, parameters = matrix.shape
    sigma = singular_triples(matrix)[1][mode]
    return float(
        -(learning_rate**3) * sigma**3 * variances[mode] * parameters * vz / (batch_size * size**2)
    )


def simulate_eigenvalue_derivatives(
    jacobian: object,
    learning_rate: float,
    batch_size: int,
    mode: int,
    draws: int,
    rng: np.random.Generator,
    *,
    curvature_variances: object | None = None,
) -> EigenvalueDerivatives:
    r"""Direct Monte Carlo over :math:`(P_0, P_1, Q, z)`, Gaussian ``Q`` and ``z`` (:math:`V_z=1`).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> result = simulate_eigenvalue_derivatives([[1.0], [0.0]], 1.0, 1, 0, 4000, rng)
    >>> abs(result.first - 0.5) < 4 * result.first_stderr
    True
    """
    matrix, variances = _validate(jacobian, learning_rate, batch_size, mode, curvature_variances)
    if int(draws) < 2:
        raise ParameterError(f"draws must be >= 2, got {draws}")
    size, parameters = matrix.shape
    left, _, right_t = singular_triples(matrix)
    w, v = left[:, mode], right_t[mode]
    step = learning_rate / batch_size
    firsts, seconds = [], []
    for start in range(0, int(draws), CHUNK):
        count = min(CHUNK, int(draws) - start)
        curvature = random_quadratic_curvature(
            left, np.broadcast_to(variances, (count, size)), parameters, rng
        )
        masks = _random_masks(rng, (2, count, size), batch_size)
        residual = rng.standard_normal((count, size))
        probe = np.einsum("d,ndpq,q->np", w, curvature, v)
        zero = np.zeros((count, parameters))
        _, theta1 = _sgd_step(matrix, curvature, residual, zero, masks[0], step)
        jacobian1, theta2 = _sgd_step(matrix, curvature, residual, theta1, masks[1], step)
        row1 = np.einsum("d,ndp->np", w, jacobian1)
        firsts.append(np.sum(row1**2, axis=1) - np.sum((w @ matrix) ** 2))
        seconds.append(np.einsum("np,np->n", theta2 - 2 * theta1, probe))
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    root = np.sqrt(first.size)
    return EigenvalueDerivatives(
        first=float(first.mean()),
        second=float(second.mean()),
        first_stderr=float(first.std(ddof=1) / root),
        second_stderr=float(second.std(ddof=1) / root),
        samples=int(draws),
    )


def ntk_top_eigenvalue_trajectories(
    jacobians: np.ndarray,
    curvatures: np.ndarray,
    residuals: np.ndarray,
    learning_rate: float,
    batch_size: int,
    steps: int,
    rng: np.random.Generator,
) -> np.ndarray:
    r""":math:`\lambda_{\max}(J_tJ_t^\top/D)` along SGD on Eq. 12 for a stack of models (Fig. 2).

    ``jacobians`` (n, D, P), ``curvatures`` (n, D, P, P) and ``residuals`` (n, D) are ``n``
    independent models; each step draws a fresh uniform ``B``-subset per model. Returns an
    array (steps + 1, n); a model whose residuals overflow gives NaN from then on.

    Examples
    --------
    >>> out = ntk_top_eigenvalue_trajectories(
    ...     np.ones((1, 1, 1)), np.zeros((1, 1, 1, 1)), np.ones((1, 1)), 0.5, 1, 2,
    ...     np.random.default_rng(0))
    >>> out[:, 0].tolist()  # Q = 0: the Jacobian, hence the NTK, never moves
    [1.0, 1.0, 1.0]
    """
    stack = np.asarray(jacobians, dtype=float)
    tensor = np.asarray(curvatures, dtype=float)
    start = np.asarray(residuals, dtype=float)
    count, size, parameters = stack.shape
    if tensor.shape != (count, size, parameters, parameters) or start.shape != (count, size):
        raise ShapeError(
            f"need curvatures (n, D, P, P) and residuals (n, D) for jacobians {stack.shape}, "
            f"got {tensor.shape} and {start.shape}"
        )
    if not (np.all(np.isfinite(stack)) and np.all(np.isfinite(tensor))):
        raise NonFiniteError("jacobians and curvatures must be finite")
    check_positive(learning_rate, "learning_rate")
    _check_batch(size, batch_size)
    if isinstance(steps, bool) or not float(steps).is_integer() or steps < 0:
        raise ParameterError(f"steps must be a non-negative integer, got {steps!r}")
    theta = np.zeros((count, parameters))
    history = np.empty((int(steps) + 1, count))
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(int(steps) + 1):  # the last update is not used
            mask = _random_masks(rng, (count, size), batch_size)
            jacobian, updated = _sgd_step(
                stack, tensor, start, theta, mask, learning_rate / batch_size
            )
            gram = jacobian @ jacobian.transpose(0, 2, 1) / size
            finite = np.all(np.isfinite(gram), axis=(1, 2))
            history[step] = np.nan
            if np.any(finite):
                history[step, finite] = np.linalg.eigvalsh(gram[finite])[:, -1]
            theta = updated
    return history
