r"""How theorylab.gpu's costs scale with the parameter count p and the sample count n.

Run (from the repository root, in the dev venv)::

    .venv/bin/python benchmarks/scaling.py                          # CPU, p up to 1e6
    .venv/bin/python benchmarks/scaling.py --max-p 250000 --max-n 256  # a quick look
    .venv/bin/python benchmarks/scaling.py --device cuda
    .venv/bin/python benchmarks/scaling.py --sections lanczos --max-p 250000 --max-n 128
    .venv/bin/python benchmarks/scaling.py --sections gram-n --gram-p 20000 --gram-max-n 4096

The model is an MLP (64 inputs, two hidden layers of width w, one output; mean squared
error), so p ~ w^2 and a gradient costs ~6np flops. Each operation is timed (best of
``--repeats`` runs after one warm-up; ``--clock process`` counts this process's CPU time,
which a shared machine disturbs less than the wall) on a geometric sweep of p at
n = ``--max-n`` and of n at p = ``--max-p``, and a log-log least-squares slope is fitted over
the top ``--fit-points`` points of each sweep and printed beside the ideal exponent:

=========================  ======  ======  ==============================================
operation                  in p    in n    why
=========================  ======  ======  ==============================================
gradient                   1       1       one forward and backward
HVP (Hessian-vector)       1       1       a second backward (the graph is reused)
GGN-vector                 1       1       one jvp and one vjp
exact Tr(H_eff)            1       1       per-sample Jacobians, sum of squares
NTK Gram matrix            1       2       n^2 p for J J^T (plus n p for J)
Lanczos products           1       1       its m HVPs
Lanczos own work           1       0       O(m^2 p) orthogonalisation, independent of n
=========================  ======  ======  ==============================================

Lanczos runs a fixed number of steps (``--lanczos-steps``) so its matvec count does not
change along the sweep; its time is split into operator products and its own work
(:func:`theorylab.gpu.instrument.time_split`), and the top-``--k`` eigenpair solve at the
largest p is reported with the same split (best of ``--repeats`` after a warm-up;
``--check-every`` sets how often the host reads the Lanczos scalars). A fitted exponent is
marked ``ok`` when it is within ``--slack`` (0.15) of the ideal.

The NTK Gram matrix costs :math:`a\,np` (per-sample Jacobians, a large constant) plus
:math:`b\,n^2p` (the product :math:`JJ^\top`), so its exponent in n is 2 only where the
second term dominates, above :math:`n^* = a/b`. After each n sweep the two-term model is
fitted to the measured times (least squares in relative error) and printed with :math:`n^*`,
the exponent the model predicts over the same top sizes (beside the measured one) and at the
top size, and the n above which the model's exponent is within ``--slack`` of 2. Section
``gram-n`` sweeps the Gram matrix alone to ``--gram-max-n`` at the smaller ``--gram-p``,
where large n is affordable. The ideal exponents are the mathematics' and are never adjusted.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import torch

import theorylab
from theorylab.gpu import (
    MLP,
    GGNOperator,
    HessianOperator,
    Objective,
    effective_curvature_trace,
    lanczos_eigenpairs,
    ntk_gram,
)
from theorylab.gpu.instrument import time_split
from theorylab.gpu.lanczos import default_check_every, lanczos_iteration

INPUT_DIM = 64
IDEAL = {  # operation: (exponent in p, exponent in n)
    "gradient": (1.0, 1.0),
    "HVP": (1.0, 1.0),
    "GGN-vector": (1.0, 1.0),
    "exact Tr(H_eff)": (1.0, 1.0),
    "NTK Gram": (1.0, 2.0),
    "Lanczos products": (1.0, 1.0),
    "Lanczos own work": (1.0, 0.0),
}


def width_for(parameters: int) -> int:
    """Hidden width w with p = w^2 + (INPUT_DIM + 4) w + 1 closest to ``parameters``."""
    b = INPUT_DIM + 4
    return max(1, round((-b + math.sqrt(b * b + 4 * (parameters - 1))) / 2))


def synchronize(device: torch.device) -> None:
    """Wait for queued CUDA work so wall-clock times are complete."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


CLOCKS = {"wall": time.perf_counter, "process": time.process_time}


def best_seconds(function: Callable[[], object], repeats: int, device: torch.device,
                 clock: Callable[[], float]) -> float:
    """Fastest of ``repeats`` runs of ``function`` after one warm-up (the least disturbed)."""
    function()
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = clock()
        function()
        synchronize(device)
        times.append(clock() - start)
    return min(times)


def problem(parameters: int, samples: int, device: torch.device
            ) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """An MLP with about ``parameters`` parameters and ``samples`` Gaussian inputs."""
    model = MLP(INPUT_DIM, width_for(parameters), 2, output_dim=1, seed=0).to(device)
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(samples, INPUT_DIM, generator=generator).to(device)
    targets = torch.randn(samples, 1, generator=generator).to(device)
    return model, inputs, targets


