"""Instance strategies of paper 003 (curvature-aligned probing, ``subspace.*``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from theorylab.strategies.matrices import _SMALL_INTEGERS

__all__ = [
    "eigenvalue_increment_instances",
    "quadratic_loss_sequences",
    "quadratic_probe_instances",
]


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
