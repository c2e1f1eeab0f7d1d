r"""Exact re-checks of paper 003's (subspace) stored counterexamples.

See :mod:`theorylab.errata.exact`. Proposition 3: with non-negative eigenvalue increments
:math:`\delta`, the top-:math:`D` eigenspace of :math:`H^{(k)}` maximises the probe's signal.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

from theorylab.errata.exact.common import ExactCheck, ExactFunction, exact_number
from theorylab.spec import Counterexample

__all__ = ["CHECKS"]


def _signal(increments: list[Fraction], subset: tuple[int, ...], sigma: Fraction) -> Fraction:
    r"""Eq. 15 on the compressed :math:`B = U^\top\mathrm{diag}(\delta)U` of eigen-directions.

    With :math:`a = 0`, :math:`c = 0` and :math:`U` the unit vectors of ``subset``,
    :math:`B = \mathrm{diag}(\delta_S)` and Eq. 15 is
    :math:`\tfrac{\sigma^4}{4}(2\,\mathrm{Tr}B^2 + (\mathrm{Tr}B)^2)`.
    """
    chosen = [increments[i] for i in subset]
    return sigma**4 / 4 * (2 * sum(d * d for d in chosen) + sum(chosen) ** 2)


def _proposition3(example: Counterexample) -> ExactCheck | None:
    r"""Paper 003, Prop. 3: the top-:math:`D` eigenspace against every :math:`D`-subset.

    In the common eigenbasis (``base_eigenvalues`` :math:`\lambda^{(k)}`, ``increments``
    :math:`\delta \ge 0`, ``dimension`` :math:`D`, ``sigma`` default 1), every eigen-index
    subset's signal by :func:`_signal`, in fractions. ``None`` where the top-:math:`D` set is
    not unique (a tie at the :math:`D`-th eigenvalue) or an increment is negative.
    """
    item = example.instance
    try:
        base = [exact_number(value) for value in item["base_eigenvalues"]]
        increments = [exact_number(value) for value in item["increments"]]
        dimension = exact_number(item["dimension"])
        sigma = exact_number(item.get("sigma", 1))
    except (KeyError, TypeError, ValueError):
        return None
    size = len(base)
    if (len(increments) != size or dimension.denominator != 1 or not 1 <= dimension < size
            or min(increments) < 0 or sigma <= 0):
        return None
    count = int(dimension)
    ranked = sorted(range(size), key=lambda i: -base[i])
    if base[ranked[count - 1]] == base[ranked[count]]:
        return None
    top = tuple(sorted(ranked[:count]))
    signals = {subset: _signal(increments, subset, sigma)
               for subset in combinations(range(size), count)}
    best = max(signals, key=signals.__getitem__)
    return ExactCheck(
        claimed=f"the top-{count} eigenspace (indices {list(top)}) maximises Delta_2: "
        f"Delta_2 = {signals[top]}",
        actual=f"max Delta_2 = {signals[best]} at indices {list(best)}",
        refutes=signals[best] > signals[top],
        arithmetic="fractions",
    )


CHECKS: dict[tuple[str, str], ExactFunction] = {
    ("subspace.extremality", "proposition3_minimal"): _proposition3,
    ("subspace.extremality", "proposition3_search"): _proposition3,
}
"""(claim id, check name) → exact re-check of that check's stored counterexample."""
