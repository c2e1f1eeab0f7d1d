r"""What ``theorylab.diagnose(...)`` costs, quantity by quantity, against p and against n.

Run (from the repository root, in the dev venv)::

    .venv/bin/python benchmarks/diagnose.py                       # p up to 1M at n = 128
    .venv/bin/python benchmarks/diagnose.py --max-p 100000 --max-n 128 --points 3
    .venv/bin/python benchmarks/diagnose.py --skip 001,spectral_density
    .venv/bin/python benchmarks/diagnose.py --device cuda

The model is the MLP of ``benchmarks/scaling.py`` (64 inputs, two hidden layers of width w,
one output, p ~ w^2; its ``problem`` builds it, with Gaussian inputs and targets) and the loss
is ``"mse"``; after one uncounted warm-up diagnosis, each size runs one
:func:`theorylab.diagnose` at ``--level`` (default ``quick``) and reads every quantity's own
time from the :class:`Diagnosis` (a quantity's ``seconds``; moments that share the SLQ run's
cost carry 0 and are not listed). The p sweep is
geometric up to ``--max-p`` at n = ``--max-n``; the n sweep up to ``--max-n`` at
p = ``--n-sweep-p``. A log-log slope is fitted over the top ``--fit-points`` sizes with
``scaling.slope`` (imported, not copied) and printed per quantity with the method used at
those sizes; ``method changed`` marks a quantity whose algorithm switched inside the fitted
range, whose slope then mixes two cost laws. The switches are diagnose's own:

* Tr ∇²L is exact (p Hessian-vector products, cost ~p²) up to
  ``LEVELS[level].exact_trace_parameters`` parameters (5,000 at ``quick``), Hutch++ (a fixed
  number of products, ~p) above;
* paper 001's per-sample Hessians are taken over every parameter up to 512, else over the last
  weight matrix (w entries here), on at most ``hessian_samples`` samples;
* paper 002's kernel is a sub-kernel of at most ``kernel_samples`` samples (n-independent).

What does not scale can be left out with ``--skip`` (any of ``theorylab.diagnose.model.
SKIP_NAMES``: ``hessian_trace``, ``spectral_density``, ``000``, ``001``, ``002``); a skipped
part is reported as not computed. The expected exponents (p: about 1 for every product-based
quantity; n: 1 for products, 2 for the NTK Gram matrix of the label-noise TPV, about 0 for
the capped sub-kernels) are the mathematics' and are printed, never adjusted.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fitting import geometric, slope
from scaling import problem, width_for

import theorylab
from theorylab.diagnose.model import SKIP_NAMES, Diagnosis

Timing = dict[str, tuple[float, str]]
"""Quantity label -> (seconds, method)."""


def timings(diagnosis: Diagnosis) -> Timing:
    """Every quantity's own time and method, labelled ``section/name``; plus the total."""
    found: Timing = {}
    sections = [("curvature", diagnosis.curvature),
                *((paper.paper, paper.quantities) for paper in diagnosis.papers)]
    for section, quantities in sections:
        for quantity in quantities:
            if quantity.computed and quantity.seconds > 0:
                found[f"{section}/{quantity.name}"] = (quantity.seconds, quantity.method)
    found["total (diagnose)"] = (diagnosis.seconds, "")
    return found


def run_once(parameters: int, samples: int, args: argparse.Namespace) -> tuple[int, Timing]:
    """One diagnosis of the benchmark MLP at about ``parameters`` parameters, n = ``samples``."""
    model, inputs, targets = problem(parameters, samples, torch.device(args.device))
    size = sum(p.numel() for p in model.parameters())
    start = time.perf_counter()
    diagnosis = theorylab.diagnose(
        model, (inputs, targets), loss="mse", learning_rate=args.learning_rate,
        batch_size=min(args.batch_size, samples), level=args.level,
        dtype=getattr(torch, args.dtype), memory_budget=args.memory_budget,
        skip=args.skip, seed=0)
    wall = time.perf_counter() - start
    print(f"    p = {size:>9,} (w = {width_for(parameters)}), n = {samples:>5}: "
          f"{wall:7.1f} s", flush=True)
    return size, timings(diagnosis)


