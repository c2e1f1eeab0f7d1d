"""Instance strategies of paper 004 (soft rank, ``softrank.*``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from theorylab.strategies.matrices import _SMALL_INTEGERS

__all__ = ["softrank_block_instances", "softrank_confident_predictions", "softrank_regularizers"]


@st.composite
def softrank_regularizers(draw: st.DrawFn, size: int) -> float | np.ndarray:
    """A regulariser of paper 004: a scalar ``2^k`` (k in [-6, 6]) or an SPD ``G Gᵀ + 2^k I``."""
    exponent = draw(st.integers(-6, 6))
    if draw(st.booleans()):
        return float(np.ldexp(1.0, exponent))
    factor = draw(hnp.arrays(np.int64, (size, size), elements=_SMALL_INTEGERS)).astype(float)
    return factor @ factor.T + np.ldexp(1.0, exponent) * np.eye(size)


@st.composite
def softrank_block_instances(
    draw: st.DrawFn, max_blocks: int = 3, max_block: int = 3
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """``(A, B, sizes)`` of paper 004, Prop. 6.1: PSD ``A`` of any rank, block-diagonal SPD ``B``.

    ``A = G Gᵀ`` with integer ``G`` (columns scaled by ``2^[-4, 4]``); each diagonal block of
    ``B`` is ``H Hᵀ + 2^k I`` (k in [-6, 4]), so ``B`` ranges from near-singular to dominant.
    """
    sizes = draw(st.lists(st.integers(1, max_block), min_size=1, max_size=max_blocks))
    total = sum(sizes)
    rank = draw(st.integers(0, total))
    factor = draw(hnp.arrays(np.int64, (total, rank), elements=_SMALL_INTEGERS)).astype(float)
    exponents = draw(hnp.arrays(np.int64, (rank,), elements=st.integers(-4, 4)))
    factor = factor * np.ldexp(1.0, exponents)
    regularizer = np.zeros((total, total))
    start = 0
    for size in sizes:
        block = draw(hnp.arrays(np.int64, (size, size), elements=_SMALL_INTEGERS)).astype(float)
        shift = np.ldexp(1.0, draw(st.integers(-6, 4)))
        block = block @ block.T + shift * np.eye(size)
        regularizer[start : start + size, start : start + size] = block
        start += size
    return factor @ factor.T, regularizer, sizes


@st.composite
def softrank_confident_predictions(
    draw: st.DrawFn, max_samples: int = 5, max_classes: int = 4
) -> tuple[np.ndarray, np.ndarray, float]:
    """``(probabilities, labels, ε)`` with ``1 - p[label] <= ε < 1/2`` (paper 004, Prop. 5.4).

    The true class gets ``1 - ε·u`` (u in [0, 1]); the rest ``ε·u`` is split by random weights,
    so rows are on the simplex, including one-hot-like and maximally spread cases.
    """
    samples = draw(st.integers(1, max_samples))
    classes = draw(st.integers(2, max_classes))
    epsilon = draw(st.floats(1e-6, 0.5, exclude_max=True))
    labels = draw(hnp.arrays(np.int64, (samples,), elements=st.integers(0, classes - 1)))
    rows = []
    for label in labels:
        mass = epsilon * draw(st.floats(0.0, 1.0))
        split = draw(hnp.arrays(np.float64, (classes - 1,), elements=st.floats(0.0, 1.0)))
        total_split = split.sum()
        split = split / total_split if total_split > 0 else np.full(classes - 1, 1 / (classes - 1))
        row = np.insert(mass * split, int(label), 1.0 - mass)
        rows.append(row / row.sum())
    return np.array(rows), labels, epsilon
