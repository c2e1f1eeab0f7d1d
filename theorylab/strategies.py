"""Reusable hypothesis strategies for theorems about curvature and noise.

Public, for users' own property tests; the property suites (``property_tests/``) and
``theorylab falsify`` draw from them. Each strategy covers the whole domain the relevant
assumptions allow — every rank from 0 to full, tall and wide shapes, several outputs, and
ill-conditioning — and shrinks to small, readable integer-valued cases.

Jacobians are built from integer factors and scaled column-wise by powers of two, so the
stored float64 matrix is *exactly* the intended one (rank included) and exact rational
oracles can judge the solvers without any rounding of their own.
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
    "pruning_instances",
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
def pruning_instances(
    draw: st.DrawFn, max_samples: int = 3, max_outputs: int = 4, max_groups: int = 3
) -> dict[str, np.ndarray]:
    """Group-pruning instances of paper 000, Sec. 3.4: logit Jacobians, weights, groups, logits.

    ``jacobian (n, K, p)`` and ``weights (p,)`` are small integers, ``group_sizes`` partition
    the ``p`` parameters into ``G`` groups of 1-2 parameters, and ``logits (n, K)`` are
    integers plus a margin 0-8 on one class, so that :math:`p_c` lands on both sides of 0.9.
    """
    samples = draw(st.integers(1, max_samples))
    outputs = draw(st.integers(2, max_outputs))
    sizes = draw(st.lists(st.integers(1, 2), min_size=2, max_size=max_groups))
    parameters = sum(sizes)
    jacobian = draw(hnp.arrays(np.int64, (samples, outputs, parameters), elements=_SMALL_INTEGERS))
    weights = draw(hnp.arrays(np.int64, (parameters,), elements=_SMALL_INTEGERS))
    logits = draw(hnp.arrays(np.int64, (samples, outputs), elements=_SMALL_INTEGERS))
    margins = draw(hnp.arrays(np.int64, (samples,), elements=st.integers(0, 8)))
    winners = draw(hnp.arrays(np.int64, (samples,), elements=st.integers(0, outputs - 1)))
    logits[np.arange(samples), winners] += margins
    return {
        "jacobian": jacobian.astype(np.float64),
        "weights": weights.astype(np.float64),
        "group_sizes": np.asarray(sizes, dtype=np.int64),
        "logits": logits.astype(np.float64),
    }


# --- paper 003 (curvature-aligned probing, ``subspace.*``) ---------------------------------


@st.composite
def quadratic_probe_instances(draw: st.DrawFn, max_dimension: int = 4) -> dict[str, object]:
    """Surrogates ``(a, c, B, σ)`` of paper 003, Eq. 9: any signs, ``B`` of any signature.

    Integer entries scaled by a power of two (exact in float64); ``σ = 2^e``, ``e ∈ [-6, 3]``.
    """
    dimension = draw(st.integers(1, max_dimension))
    scale = np.ldexp(1.0, draw(st.integers(-4, 4)))
    value_gap = draw(_SMALL_INTEGERS) * scale
    gradient = draw(hnp.arrays(np.int64, (dimension,), elements=_SMALL_INTEGERS)) * scale
    raw = draw(hnp.arrays(np.int64, (dimension, dimension), elements=_SMALL_INTEGERS))
    return {
        "value_gap": float(value_gap),
        "gradient": gradient.astype(np.float64),
        "hessian": (raw + raw.T).astype(np.float64) * scale,
        "sigma": float(np.ldexp(1.0, draw(st.integers(-6, 3)))),
    }


@st.composite
def eigenvalue_increment_instances(
    draw: st.DrawFn, max_size: int = 5, nonnegative: bool = False, ordered: bool = False
) -> dict[str, object]:
    """Common-eigenbasis spectra of paper 003, App. A, with ``1 ≤ D < N``.

    ``λ^{(k)}`` strictly descending (top-D well defined); increments ``δ`` of any sign and
    order unless ``nonnegative`` / ``ordered`` restrict them.
    """
    size = draw(st.integers(2, max_size))
    gaps = draw(hnp.arrays(np.int64, (size,), elements=st.integers(1, 4)))
    base = (np.cumsum(gaps[::-1])[::-1] - 2).astype(np.float64)
    low = 0 if nonnegative else -4
    increments = draw(hnp.arrays(np.int64, (size,), elements=st.integers(low, 4)))
    if ordered:
        increments = np.sort(increments)[::-1]
    return {
        "base_eigenvalues": base,
        "increments": increments.astype(np.float64),
        "dimension": draw(st.integers(1, size - 1)),
        "sigma": float(np.ldexp(1.0, draw(st.integers(-3, 2)))),
        "frame_seed": draw(st.integers(0, 2**16)),
    }


@st.composite
def quadratic_loss_sequences(draw: st.DrawFn, max_dimension: int = 3) -> dict[str, object]:
    """Per-sample quadratic losses ``ℓ_i(w) = α_i + β_iᵀw + ½ wᵀG_i w`` (paper 003, Eq. 6).

    ``G_i`` symmetric of any signature; ``k + 1`` of them, probe ``D ≤ N``, ``σ = 2^e``.
    """
    dimension = draw(st.integers(1, max_dimension))
    k = draw(st.integers(1, 5))
    offsets = draw(hnp.arrays(np.int64, (k + 1,), elements=_SMALL_INTEGERS))
    linear = draw(hnp.arrays(np.int64, (k + 1, dimension), elements=_SMALL_INTEGERS))
    raw = draw(hnp.arrays(np.int64, (k + 1, dimension, dimension), elements=_SMALL_INTEGERS))
    return {
        "offsets": offsets.astype(np.float64),
        "linear": linear.astype(np.float64),
        "curvatures": (raw + raw.transpose(0, 2, 1)).astype(np.float64),
        "probe_dimension": draw(st.integers(1, dimension)),
        "sigma": float(np.ldexp(1.0, draw(st.integers(-4, 2)))),
    }


__all__ += [
    "eigenvalue_increment_instances",
    "quadratic_loss_sequences",
    "quadratic_probe_instances",
]


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


__all__ += ["per_sample_hessian_stacks"]


# --- paper 004 (soft rank) -------------------------------------------------------------


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
__all__ += ["softrank_block_instances", "softrank_confident_predictions", "softrank_regularizers"]


@st.composite
def sgd_noise_problems(draw: st.DrawFn, max_size: int = 5) -> dict[str, object]:
    r"""Paper 002 instances ``(ntk, learning_rate, batch_size)`` over the whole allowed domain.

    NTK :math:`V\Lambda V^\top` with eigenvalues ``k / 8`` (``k`` in 1..16, any spread),
    eigenvectors from localised (``I``) through partly rotated (a Givens rotation by a drawn
    angle) to delocalised (QR of an integer matrix); :math:`\eta = f \cdot 2/\lambda_{\max}`
    with ``f`` in (0, 1) on a grid of 1/64; ``1 <= B <= D``.
    """
    size = draw(st.integers(1, max_size))
    eigenvalues = np.asarray(draw(st.lists(st.integers(1, 16), min_size=size, max_size=size))) / 8
    kind = draw(st.sampled_from(["localised", "rotated", "delocalised"]))
    frame = np.eye(size)
    if kind == "rotated" and size > 1:
        angle = draw(st.integers(1, 15)) * np.pi / 32
        first, second = draw(st.lists(st.integers(0, size - 1), min_size=2, max_size=2,
                                      unique=True))
        frame[[first, first, second, second], [first, second, first, second]] = [
            np.cos(angle), -np.sin(angle), np.sin(angle), np.cos(angle)]
    elif kind == "delocalised":
        raw = draw(hnp.arrays(np.int64, (size, size), elements=_SMALL_INTEGERS))
        frame, _ = np.linalg.qr(raw.astype(np.float64) + 4 * np.eye(size))
    ntk = frame @ np.diag(eigenvalues) @ frame.T
    fraction = draw(st.integers(1, 63)) / 64
    return {
        "ntk": (ntk + ntk.T) / 2,
        "learning_rate": float(fraction * 2 / eigenvalues.max()),
        "batch_size": draw(st.integers(1, size)),
        "localisation": kind,
    }
__all__ += ["sgd_noise_problems"]


@st.composite
def quadratic_regression_instances(draw: st.DrawFn, max_size: int = 4) -> dict[str, object]:
    r"""Paper 002's quadratic regression model (Eq. 12-13) at ``t = 0``, over its whole domain.

    ``J_0`` of any shape up to ``max_size`` (tall or wide) and any rank (integer entries / 2,
    zero allowed), a mode of :math:`\min(D, P)`, :math:`1 \le B \le D`, :math:`\eta` in
    (0, 2] on a grid of 1/8 (Theorem 3.1 puts no stability condition on two steps),
    curvature variances :math:`V_\gamma \in \{0, 1/4, \dots, 2\}` per left singular vector
    (any non-decreasing or not: the exact identities do not need it), :math:`V_z` likewise.
    """
    size = draw(st.integers(1, max_size))
    parameters = draw(st.integers(1, max_size))
    jacobian = draw(hnp.arrays(np.int64, (size, parameters), elements=_SMALL_INTEGERS)) / 2
    variance_grid = st.integers(0, 8).map(lambda k: k / 4)
    return {
        "jacobian": jacobian.astype(np.float64),
        "mode": draw(st.integers(0, min(size, parameters) - 1)),
        "batch_size": draw(st.integers(1, size)),
        "learning_rate": draw(st.integers(1, 16)) / 8,
        "curvature_variances": np.asarray(
            draw(st.lists(variance_grid, min_size=size, max_size=size)), dtype=np.float64
        ),
        "residual_variance": draw(variance_grid),
    }
__all__ += ["quadratic_regression_instances"]
