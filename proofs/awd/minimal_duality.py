r"""App. E.1 (Lemma 3.2, Eq. 52-54): the minimal weight change dual to an activity change.

:func:`minimal_duality_derivation` solves :math:`\min\|\Delta W\|_F` subject to
:math:`\Delta Wa=W\Delta a` row by row with a Lagrangian, then checks the closed form,
the duality and its minimality against every other solution.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.awd.common import grid, real_symbols
from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["minimal_duality_derivation"]


def _row_steps(
    weight: sympy.Matrix, activity: sympy.Matrix, delta: sympy.Matrix, columns: int
) -> tuple[list[DerivationStep], list[sympy.Matrix]]:
    """Eq. 53-54 for each row: stationarity and the multiplier; also the rows built."""
    norm_squared = (activity.T * activity)[0, 0]
    steps = []
    built_rows = []
    for row in range(weight.rows):
        w_row = weight[row, :]
        multiplier = (w_row * delta)[0, 0] / norm_squared
        candidate = multiplier * activity.T
        mu = sympy.Symbol("mu", real=True)
        variable = sympy.Matrix(1, columns, real_symbols(f"x{row + 1}_", columns))
        lagrangian = (variable * variable.T)[0, 0] / 2 - mu * (
            (variable * activity)[0, 0] - (w_row * delta)[0, 0]
        )
        gradient = sympy.Matrix([[sympy.diff(lagrangian, v) for v in variable]])
        stationary = gradient.subs(dict(zip(variable, (mu * activity.T), strict=True)))
        steps.append(
            equality_step(
                f"stationarity_row{row + 1}",
                "Eq. 53",
                r"\partial_{\Delta w_i}\mathcal L = 0 \Rightarrow \Delta w_i = \mu a",
                stationary,
                sympy.zeros(1, columns),
            )
        )
        constraint = (candidate * activity)[0, 0] - (w_row * delta)[0, 0]
        steps.append(
            equality_step(
                f"multiplier_row{row + 1}",
                "Eq. 54",
                r"\mu = w_i^\top\Delta a/\|a\|^2 \text{ satisfies Eq. 52}",
                constraint,
                0,
            )
        )
        built_rows.append(candidate)
    return steps, built_rows


def _closed_form_steps(
    weight: sympy.Matrix,
    activity: sympy.Matrix,
    delta: sympy.Matrix,
    built_rows: list[sympy.Matrix],
) -> list[DerivationStep]:
    """Lemma 3.2 and Def. 3.1: the outer-product form, duality, null space, minimality."""
    rows, columns = weight.shape
    norm_squared = (activity.T * activity)[0, 0]
    stacked = sympy.Matrix.vstack(*built_rows)
    closed_form = weight * delta * activity.T / norm_squared
    steps = [
        equality_step(
            "outer_product",
            "Lemma 3.2",
            r"\Delta W = (W\Delta a)a^\top/\|a\|^2",
            stacked,
            closed_form,
        ),
        equality_step(
            "duality",
            "Def. 3.1, Eq. 8",
            r"(W+\Delta W)a = W(a+\Delta a)",
            (weight + closed_form) * activity,
            weight * (activity + delta),
        ),
    ]
    other = grid("M", rows, columns)
    null_part = other * (sympy.eye(columns) - activity * activity.T / norm_squared)
    steps.append(
        equality_step(
            "null_space",
            "Def. 3.1",
            r"N = M(I - aa^\top/\|a\|^2) \Rightarrow Na = 0",
            null_part * activity,
            sympy.zeros(rows, 1),
        )
    )
    total = closed_form + null_part
    steps.append(
        equality_step(
            "minimality",
            "Def. 3.1",
            r"\|\Delta W + N\|_F^2 = \|\Delta W\|_F^2 + \|N\|_F^2"
            r"\ (\text{every other solution is longer})",
            (total.T * total).trace(),
            (closed_form.T * closed_form).trace() + (null_part.T * null_part).trace(),
            method="cancel",
        )
    )
    return steps


def minimal_duality_derivation(rows: int = 2, columns: int = 2) -> list[DerivationStep]:
    r"""App. E.1: Lagrangian solution of :math:`\min\|\Delta W\|_F`, :math:`\Delta Wa=W\Delta a`."""
    weight = grid("W", rows, columns)
    activity = sympy.Matrix(real_symbols("a", columns))
    delta = sympy.Matrix(real_symbols("d", columns))
    steps, built_rows = _row_steps(weight, activity, delta, columns)
    return steps + _closed_form_steps(weight, activity, delta, built_rows)
