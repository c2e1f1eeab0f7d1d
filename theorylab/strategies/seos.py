"""Instance strategies of paper 002 (conservative sharpening and S-EOS, ``seos.*``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from theorylab.strategies.matrices import _SMALL_INTEGERS

__all__ = ["quadratic_regression_instances", "sgd_noise_problems"]


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
        first, second = draw(
            st.lists(st.integers(0, size - 1), min_size=2, max_size=2, unique=True)
        )
        frame[[first, first, second, second], [first, second, first, second]] = [
            np.cos(angle),
            -np.sin(angle),
            np.sin(angle),
            np.cos(angle),
        ]
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
