"""Helpers shared by several ``awd.*`` claims."""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab.spec import Counterexample

__all__ = ["stack_counterexample"]


def stack_counterexample(stack: np.ndarray, message: str, **values: Any) -> Counterexample:
    """The counterexample whose instance is a per-sample Hessian stack.

    ``values`` are the other :class:`~theorylab.spec.Counterexample` fields given
    (``claimed``, ``actual``); fields not given keep their defaults.
    """
    return Counterexample(
        instance={"per_sample_hessians": stack.tolist()}, message=message, **values
    )

