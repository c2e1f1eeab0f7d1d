"""Generic strategies: integer-exact matrices, Jacobian pairs, PSD pairs, Hessian stacks.

Each covers every rank from 0 to full, tall and wide shapes and ill-conditioning (columns
scaled by powers of two), and shrinks to small, readable integer-valued cases; every float64
entry is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "JacobianPair",
    "design_matrices",
    "jacobian_pairs",
    "low_rank_integer_matrices",
    "per_sample_hessian_stacks",
    "psd_matrices",
    "symmetric_matrices",
    "symmetric_psd_pairs",
]

_SMALL_INTEGERS = st.integers(min_value=-3, max_value=3)


def low_rank_integer_matrices(
    rows: int, columns: int, rank: int, entries: st.SearchStrategy[int] = _SMALL_INTEGERS
) -> st.SearchStrategy[np.ndarray]:
    """Float64 matrices ``F @ G`` with integer factors of inner size ``rank`` (rank ≤ ``rank``).

    ``rank = 0`` gives the zero matrix.
    """
    left = hnp.arrays(np.int64, (rows, rank), elements=entries)
    right = hnp.arrays(np.int64, (rank, columns), elements=entries)
    return st.builds(lambda a, b: (a @ b).astype(np.float64), left, right)


@dataclass(frozen=True)
class JacobianPair:
    """Train and test Jacobians with the same parameters (and outputs), float64, exact."""

    train: np.ndarray
    test: np.ndarray
    outputs: int

    @property
    def train_rows(self) -> np.ndarray:
        """Train Jacobian stacked to ``(n K, p)``."""
        return self.train.reshape(-1, self.train.shape[-1])

    @property
    def test_rows(self) -> np.ndarray:
        """Test Jacobian stacked to ``(n_te K, p)``."""
        return self.test.reshape(-1, self.test.shape[-1])

    def describe(self) -> dict[str, object]:
        """JSON-friendly description for counterexample reports."""
        return {
            "jacobian_train": self.train.tolist(),
            "jacobian_test": self.test.tolist(),
            "outputs": self.outputs,
        }


@st.composite
def jacobian_pairs(
    draw: st.DrawFn,
    max_samples: int = 5,
    max_parameters: int = 7,
    max_outputs: int = 2,
    max_test_samples: int = 4,
    max_scale_exponent: int = 8,
) -> JacobianPair:
    """Train/test Jacobian pairs of any rank and shape, scalar or vector outputs.

    The training Jacobian is a rank-≤r integer product (r drawn from 0 to full), the test
    Jacobian an unrelated integer matrix; both share a column scaling by powers of two in
    ``[2^-e, 2^e]``, which makes the pair as ill-conditioned as ``2^(2e)`` times the integer
    factors allow while keeping every entry exact.
    """
    samples = draw(st.integers(1, max_samples))
    parameters = draw(st.integers(1, max_parameters))
    outputs = draw(st.integers(1, max_outputs))
    test_samples = draw(st.integers(1, max_test_samples))
    rows = samples * outputs
    rank = draw(st.integers(0, min(rows, parameters)))
    train = draw(low_rank_integer_matrices(rows, parameters, rank))
    test = draw(
        hnp.arrays(np.int64, (test_samples * outputs, parameters), elements=_SMALL_INTEGERS)
    )
    exponents = draw(
        hnp.arrays(
            np.int64,
            (parameters,),
            elements=st.integers(-max_scale_exponent, max_scale_exponent),
        )
    )
    scale = np.ldexp(1.0, exponents)
    train = train * scale
    test = test.astype(np.float64) * scale
    if outputs == 1 and draw(st.booleans()):
        return JacobianPair(train=train, test=test, outputs=1)
    return JacobianPair(
        train=train.reshape(samples, outputs, parameters),
        test=test.reshape(test_samples, outputs, parameters),
        outputs=outputs,
    )


def symmetric_matrices(max_size: int = 6) -> st.SearchStrategy[np.ndarray]:
    """Symmetric float64 matrices with small integer entries."""
    return st.integers(1, max_size).flatmap(
        lambda size: hnp.arrays(np.int64, (size, size), elements=_SMALL_INTEGERS).map(
            lambda a: (a + a.T).astype(np.float64)
        )
    )


@st.composite
def psd_matrices(draw: st.DrawFn, max_size: int = 6) -> np.ndarray:
    """PSD float64 matrices ``G Gᵀ`` of any rank (0 to full), with small integer factors."""
    size = draw(st.integers(1, max_size))
    rank = draw(st.integers(0, size))
    factor = draw(hnp.arrays(np.int64, (size, rank), elements=_SMALL_INTEGERS))
    return (factor @ factor.T).astype(np.float64)


@st.composite
def symmetric_psd_pairs(draw: st.DrawFn, max_size: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Same-size pairs ``(A, B)``: ``A`` symmetric of any signature, ``B = G Gᵀ`` PSD of any rank.

    Integer entries (exact in float64), columns of ``G`` scaled by powers of two in
    ``[2^-6, 2^6]`` so that ``B`` can be ill-conditioned; the domain of paper 000, App. A.3.
    """
    size = draw(st.integers(1, max_size))
    raw = draw(hnp.arrays(np.int64, (size, size), elements=_SMALL_INTEGERS))
    rank = draw(st.integers(0, size))
    factor = draw(hnp.arrays(np.int64, (size, rank), elements=_SMALL_INTEGERS)).astype(np.float64)
    exponents = draw(hnp.arrays(np.int64, (rank,), elements=st.integers(-6, 6)))
    factor = factor * np.ldexp(1.0, exponents)
    return (raw + raw.T).astype(np.float64), factor @ factor.T


