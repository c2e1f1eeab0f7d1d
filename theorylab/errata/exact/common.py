"""Exact-number primitives of the errata's hand-checkable counterexamples.

An errata sheet prints a counterexample only as "the few numbers a reader needs" when every
number of its instance is a small rational (:func:`small_rational`): ``0.9375`` is printed
``15/16``, ``0.19999999999999996`` is not small (it is a float64 rounding of 1/5, and a
reader cannot check a rounding). The per-paper re-checks (:mod:`theorylab.errata.exact.awd`
and its siblings) read a *stored* instance with :func:`exact_number`, :func:`exact_matrices`
and :func:`sympy_matrix` and return both sides of the claim as an :class:`ExactCheck`;
:mod:`theorylab.errata.exact.registry` dispatches to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from typing import Any

from theorylab.spec import Counterexample

__all__ = [
    "ExactCheck",
    "ExactFunction",
    "exact_matrices",
    "exact_number",
    "instance_numbers",
    "matrix_text",
    "scalar_of",
    "small_rational",
    "sympy_matrix",
]

MAX_NUMERATOR = 100
"""Largest |numerator| of a number a reader checks by hand."""
MAX_DENOMINATOR = 100
"""Largest denominator of a number a reader checks by hand (15/16, 1/10, 9/2 are small)."""
MAX_NUMBERS = 24
"""Most numbers in one hand-checkable instance (a few 2x2 matrices)."""


@dataclass(frozen=True)
class ExactCheck:
    """Both sides of a claim on a stored instance, recomputed in exact arithmetic."""

    claimed: str
    """What the paper's statement says on the instance (exact)."""
    actual: str
    """What is true on the instance (exact)."""
    refutes: bool
    """Whether the exact values contradict the statement."""
    arithmetic: str
    """``fractions`` or ``sympy``."""


def small_rational(value: Any) -> Fraction | None:
    """``value`` as a small :class:`~fractions.Fraction` if it is one exactly, else ``None``.

    Examples
    --------
    >>> small_rational(0.9375), small_rational(0.1), small_rational(0.19999999999999996)
    (Fraction(15, 16), Fraction(1, 10), None)
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        guess = Fraction(value).limit_denominator(MAX_DENOMINATOR)
    except (OverflowError, ValueError):  # inf, nan
        return None
    if float(guess) != float(value) or abs(guess.numerator) > MAX_NUMERATOR:
        return None
    return guess


def instance_numbers(instance: dict[str, Any]) -> dict[str, str] | None:
    """The instance as ``name → exact text`` if it is hand-checkable, else ``None``.

    Hand-checkable: at least one number, at most :data:`MAX_NUMBERS`, each a
    :func:`small_rational`; strings (a named law, a basis) are kept as words.

    Examples
    --------
    >>> instance_numbers({"jacobian": [[1.0], [1.0]], "batch_size": 1, "p": [0.9375, 0.0625]})
    {'jacobian': '[[1], [1]]', 'batch_size': '1', 'p': '[15/16, 1/16]'}
    >>> instance_numbers({"K": 96, "p": 384}) is None
    True
    """
    count = 0

    def text(value: Any) -> str | None:
        nonlocal count
        if isinstance(value, str):
            return value
        if isinstance(value, list | tuple):
            parts = [text(item) for item in value]
            return None if None in parts else "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
        exact = small_rational(value)
        if exact is None:
            return None
        count += 1
        return str(exact)

    shown = {key: text(value) for key, value in instance.items()}
    if count == 0 or count > MAX_NUMBERS or None in shown.values():
        return None
    return shown  # type: ignore[return-value]


def exact_number(value: Any) -> Fraction:
    """A stored number as the small rational it denotes (``0.1`` → 1/10); else ValueError."""
    exact = small_rational(value)
    if exact is None:
        raise ValueError(f"{value!r} is not a small rational")
    return exact


def exact_matrices(value: Any) -> list[list[list[Fraction]]]:
    """A stack of stored matrices as exact small rationals; else ValueError."""
    return [[[exact_number(entry) for entry in row] for row in matrix] for matrix in value]


def scalar_of(value: Any) -> Any:
    """The entry of a 1x1 (or 1, or 1x1x1) nested list; else ValueError."""
    while isinstance(value, list):
        if len(value) != 1:
            raise ValueError("not a 1x1 instance")
        value = value[0]
    return value


def matrix_text(matrix: list[list[Fraction]]) -> str:
    """A matrix of fractions as ``[[1/2, 0], [0, 1]]``."""
    return "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in matrix) + "]"


def sympy_matrix(rows: Any) -> Any:
    """A stored matrix as a :class:`sympy.Matrix` of exact rationals; else ValueError."""
    import sympy

    return sympy.Matrix([[sympy.Rational(exact_number(entry)) for entry in row] for row in rows])


ExactFunction = Callable[[Counterexample], ExactCheck | None]
"""A re-check: a stored counterexample → its exact two sides, or ``None`` (not applicable)."""
