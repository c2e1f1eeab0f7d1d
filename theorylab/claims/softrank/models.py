r"""The exactly solvable models behind the ``softrank.*`` Monte Carlo checks (paper 004).

* :func:`gaussian_model` — Gaussian linear regression with ridge; calibrated when the model
  noise equals the true noise (:math:`s = \sigma`), overconfident when :math:`s < \sigma`.
* :func:`logistic_model` — logistic regression on 8 input atoms in
  :math:`\mathbb{R}^3`; labels from the model at :math:`\theta_0` (well specified, calibrated
  as :math:`\Lambda\to0`) or from a step function (misspecified, not calibrated).
* :func:`calibrated_model` — exactly calibrated and satisfying Eq. 2 at :math:`\theta^*=0`
  for every :math:`\Lambda` (the setting of Props 2.2, 4.1, 4.2): inputs
  :math:`x = (u, v)` independent, Jacobian :math:`J = j_u`, logit offset :math:`r_v`, and
  labels :math:`p = \sigma(r_v) + t_u a_v` with :math:`a \perp P_v, P_v(1-2\sigma_v)`,
  :math:`\sum_u P_u t_u = 0` (calibrated given :math:`r`, yet misspecified given x).
* :func:`shifted_calibrated_model` — exactly calibrated at a *nonzero* regularised optimum
  :math:`\theta^* = t/\lambda`: two atoms with :math:`J = \pm1`, offsets :math:`\mp\theta^*`
  (so both logits vanish at :math:`\theta^*`), labels :math:`p = 1/2 \pm t`; given
  :math:`r = 0`, :math:`P(y=1) = 1/2 = \sigma(0)`, :math:`C = F = H = 1/4`, yet
  :math:`\mathbb{E}[Je] = -t = -\lambda\theta^*` (Eq. 11 with :math:`\Lambda\theta^*\ne0`).
* :func:`curved_model` — the counterexample to Prop. 5.3: two atoms with
  :math:`J = \pm1` (so Eq. 9 holds exactly), a curved logit
  :math:`\mathcal N = \pm\theta + \theta^2/2`, labels :math:`p = 1/4`: :math:`\theta^* = 0`,
  :math:`F = 1/4`, :math:`H = F + \mathbb{E}[e\,\nabla^2\mathcal N] = 1/2`.
"""

from __future__ import annotations

import numpy as np

from theorylab.solvers.generalization_gap import FiniteBernoulliModel, LinearGaussianRidge

__all__ = [
    "GapModel",
    "calibrated_model",
    "curved_model",
    "gaussian_model",
    "logistic_model",
    "misspecified_models",
    "shifted_calibrated_model",
]

GAUSSIAN_COVARIANCE = np.diag([2.0, 1.0, 0.5, 0.25])
GAUSSIAN_BETA = np.array([1.0, -1.0, 0.5, 0.3])
LOGISTIC_ATOMS = np.array(
    [
        [1.0, 0.5, 0.0],
        [1.0, -1.0, 0.3],
        [1.0, 0.2, -1.0],
        [1.0, 1.0, 1.0],
        [1.0, -0.5, -0.5],
        [1.0, 0.0, 0.8],
        [1.0, 1.5, -0.4],
        [1.0, -1.2, -1.1],
    ]
)
LOGISTIC_THETA = np.array([0.3, 1.0, -0.8])

GapModel = LinearGaussianRidge | FiniteBernoulliModel
"""A model with exact population limits (``population()``) and a gap simulator (``simulate``)."""


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def gaussian_model(*, calibrated: bool, regularization: object) -> LinearGaussianRidge:
    """Gaussian design, noise σ = 1; model noise s = 1 (calibrated) or s = 0.6."""
    model_std = 1.0 if calibrated else 0.6
    return LinearGaussianRidge(GAUSSIAN_COVARIANCE, GAUSSIAN_BETA, 1.0, model_std, regularization)