def measure(parameters: int, samples: int, args: argparse.Namespace,
            device: torch.device) -> dict[str, float]:
    """Seconds of every operation at one size (Lanczos split into products and own work)."""
    model, inputs, targets = problem(parameters, samples, device)
    objective = Objective(model, inputs, targets, chunk_size=samples)
    hessian, ggn = HessianOperator(objective), GGNOperator(objective)
    vector = torch.randn(hessian.shape[0], generator=torch.Generator().manual_seed(2))
    vector = vector.to(device)
    weights = [p for p in model.parameters()]

    def gradient() -> object:
        loss = 0.5 * (model(inputs) - targets).square().sum(1).mean()
        return torch.autograd.grad(loss, weights)

    start = torch.randn(hessian.shape[0], generator=torch.Generator().manual_seed(3)).to(device)
    timings = {
        "gradient": gradient,
        "HVP": lambda: hessian @ vector,
        "GGN-vector": lambda: ggn @ vector,
        "exact Tr(H_eff)": lambda: effective_curvature_trace(model, inputs),
        "NTK Gram": lambda: ntk_gram(model, inputs, memory_budget=args.memory_budget),
    }
    clock = CLOCKS[args.clock]
    results = {name: best_seconds(f, args.repeats, device, clock) for name, f in timings.items()}
    splits = [time_split(lambda op: lanczos_iteration(op, start, args.lanczos_steps,
                                                      check_every=args.check_every),
                         hessian, clock) for _ in range(args.repeats)]
    results["Lanczos products"] = min(s.operator for s in splits)
    results["Lanczos own work"] = min(s.own for s in splits)
    return results


