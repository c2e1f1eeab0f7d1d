"""Instances and ranking helpers shared by the ``tpv.jbr_pruning`` checks and searches."""

from __future__ import annotations

import itertools

import numpy as np

from theorylab.solvers.pruning import group_directions

__all__ = [
    "describe",
    "group_indices",
    "hand_minimal",
    "instance_scores",
    "random_instance",
    "ranking_flip",
    "softmax",
]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``(n, K)`` logits."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def group_indices(sizes: np.ndarray) -> list[np.ndarray]:
    """Parameter indices of consecutive groups of the given sizes."""
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    return [np.arange(start, stop) for start, stop in itertools.pairwise(bounds)]


def ranking_flip(
    first: np.ndarray, second: np.ndarray, margin: float = 1e-9
) -> tuple[int, int] | None:
    """A pair ``(g, h)`` that ``first`` ranks strictly above and ``second`` strictly below.

    Strictness is judged with a ``margin`` relative to the largest score of each ranking.

    Examples
    --------
    >>> ranking_flip(np.array([2.0, 1.0]), np.array([0.0, 1.0]))
    (0, 1)
    """
    scale_a = margin * max(float(np.max(np.abs(first))), 1e-300)
    scale_b = margin * max(float(np.max(np.abs(second))), 1e-300)
    for g, h in itertools.permutations(range(first.shape[0]), 2):
        if first[g] > first[h] + scale_a and second[g] < second[h] - scale_b:
            return g, h
    return None


def hand_minimal() -> dict[str, np.ndarray]:
    """One sample, K = 2, two groups: v_0 = (1, 1), v_1 = (0, 1), p = (15/16, 1/16) (exact)."""
    return {
        "directions": np.array([[[1.0, 1.0], [0.0, 1.0]]]),
        "probabilities": np.array([[15 / 16, 1 / 16]]),
    }


def random_instance(rng: np.random.Generator, samples: int, outputs: int,
                    sizes: list[int]) -> dict[str, np.ndarray]:
    """Random Jacobian, weights and logits with a confident class per sample (margin 2-8)."""
    parameters = sum(sizes)
    logits = rng.standard_normal((samples, outputs))
    logits[np.arange(samples), rng.integers(0, outputs, samples)] += rng.uniform(2, 8, samples)
    return {
        "jacobian": rng.standard_normal((samples, outputs, parameters)),
        "weights": rng.standard_normal(parameters),
        "group_sizes": np.asarray(sizes),
        "logits": logits,
    }


def instance_scores(instance: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Group directions ``v_g`` and softmax probabilities of an instance."""
    directions = group_directions(instance["jacobian"], instance["weights"],
                                  group_indices(instance["group_sizes"]))
    return directions, softmax(instance["logits"])


def describe(instance: dict[str, np.ndarray]) -> dict[str, object]:
    """The instance as JSON-ready lists (a counterexample's ``instance``)."""
    return {key: value.tolist() for key, value in instance.items()}