@st.composite
def design_matrices(draw: st.DrawFn, max_samples: int = 5, max_dimension: int = 7) -> np.ndarray:
    """Design matrices ``X (n, d)`` of every shape (``d < n`` too) and rank, exact in float64.

    A rank-≤r integer product with columns scaled by powers of two in ``[2^-4, 2^4]``; covers
    the assumptions of paper 000, Remark 3.1 (i) (``d ≥ n``, full row rank) and their failure.
    """
    samples = draw(st.integers(1, max_samples))
    dimension = draw(st.integers(1, max_dimension))
    rank = draw(st.integers(0, min(samples, dimension)))
    matrix = draw(low_rank_integer_matrices(samples, dimension, rank))
    exponents = draw(hnp.arrays(np.int64, (dimension,), elements=st.integers(-4, 4)))
    return matrix * np.ldexp(1.0, exponents)


@st.composite
def per_sample_hessian_stacks(
    draw: st.DrawFn, max_samples: int = 4, max_size: int = 4, psd: bool | None = True
) -> np.ndarray:
    """Stacks ``(n, p, p)`` of per-sample Hessians (paper 001), exact in float64.

    ``psd=True`` gives ``G Gᵀ`` of every rank and alignment, ``False`` symmetric integer
    matrices of any signature, ``None`` either per slice. Each slice is scaled by a power of
    two in ``[2^-3, 2^3]``.
    """
    samples = draw(st.integers(1, max_samples))
    size = draw(st.integers(1, max_size))
    slices = []
    for _ in range(samples):
        positive = draw(st.booleans()) if psd is None else psd
        if positive:
            rank = draw(st.integers(0, size))
            factor = draw(hnp.arrays(np.int64, (size, rank), elements=_SMALL_INTEGERS))
            matrix = (factor @ factor.T).astype(np.float64)
        else:
            raw = draw(hnp.arrays(np.int64, (size, size), elements=_SMALL_INTEGERS))
            matrix = (raw + raw.T).astype(np.float64)
        slices.append(matrix * np.ldexp(1.0, draw(st.integers(-3, 3))))
    return np.stack(slices)