def slope(sizes: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) against log(size)."""
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)


def sweep(name: str, sizes: list[int], run: Callable[[int], dict[str, float]]
          ) -> dict[str, list[float]]:
    """Time every operation along one axis and print a row per size."""
    print(f"\n== sweep in {name} (ms; last column: Lanczos own share)")
    print(" " * 14 + " ".join(f"{operation[:10]:>10s}" for operation in IDEAL))
    table: dict[str, list[float]] = {operation: [] for operation in IDEAL}
    for size in sizes:
        results = run(size)
        for operation, seconds in results.items():
            table[operation].append(seconds)
        cells = " ".join(f"{seconds * 1e3:10.4g}" for seconds in results.values())
        own = results["Lanczos own work"] / (results["Lanczos own work"]
                                             + results["Lanczos products"])
        print(f"  {name}={size:>9,} {cells}   {own:.0%}")
    return table


def report_exponents(axis: int, name: str, sizes: list[int], table: dict[str, list[float]],
                     args: argparse.Namespace) -> bool:
    """Print fitted vs ideal exponents over the top of the range; True when all are ok."""
    top = slice(-args.fit_points, None)
    print(f"\n  fitted exponent in {name} over {name} = {sizes[top][0]:,} .. {sizes[-1]:,}:")
    good = True
    for operation, seconds in table.items():
        fitted, ideal = slope(sizes[top], seconds[top]), IDEAL[operation][axis]
        ok = abs(fitted - ideal) <= args.slack
        good &= ok
        print(f"    {operation:24s} {fitted:5.2f}  (ideal {ideal:.0f})  "
              f"{'ok' if ok else 'OFF by ' + format(fitted - ideal, '+.2f')}")
    return good


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


def gram_n_sweep(args: argparse.Namespace, device: torch.device) -> bool:
    """The NTK Gram matrix alone, n up to ``--gram-max-n`` at p = ``--gram-p``."""
    sizes = geometric(args.gram_max_n, args.points, args.factor)
    clock = CLOCKS[args.clock]
    print(f"\n== NTK Gram alone, sweep in n at p = {args.gram_p:,} (ms)")
    seconds = []
    parameters = 0
    for samples in sizes:
        model, inputs, _ = problem(args.gram_p, samples, device)
        parameters = sum(p.numel() for p in model.parameters())
        seconds.append(best_seconds(lambda m=model, x=inputs: ntk_gram(
            m, x, memory_budget=args.memory_budget), args.repeats, device, clock))
        print(f"  n={samples:>9,} {seconds[-1] * 1e3:10.4g}")
    top = slice(-args.fit_points, None)
    fitted, ideal = slope(sizes[top], seconds[top]), IDEAL["NTK Gram"][1]
    ok = abs(fitted - ideal) <= args.slack
    print(f"\n  fitted exponent in n over n = {sizes[top][0]:,} .. {sizes[-1]:,}: "
          f"{fitted:5.2f}  (ideal {ideal:.0f})  "
          f"{'ok' if ok else 'OFF by ' + format(fitted - ideal, '+.2f')}")
    report_gram_model(sizes, seconds, parameters, args)
    return ok


def lanczos_split(args: argparse.Namespace, device: torch.device) -> None:
    """Top-k Lanczos at the largest p: products against own time, best of ``--repeats``."""
    model, inputs, targets = problem(args.max_p, args.max_n, device)
    hessian = HessianOperator(Objective(model, inputs, targets, chunk_size=args.max_n))

    def solve(operator: object) -> object:
        return lanczos_eigenpairs(operator, args.k, seed=0, check_every=args.check_every)

    solve(hessian)  # warm-up: kernels, allocator, the reused graph
    split = min((time_split(solve, hessian, CLOCKS[args.clock]) for _ in range(args.repeats)),
                key=lambda run: run.total)
    result = split.result
    krylov = result.matvecs - args.k  # products minus the k residual checks
    every = args.check_every or default_check_every(device)
    print(f"\n== top-{args.k} Hessian eigenpairs by Lanczos at p={hessian.shape[0]:,}, "
          f"n={args.max_n} (host reads every {every} step(s), best of {args.repeats}): "
          f"{split.total:.3g} s, {split.products} products "
          f"({split.operator:.3g} s, {split.operator / split.products * 1e3:.3g} ms each; "
          f"{krylov} Krylov steps incl. overshoot), "
          f"own time {split.own:.3g} s = {split.own_fraction:.0%} of the total (aim <= 25%); "
          f"max rel. residual {float(result.relative_residuals.max()):.1e}; eigenvalues "
          + ", ".join(f"{v:.6g}" for v in result.eigenvalues.tolist()))


def geometric(maximum: int, points: int, factor: float) -> list[int]:
    """``points`` sizes from ``maximum / factor^(points-1)`` up to ``maximum``."""
    return [round(maximum / factor ** (points - 1 - i)) for i in range(points)]


SECTIONS = ("p", "n", "lanczos", "gram-n")


def parse_arguments() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--sections", default="p,n,lanczos",
                        help=f"comma-separated, of {', '.join(SECTIONS)}")
    parser.add_argument("--max-p", type=int, default=1_000_000)
    parser.add_argument("--max-n", type=int, default=512)
    parser.add_argument("--points", type=int, default=5, help="sizes per sweep")
    parser.add_argument("--factor", type=float, default=2.0, help="ratio of adjacent sizes")
    parser.add_argument("--fit-points", type=int, default=3, help="top sizes in each fit")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="CPU torch threads")
    parser.add_argument("--lanczos-steps", type=int, default=30)
    parser.add_argument("--k", type=int, default=5, help="eigenpairs for the split at max p")
    parser.add_argument("--check-every", type=int, default=None,
                        help="Lanczos host-read interval (default: 1 on CPU, 8 on CUDA)")
    parser.add_argument("--gram-p", type=int, default=20_000, help="p of the gram-n section")
    parser.add_argument("--gram-max-n", type=int, default=4096,
                        help="largest n of the gram-n section")
    parser.add_argument("--slack", type=float, default=0.15)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time, or this process's CPU time (steadier on a shared "
                             "machine with --threads 1; not for CUDA)")
    parser.add_argument("--memory-budget", type=int, default=8 * 1024**3,
                        help="bytes for the NTK Gram matrix and its Jacobian blocks")
    args = parser.parse_args()
    args.sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = sorted(set(args.sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from "
                     f"{', '.join(SECTIONS)}")
    return args


def main() -> int:
    """Run the chosen sections, print exponents and the Lanczos split; exit 1 if any is off."""
    args = parse_arguments()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("CUDA requested but not available: nothing measured.")
        return 0
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    print(f"theorylab scaling  command: {' '.join(sys.argv)}")
    print(f"device {device}, {torch.get_num_threads()} torch thread(s), {args.clock} clock, "
          f"best of {args.repeats}; python "
          f"{platform.python_version()}, torch {torch.__version__}, theorylab "
          f"{theorylab.__version__}; float32 MLP {INPUT_DIM}-w-w-1, mean squared error")
    good = True
    if "p" in args.sections:
        p_sizes = geometric(args.max_p, args.points, args.factor)
        p_table = sweep("p", p_sizes, lambda p: measure(p, args.max_n, args, device))
        good &= report_exponents(0, "p", p_sizes, p_table, args)
    if "n" in args.sections:
        n_sizes = geometric(args.max_n, args.points, args.factor)
        n_table = sweep("n", n_sizes, lambda n: measure(args.max_p, n, args, device))
        good &= report_exponents(1, "n", n_sizes, n_table, args)
        report_gram_model(n_sizes, n_table["NTK Gram"],
                          sum(p.numel() for p in problem(args.max_p, 1, device)[0].parameters()),
                          args)
    if "gram-n" in args.sections:
        good &= gram_n_sweep(args, device)
    if "lanczos" in args.sections:
        lanczos_split(args, device)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
