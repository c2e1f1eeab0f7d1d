"""Instance strategies of paper 000 (TPV, ``tpv.*``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from theorylab.strategies.matrices import _SMALL_INTEGERS

__all__ = ["pruning_instances"]


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
