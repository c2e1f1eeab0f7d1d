r"""The NTK Gram route's two phases for ``scaling.py``: timings, exact work, a two-term model.

:func:`theorylab.gpu.ntk_gram` holds the per-sample Jacobian :math:`J` (``held_jacobian``,
:math:`O(np)`) and then adds the upper block triangle of :math:`JJ^\top` (``held_gram``,
:math:`O(n^2p)`); these are timed apart and together, and the whole call's times are fitted
by :math:`t = a\,np + b\,n^2p`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import torch
from fitting import slope

from theorylab.gpu import ntk_gram
from theorylab.gpu.adapter import FunctionalModel
from theorylab.gpu.jacobian import held_gram, held_jacobian
from theorylab.gpu.memory import chunk_size_for

__all__ = ["gram_cost_model", "gram_timings", "report_gram_model", "triangle_work"]


def gram_timings(model: torch.nn.Module, inputs: torch.Tensor, args: argparse.Namespace
                 ) -> dict[str, Callable[[], object]]:
    """The NTK Gram route's two phases (on a held J) and the whole ``ntk_gram`` call."""
    functional = FunctionalModel(model)
    tensor = functional.inputs(inputs)
    budget = args.memory_budget

    def jacobian() -> list[tuple[int, torch.Tensor]]:
        return held_jacobian(functional, tensor, None, budget)

    blocks = jacobian()
    rows = blocks[-1][0] + blocks[-1][1].shape[0]
    return {
        "Gram: J": jacobian,
        "Gram: JJ^T": lambda: held_gram(
            torch.zeros(rows, rows, dtype=tensor.dtype, device=tensor.device), blocks),
        "NTK Gram": lambda: ntk_gram(model, inputs, memory_budget=budget),
    }


def triangle_work(samples: int, parameters: int, budget: int) -> int:
    r"""Row pairs :math:`\sum_{i\le j}c_ic_j` the block triangle of ``held_gram`` multiplies.

    ``held_jacobian`` cuts the n samples into chunks :math:`c_i` (``chunk_size_for``, float32,
    one output), and the product phase forms only the blocks with :math:`i \le j`: its work is
    this count times :math:`2p` flops, :math:`(n^2 + nc)p` for equal chunks, so its exponent in
    n rises to 2 from below as the chunks multiply.
    """
    chunk = chunk_size_for(samples, parameters * 4, None, budget)
    sizes = [min(chunk, samples - start) for start in range(0, samples, chunk)]
    return sum(a * b for i, a in enumerate(sizes) for b in sizes[i:])


def gram_cost_model(sizes: list[int], seconds: list[float]) -> tuple[float, float]:
    """Least-squares ``(a', b')`` of ``t(n) = a' n + b' n^2`` in relative error (p fixed).

    Rows are divided by the measured time so every size weighs alike on a geometric sweep;
    ``a' = a p`` and ``b' = b p``.
    """
    design = np.array([[n / t, n * n / t] for n, t in zip(sizes, seconds, strict=True)])
    (linear, quadratic), *_ = np.linalg.lstsq(design, np.ones(len(sizes)), rcond=None)
    return float(linear), float(quadratic)


def report_gram_model(sizes: list[int], seconds: list[float], parameters: int,
                      args: argparse.Namespace) -> None:
    """Print the two-term NTK Gram cost model beside the measured exponent in n."""
    linear, quadratic = gram_cost_model(sizes, seconds)
    model = [linear * n + quadratic * n * n for n in sizes]
    misfit = max(abs(m - t) / t for m, t in zip(model, seconds, strict=True))
    top = slice(-args.fit_points, None)
    measured, predicted = slope(sizes[top], seconds[top]), slope(sizes[top], model[top])
    print(f"\n  NTK Gram cost model t = a n p + b n^2 p at p = {parameters:,} (fitted to all "
          f"{len(sizes)} sizes, max relative misfit {misfit:.0%}):")
    print(f"    a = {linear / parameters:.3g} s (per-sample Jacobian entry), "
          f"b = {quadratic / parameters:.3g} s (J J^T, 2 flops per entry: "
          f"{2 / (quadratic / parameters) / 1e9:.3g} GFLOP/s)")
    if linear <= 0 or quadratic <= 0:
        print("    a or b is not positive: the times do not resolve the two terms")
        return
    crossover = linear / quadratic
    local = (linear + 2 * quadratic * sizes[-1]) / (linear + quadratic * sizes[-1])
    # local exponent (1 + 2x)/(1 + x), x = n/n*, reaches 2 - slack at x = (1 - slack)/slack
    within = crossover * (1 - args.slack) / args.slack
    print(f"    crossover n* = a/b = {crossover:,.0f}: exponent over n = {sizes[top][0]:,} .. "
          f"{sizes[-1]:,} measured {measured:.2f}, model {predicted:.2f}; model at "
          f"n = {sizes[-1]:,}: {local:.2f}; within {args.slack} of 2 only above "
          f"n = {within:,.0f} (ideal stays 2)")