def sweep(axis: str, sizes: list[int], run: object, args: argparse.Namespace) -> None:
    """Diagnose at each size, print each quantity's seconds and its fitted exponent."""
    print(f"\n== diagnose cost against {axis} (seconds per quantity)")
    measured = [run(size) for size in sizes]  # type: ignore[operator]
    xs = [m[0] for m in measured] if axis == "p" else sizes
    labels = list(dict.fromkeys(label for _, found in measured for label in found))
    print(f"  {'quantity':44s}" + "".join(f"{axis}={x:>10,}" for x in xs)
          + f"   exponent (top {args.fit_points})")
    top = slice(-args.fit_points, None)
    for label in labels:
        cells = [found.get(label) for _, found in measured]
        row = "".join(f"{c[0]:12.3g}" if c else f"{'—':>12s}" for c in cells)
        fitted = cells[top]
        if len(fitted) >= 2 and all(fitted):
            exponent = slope(xs[top], [c[0] for c in fitted])
            methods = sorted({c[1] for c in fitted})
            note = (f"{exponent:5.2f}" + ("  method changed: " + " -> ".join(
                dict.fromkeys(c[1] for c in fitted)) if len(methods) > 1 else ""))
        else:
            note = "  —  (not computed at every fitted size)"
        print(f"  {label[:44]:44s}{row}   {note}")


def parse_arguments() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--sections", default="p,n", help="p, n or p,n")
    parser.add_argument("--max-p", type=int, default=1_000_000)
    parser.add_argument("--max-n", type=int, default=128)
    parser.add_argument("--n-sweep-p", type=int, default=50_000, help="p of the n sweep")
    parser.add_argument("--points", type=int, default=4, help="sizes per sweep")
    parser.add_argument("--factor", type=float, default=4.0, help="ratio of adjacent p sizes")
    parser.add_argument("--n-factor", type=float, default=2.0, help="ratio of adjacent n sizes")
    parser.add_argument("--fit-points", type=int, default=3, help="top sizes in each fit")
    parser.add_argument("--level", default="quick", choices=("quick", "full"))
    parser.add_argument("--dtype", default="float64", choices=("float64", "float32"))
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="CPU torch threads")
    parser.add_argument("--memory-budget", type=int, default=4 * 1024**3,
                        help="bytes one dense request of diagnose may take")
    parser.add_argument("--skip", default="",
                        help=f"comma-separated parts not to compute, of {', '.join(SKIP_NAMES)}")
    args = parser.parse_args()
    args.skip = [name.strip() for name in args.skip.split(",") if name.strip()]
    unknown = sorted(set(args.skip) - set(SKIP_NAMES))
    if unknown:
        parser.error(f"--skip: unknown part(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(SKIP_NAMES)}")
    args.sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    if not set(args.sections) <= {"p", "n"} or args.fit_points < 2:
        parser.error("--sections takes p, n or p,n; --fit-points must be >= 2")
    return args


def main() -> int:
    """Run the sweeps and print the per-quantity costs and exponents."""
    args = parse_arguments()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("CUDA requested but not available: nothing measured.")
        return 0
    if args.device == "cpu":
        torch.set_num_threads(args.threads)
    print(f"theorylab diagnose benchmark  command: {' '.join(sys.argv)}")
    print(f"device {args.device}, {torch.get_num_threads()} torch thread(s), level "
          f"{args.level}, {args.dtype}, skip {args.skip or 'nothing'}; python "
          f"{platform.python_version()}, torch {torch.__version__}, theorylab "
          f"{theorylab.__version__}; MLP 64-w-w-1, mse, wall clock, one run per size")
    print("  warm-up (not counted):", end="", flush=True)
    run_once(1_000, 16, args)
    if "p" in args.sections:
        sizes = geometric(args.max_p, args.points, args.factor)
        sweep("p", sizes, lambda p: run_once(p, args.max_n, args), args)
    if "n" in args.sections:
        sizes = geometric(args.max_n, args.points, args.n_factor)
        sweep("n", sizes, lambda n: run_once(args.n_sweep_p, n, args), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
