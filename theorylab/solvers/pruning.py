r"""Group-pruning sensitivity as a TPV object (paper 000, Sec. 3.4, Eq. 13-16): JBR and JC.

Conventions. For a classifier with logits :math:`f(x; w) \in \mathbb{R}^K` and a parameter
group :math:`g`, the *logit-space direction* of the group is
:math:`v_g(x) = J_g(x)\,w_g \in \mathbb{R}^K`, :math:`J_g = \partial f/\partial w_g`
(the change of the logits when the group is scaled, :math:`w_g \to (1+t)w_g`, at
:math:`t = 0`). Directions are passed as an array of shape ``(n, G, K)`` (samples, groups,
logits); probabilities :math:`p = \mathrm{softmax}(f)` as ``(n, K)``.

With :math:`u = -\log p_{c(x)}`, :math:`c(x) = \arg\max_k p_k`,
:math:`\delta_u = \partial u/\partial f = p - e_{c(x)}`, two readings of Eq. 16 exist:

* ``"jc_form"`` (the JC comparison of Sec. 3.4, and Eq. 15):
  :math:`\mathbb{E}_x[(\delta_u^\top v_g)^2] = \mathbb{E}_x[(J_{u,g} w_g)^2]`;
* ``"literal"`` (Eq. 16 as printed with :math:`\delta_u \in \mathbb{R}^K` a column, so
  :math:`\delta_u^\top\delta_u = \|\delta_u\|^2` is a scalar):
  :math:`\mathbb{E}_x[\|\delta_u\|^2\,\|v_g\|^2]`.

The expectation runs over the kept samples, :math:`p_{c(x)} > \tau` (the paper uses
:math:`\tau = 0.9`). JC (Chen et al., 2025) uses :math:`m = p - y` with labels :math:`y`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from theorylab.arrays import as_array, as_matrix, check_nonnegative
from theorylab.errors import ParameterError, ShapeError

__all__ = [
    "READINGS",
    "PruningScores",
    "group_directions",
    "jbr_scores",
    "jc_scores",
    "nll_logit_gradient",
    "pruning_tpv",
]

READINGS = ("jc_form", "literal")
Reading = Literal["jc_form", "literal"]
PROBABILITY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PruningScores:
    r"""Importance scores of ``G`` groups: sample means over the kept samples, with stderr.

    Attributes
    ----------
    scores
        ``(G,)``, :math:`\mathbb{E}_x[s_g(x)]` over the kept samples (0 if none is kept).
    stderr
        ``(G,)``, standard error of each mean (sample standard deviation / sqrt(n_kept);
        0 when fewer than two samples are kept).
    kept
        ``(n,)`` boolean mask of the samples the mean runs over.
    criterion
        ``"jbr"`` or ``"jc"``.
    reading
        ``"jc_form"`` or ``"literal"``.
    threshold
        :math:`\tau` (JBR) or ``None`` (JC keeps every sample).
    """

    scores: np.ndarray
    stderr: np.ndarray
    kept: np.ndarray
    criterion: str
    reading: str
    threshold: float | None

    @property
    def kept_count(self) -> int:
        """Number of samples the mean runs over."""
        return int(np.count_nonzero(self.kept))

    def ranking(self) -> np.ndarray:
        """Group indices from least to most important (stable order on ties)."""
        return np.argsort(self.scores, kind="stable")


def _probabilities(value: Any, samples: int | None = None) -> np.ndarray:
    probabilities = as_matrix(value, "probabilities", rows=samples)
    if np.any(probabilities < 0):
        raise ParameterError("probabilities must be nonnegative")
    worst = float(np.max(np.abs(probabilities.sum(axis=1) - 1.0)))
    if worst > PROBABILITY_TOLERANCE * probabilities.shape[1]:
        raise ParameterError(f"probability rows must sum to 1, worst deviation {worst:.3g}")
    return probabilities


def _directions(value: Any) -> np.ndarray:
    directions = as_array(value, "directions")
    if directions.ndim != 3 or directions.size == 0:
        raise ShapeError(
            f"directions must be a non-empty (n, G, K) array, got shape {directions.shape}"
        )
    return directions


def _classes(value: Any, samples: int, outputs: int, name: str) -> np.ndarray:
    classes = np.asarray(value)
    if classes.shape != (samples,) or classes.dtype.kind not in "iu":
        raise ShapeError(f"{name} must be {samples} integers, got shape {classes.shape}")
    if np.any(classes < 0) or np.any(classes >= outputs):
        raise ParameterError(f"{name} must lie in 0..{outputs - 1}")
    return classes.astype(np.int64)


def nll_logit_gradient(probabilities: Any, classes: Any) -> np.ndarray:
    r"""Logit gradient of :math:`u = -\log p_c`: :math:`\delta_u = p - e_c` (Sec. 3.4, JC).

    Parameters
    ----------
    probabilities
        ``(n, K)`` rows of :math:`\mathrm{softmax}(f)`.
    classes
        ``(n,)`` integer classes :math:`c(x)` (predicted for JBR, labels for JC).

    Returns
    -------
    numpy.ndarray
        ``(n, K)`` rows :math:`p - e_c`; each sums to 0.

    Examples
    --------
    >>> nll_logit_gradient([[0.75, 0.25]], [0])
    array([[-0.25,  0.25]])
    """
    probabilities = _probabilities(probabilities)
    samples, outputs = probabilities.shape
    chosen = _classes(classes, samples, outputs, "classes")
    gradient = probabilities.copy()
    gradient[np.arange(samples), chosen] -= 1.0
    return gradient


def group_directions(jacobian: Any, weights: Any, groups: list[Any]) -> np.ndarray:
    r"""Logit-space directions :math:`v_g(x) = J_g(x)\,w_g` of each group (Sec. 3.4).

    Parameters
    ----------
    jacobian
        ``(n, K, p)`` logit Jacobians :math:`\partial f(x)/\partial w`.
    weights
        ``(p,)`` parameters :math:`w`.
    groups
        ``G`` index arrays into ``0..p-1`` (disjoint for Eq. 14's block structure; not
        enforced here).

    Returns
    -------
    numpy.ndarray
        ``(n, G, K)``.

    Examples
    --------
    >>> group_directions([[[1.0, 2.0], [0.0, 3.0]]], [1.0, -1.0], [[0], [1]])
    array([[[ 1.,  0.],
            [-2., -3.]]])
    """
    jacobian = as_array(jacobian, "jacobian")
    if jacobian.ndim != 3:
        raise ShapeError(f"jacobian must be (n, K, p), got shape {jacobian.shape}")
    parameters = jacobian.shape[2]
    weights = as_array(weights, "weights")
    if weights.shape != (parameters,):
        raise ShapeError(f"weights must have shape ({parameters},), got {weights.shape}")
    columns = []
    for index, group in enumerate(groups):
        members = np.asarray(group, dtype=np.int64).reshape(-1)
        if members.size == 0 or np.any(members < 0) or np.any(members >= parameters):
            raise ParameterError(f"group {index} must be non-empty indices in 0..{parameters - 1}")
        columns.append(jacobian[:, :, members] @ weights[members])
    if not columns:
        raise ParameterError("groups must not be empty")
    return np.stack(columns, axis=1)


def _per_sample(directions: np.ndarray, vectors: np.ndarray, reading: str) -> np.ndarray:
    if reading == "jc_form":
        return np.einsum("ngk,nk->ng", directions, vectors) ** 2
    if reading == "literal":
        return np.sum(vectors**2, axis=1)[:, None] * np.sum(directions**2, axis=2)
    raise ParameterError(f"reading must be one of {READINGS}, got {reading!r}")


def _mean_with_stderr(values: np.ndarray, kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    chosen = values[kept]
    count = chosen.shape[0]
    if count == 0:
        zeros = np.zeros(values.shape[1])
        return zeros, zeros.copy()
    mean = chosen.mean(axis=0)
    if count < 2:
        return mean, np.zeros_like(mean)
    return mean, chosen.std(axis=0, ddof=1) / np.sqrt(count)


def jbr_scores(
    directions: Any,
    probabilities: Any,
    *,
    reading: Reading = "jc_form",
    threshold: float = 0.9,
) -> PruningScores:
    r"""JBR importance of each group (paper 000, Eq. 16), in either reading.

    .. math::
        \text{jc\_form: } \mathbb{E}_x[(\delta_u^\top v_g)^2], \qquad
        \text{literal: } \mathbb{E}_x[\|\delta_u\|^2\|v_g\|^2],

    :math:`\delta_u = p - e_{c(x)}`, :math:`c(x) = \arg\max_k p_k(x)`, the mean over samples
    with :math:`p_{c(x)} > \tau`. Only ``jc_form`` equals the TPV contribution of Eq. 15
    divided by :math:`\sigma^2`; ``literal`` is :math:`\ge` it (Cauchy-Schwarz).

    Parameters
    ----------
    directions
        ``(n, G, K)`` logit-space directions :math:`v_g(x) = J_g(x) w_g`.
    probabilities
        ``(n, K)`` softmax probabilities of the reference network.
    reading
        ``"jc_form"`` or ``"literal"``.
    threshold
        :math:`\tau \in [0, 1)`; samples with :math:`p_c \le \tau` are dropped.

    Returns
    -------
    PruningScores

    Raises
    ------
    ShapeError, ParameterError
        On inconsistent shapes, non-probability rows, an unknown reading or a bad threshold.

    Examples
    --------
    One confident sample, :math:`p = (0.95, 0.05)`, so :math:`\delta_u = (-0.05, 0.05)`;
    group 0 moves both logits equally, group 1 only the second:

    >>> v = [[[1.0, 1.0], [0.0, 1.0]]]
    >>> jbr_scores(v, [[0.95, 0.05]]).scores.round(6)
    array([0.    , 0.0025])
    >>> jbr_scores(v, [[0.95, 0.05]], reading="literal").scores.round(6)
    array([0.01 , 0.005])
    """
    directions = _directions(directions)
    samples, _, outputs = directions.shape
    probabilities = _probabilities(probabilities, samples)
    if probabilities.shape[1] != outputs:
        raise ShapeError(f"probabilities must have {outputs} columns, got {probabilities.shape}")
    tau = check_nonnegative(threshold, "threshold")
    if tau >= 1.0:
        raise ParameterError(f"threshold must be < 1, got {tau:g}")
    predicted = np.argmax(probabilities, axis=1)
    kept = probabilities[np.arange(samples), predicted] > tau
    vectors = nll_logit_gradient(probabilities, predicted)
    scores, stderr = _mean_with_stderr(_per_sample(directions, vectors, reading), kept)
    return PruningScores(scores, stderr, kept, "jbr", reading, tau)


def jc_scores(
    directions: Any, probabilities: Any, labels: Any, *, reading: Reading = "jc_form"
) -> PruningScores:
    r"""Jacobian Criterion (Chen et al., 2025, as written in paper 000, Sec. 3.4).

    :math:`\mathbb{E}_x[(m_{JC}^\top v_g)^2]`, :math:`m_{JC} = p - y` (one-hot labels), over
    every sample; ``reading="literal"`` gives :math:`\mathbb{E}_x[\|m_{JC}\|^2\|v_g\|^2]`.

    Examples
    --------
    >>> jc_scores([[[1.0, 1.0], [0.0, 1.0]]], [[0.95, 0.05]], [0]).scores.round(6)
    array([0.    , 0.0025])
    """
    directions = _directions(directions)
    samples, _, outputs = directions.shape
    probabilities = _probabilities(probabilities, samples)
    if probabilities.shape[1] != outputs:
        raise ShapeError(f"probabilities must have {outputs} columns, got {probabilities.shape}")
    vectors = nll_logit_gradient(probabilities, labels)
    kept = np.ones(samples, dtype=bool)
    scores, stderr = _mean_with_stderr(_per_sample(directions, vectors, reading), kept)
    return PruningScores(scores, stderr, kept, "jc", reading, None)


def pruning_tpv(directions: Any, probabilities: Any, noise_scale: float) -> float:
    r"""First-order TPV of :math:`u` under Eq. 13's perturbation: Eq. 15 summed over groups.

    .. math::
        \mathrm{Tr}(H_{\mathrm{eff}}\,C_{\mathrm{prune}})
        = \sigma^2\sum_g \mathbb{E}_x[(\delta_u^\top v_g)^2],

    the mean over **all** samples (no threshold), :math:`H_{\mathrm{eff}} =
    \mathbb{E}_x[J_u^\top J_u]`, :math:`C_{\mathrm{prune}}` block-diagonal (Eq. 14).

    Examples
    --------
    >>> pruning_tpv([[[1.0, 1.0], [0.0, 1.0]]], [[0.75, 0.25]], 2.0)
    0.25
    """
    sigma = check_nonnegative(noise_scale, "noise_scale")
    directions = _directions(directions)
    probabilities = _probabilities(probabilities, directions.shape[0])
    vectors = nll_logit_gradient(probabilities, np.argmax(probabilities, axis=1))
    contributions = np.einsum("ngk,nk->ng", directions, vectors) ** 2
    return float(sigma**2 * contributions.mean(axis=0).sum())