def logistic_model(
    *, calibrated: bool, regularization: object, misspecification: float = 1.0
) -> FiniteBernoulliModel:
    r"""Logistic regression; misspecified labels mix in a step function with weight ``t``.

    :math:`p = (1-t)\,\sigma(x^\top\theta_0) + t\,(0.1 + 0.8\,[x^\top\theta_0 > 0])`.
    """
    logits = LOGISTIC_ATOMS @ LOGISTIC_THETA
    model_p = _sigmoid(logits)
    weight = 0.0 if calibrated else misspecification
    labels = (1 - weight) * model_p + weight * (0.1 + 0.8 * (logits > 0))
    weights = np.full(LOGISTIC_ATOMS.shape[0], 1.0 / LOGISTIC_ATOMS.shape[0])
    return FiniteBernoulliModel(LOGISTIC_ATOMS, weights, labels, regularization=regularization)


def misspecified_models() -> dict[str, GapModel]:
    """The misspecified Gaussian and logistic models at λ = 0.05, by name (Eq. 1, 4, 5 sweeps)."""
    return {
        "misspecified Gaussian (λ=0.05)": gaussian_model(calibrated=False, regularization=0.05),
        "misspecified logistic (λ=0.05)": logistic_model(calibrated=False, regularization=0.05),
    }


def calibrated_model(
    regularization: object,
    jacobians: np.ndarray | None = None,
    p_u: np.ndarray | None = None,
    offsets: np.ndarray | None = None,
    p_v: np.ndarray | None = None,
    t_u: np.ndarray | None = None,
    amplitude: float = 0.5,
) -> FiniteBernoulliModel:
    """Exactly calibrated at θ* = 0 with Eq. 2 holding (construction in the module doc).

    ``t_u`` is centred (weighted by ``p_u``) here; ``amplitude`` bounds :math:`|t_u a_v|`.
    """
    jacobians = np.array([[1.0, 0.5], [-0.5, 1.0], [0.3, -1.0]]) if jacobians is None else jacobians
    p_u = np.array([0.3, 0.3, 0.4]) if p_u is None else p_u
    offsets = np.array([-1.0, 0.3, 1.5]) if offsets is None else offsets
    p_v = np.array([0.25, 0.35, 0.4]) if p_v is None else p_v
    t_u = np.array([1.0, 1.0, -1.5]) if t_u is None else np.asarray(t_u, float)
    t_u = t_u - p_u @ t_u
    sig = _sigmoid(offsets)
    direction = np.cross(p_v, p_v * (1 - 2 * sig))
    scale = np.max(np.abs(np.outer(t_u, direction)))
    bound = amplitude * min(np.min(sig), np.min(1 - sig))
    direction = direction * (bound / scale if scale > 0 else 0.0)
    atoms, weights, labels, offs = [], [], [], []
    for u in range(len(p_u)):
        for v in range(3):
            atoms.append(jacobians[u])
            weights.append(p_u[u] * p_v[v])
            labels.append(sig[v] + t_u[u] * direction[v])
            offs.append(offsets[v])
    return FiniteBernoulliModel(
        np.array(atoms),
        np.array(weights),
        np.array(labels),
        regularization=regularization,
        offsets=np.array(offs),
    )


def shifted_calibrated_model(
    regularization: float = 0.25, label_shift: float = 0.25
) -> FiniteBernoulliModel:
    """Calibrated at θ* = t/λ ≠ 0: J = ±1, offsets ∓θ*, labels 1/2 ± t (module doc)."""
    star = label_shift / regularization
    return FiniteBernoulliModel(
        [[1.0], [-1.0]],
        [0.5, 0.5],
        [0.5 + label_shift, 0.5 - label_shift],
        regularization=regularization,
        offsets=[-star, star],
        start=[star],  # Newton from 0 overshoots into saturation when θ* = t/λ is large
    )


def curved_model(regularization: object) -> FiniteBernoulliModel:
    """Prop. 5.3 counterexample: J = ±1, ∇²N = 1, p = 1/4 at both atoms, θ* = 0."""
    return FiniteBernoulliModel(
        [[1.0], [-1.0]],
        [0.5, 0.5],
        [0.25, 0.25],
        regularization=regularization,
        curvatures=[1.0, 1.0],
    )
