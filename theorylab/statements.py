"""Empirical statements judged on intervals: supported, contradicted or undecided.

A paper's empirical sentence ("alpha > 1", "the best loss sits at K_f in [0.6, 0.8]") is
judged on an uncertainty interval of the measured quantity: *supported* when the interval
lies inside the statement's band, *contradicted* when it lies outside, *undecided* otherwise.
A claim made of several such statements is REFUTED if any is contradicted, INCONCLUSIVE if
any is undecided, and HOLDS_APPROX when all are supported.
"""

from __future__ import annotations

from collections.abc import Mapping

from theorylab.spec import Verdict

__all__ = ["CONTRADICTED", "SUPPORTED", "UNDECIDED", "combine_outcomes", "judge_interval"]

SUPPORTED, CONTRADICTED, UNDECIDED = "supported", "contradicted", "undecided"


def judge_interval(
    interval: tuple[float, float], low: float = 0.0, high: float = float("inf")
) -> str:
    """``supported`` if inside [low, high], ``contradicted`` if disjoint, else ``undecided``.

    The defaults judge "the quantity is positive".

    Examples
    --------
    >>> judge_interval((0.2, 0.4)), judge_interval((-0.3, -0.1)), judge_interval((-0.1, 0.2))
    ('supported', 'contradicted', 'undecided')
    """
    if low <= interval[0] and interval[1] <= high:
        return SUPPORTED
    if interval[1] < low or interval[0] > high:
        return CONTRADICTED
    return UNDECIDED


def combine_outcomes(outcomes: Mapping[str, str]) -> Verdict:
    """REFUTED if any statement is contradicted, INCONCLUSIVE if any is undecided.

    Otherwise (every statement supported) HOLDS_APPROX: empirical statements hold only
    within their measured uncertainty.

    Examples
    --------
    >>> combine_outcomes({"a": "supported", "b": "undecided"}).value
    'INCONCLUSIVE'
    """
    if CONTRADICTED in outcomes.values():
        return Verdict.REFUTED
    if UNDECIDED in outcomes.values():
        return Verdict.INCONCLUSIVE
    return Verdict.HOLDS_APPROX
