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
n = ``--max-n`` (up to ``--max-p``, 1e6) and of n at p = ``--n-sweep-p`` (up to
``--n-sweep-max``, 2048), and a log-log least-squares slope is fitted over the top
``--fit-points`` points of each sweep and printed beside the ideal exponent. Every operation
linear in n also has an O(p) part (writing the p-vector, the weights' reads); the n sweep
runs at a p where n up to 2048 fits, so that part is small against the O(np) one over the
top of the sweep:

=========================  ======  ======  ==============================================
operation                  in p    in n    why
=========================  ======  ======  ==============================================
gradient                   1       1       one forward and backward
HVP (Hessian-vector)       1       1       a second backward (the graph is reused)
GGN-vector                 1       1       one jvp and one vjp
exact Tr(H_eff)            1       1       per-sample Jacobians, sum of squares
Gram: J                    1       1       the per-sample Jacobians of the Gram route
Gram: JJ^T                 1       2*      the product J J^T from the held J
NTK Gram                   (sum)   (sum)   both phases; graded against their measured sum
Lanczos products           1       1       its m HVPs
Lanczos own work           1       0       O(m^2 p) orthogonalisation, independent of n (+)
=========================  ======  ======  ==============================================

\* The product phase forms only the upper block triangle of :math:`JJ^\top` over sample
chunks :math:`c_i` (:func:`gram_scaling.triangle_work`): :math:`\sum_{i\le j}c_ic_j` row
pairs, whose exponent in n rises to 2 from below; it is graded against that count's exponent
at the measured sizes and printed beside the asymptote 2.

(+) timed with the caches flushed after every product (:class:`CacheFlushing`,
``--flush-bytes``): a large problem's operator evicts the Krylov basis from the cache, a small
one's does not, and that difference, not the algorithm, made the warm-cache own work grow
with n. The sweeps' last column and the top-k split below are warm-cache, as a user runs.

Lanczos runs a fixed number of steps (``--lanczos-steps``) so its matvec count does not
change along the sweep; its time is split into operator products and its own work
(:func:`theorylab.gpu.instrument.time_split`), and the top-``--k`` eigenpair solve at the
largest p is reported with the same split (best of ``--repeats`` after a warm-up;
``--check-every`` sets how often the host reads the Lanczos scalars). A fitted exponent is
marked ``ok`` when it is within ``--slack`` (0.15) of the ideal.

The NTK Gram matrix costs :math:`a\,np` (per-sample Jacobians, a large constant) plus
:math:`b\,n^2p` (the product :math:`JJ^\top`), so its exponent in n is 2 only where the
second term dominates, above :math:`n^* = a/b`. The two phases are therefore timed apart
(``Gram: J`` and ``Gram: JJ^T``, the library's own two steps, each with its ideal), and the
whole ``ntk_gram`` call is graded against the exponent of the two phases' measured sum, so
any overhead of its own shows as a misfit. After each n sweep the two-term model is
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
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from fitting import geometric, slope
from gram_scaling import gram_timings, report_gram_model, triangle_work

import theorylab
from theorylab.gpu import (
    MLP,
    GGNOperator,
    HessianOperator,
    Objective,
    effective_curvature_trace,
    lanczos_eigenpairs,
)
from theorylab.gpu.instrument import time_split
from theorylab.gpu.lanczos import default_check_every, lanczos_iteration
from theorylab.gpu.linear_operator import CurvatureOperator

INPUT_DIM = 64
IDEAL = {  # operation: (exponent in p, exponent in n)
    "gradient": (1.0, 1.0),
    "HVP": (1.0, 1.0),
    "GGN-vector": (1.0, 1.0),
    "exact Tr(H_eff)": (1.0, 1.0),
    "Gram: J": (1.0, 1.0),
    "Gram: JJ^T": (1.0, 2.0),
    "NTK Gram": (None, None),  # None: the exponent of the two phases' measured sum
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
    """Fastest of at least ``repeats`` runs of ``function`` after one warm-up.

    An operation of a few milliseconds is repeated until about 0.25 s is spent (at most 50
    runs), as ``timeit``'s autorange does: a best of 3 at that scale moved the exponents by
    up to 0.1 between runs.
    """
    synchronize(device)
    start = clock()
    function()
    synchronize(device)
    warm = clock() - start
    times = []
    for _ in range(max(repeats, min(50, int(0.25 / max(warm, 1e-4))))):
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
        **gram_timings(model, inputs, args),
    }
    clock = CLOCKS[args.clock]
    results = {name: best_seconds(f, args.repeats, device, clock) for name, f in timings.items()}
    def lanczos(operator: CurvatureOperator) -> object:
        return lanczos_iteration(operator, start, args.lanczos_steps,
                                 check_every=args.check_every)

    warm = [time_split(lanczos, hessian, clock) for _ in range(args.repeats)]
    results["Lanczos products"] = min(s.operator for s in warm)
    cold = CacheFlushing(hessian, args.flush_bytes) if args.flush_bytes else hessian
    results["Lanczos own work"] = min(time_split(lanczos, cold, clock).own
                                      for _ in range(args.repeats))
    results[WARM_OWN] = min(s.own for s in warm)
    return results


WARM_OWN = "Lanczos own work, warm cache"


class CacheFlushing(CurvatureOperator):
    """``operator`` whose every product ends by streaming ``size`` bytes through the caches.

    At large n an HVP's working set evicts the Lanczos basis from the last-level cache (at
    p = 250k, 30 steps: own work 78 ms after products at n = 128, 109 ms at n = 2048; with
    this flush, 124 and 128 ms), so the warm-cache own work grows with n through the hardware,
    not the algorithm. The flush runs inside the product, so it is counted as operator time.
    """

    def __init__(self, operator: CurvatureOperator, size: int) -> None:
        super().__init__(operator.shape, operator.dtype, operator.device,
                         symmetric=operator.symmetric)
        self.operator = operator
        self.buffer = torch.zeros(max(1, size // 4), dtype=torch.float32, device=operator.device)

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        result = self.operator._matvec(vector)
        self.buffer.add_(1.0)
        return result


def last_level_cache_bytes() -> int:
    """The CPU's last-level cache in bytes from sysfs (64 MiB when it cannot be read)."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    sizes = []
    for path in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*/size"):
        text = path.read_text().strip()
        sizes.append(int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text))
    return max(sizes, default=64 * 2**20)


def sweep(name: str, sizes: list[int], run: Callable[[int], dict[str, float]]
          ) -> dict[str, list[float]]:
    """Time every operation along one axis and print a row per size."""
    print(f"\n== sweep in {name} (ms; Lanczos own work with a cold cache; last column: "
          f"Lanczos own share, warm cache)")
    print(" " * 14 + " ".join(f"{operation[:10]:>10s}" for operation in IDEAL))
    table: dict[str, list[float]] = {operation: [] for operation in IDEAL}
    for size in sizes:
        results = run(size)
        for operation in IDEAL:
            table[operation].append(results[operation])
        cells = " ".join(f"{results[operation] * 1e3:10.4g}" for operation in IDEAL)
        own = results[WARM_OWN] / (results[WARM_OWN] + results["Lanczos products"])
        print(f"  {name}={size:>9,} {cells}   {own:.0%}")
    return table


def report_exponents(axis: int, name: str, sizes: list[int], table: dict[str, list[float]],
                     args: argparse.Namespace, parameters: int = 0) -> bool:
    """Print fitted vs ideal exponents over the top of the range; True when all are ok.

    On the n axis (``parameters`` = the fixed p) the product phase ``Gram: JJ^T`` is graded
    against the exponent of its exact work (:func:`triangle_work`), printed beside its
    asymptote 2.
    """
    top = slice(-args.fit_points, None)
    print(f"\n  fitted exponent in {name} over {name} = {sizes[top][0]:,} .. {sizes[-1]:,}:")
    good = True
    for operation, seconds in table.items():
        fitted, ideal = slope(sizes[top], seconds[top]), IDEAL[operation][axis]
        label = f"ideal {ideal:.0f}" if ideal is not None else ""
        if ideal is None:  # the whole Gram call against the sum of its two measured phases
            phases = [j + p for j, p in zip(table["Gram: J"], table["Gram: JJ^T"], strict=True)]
            ideal = slope(sizes[top], phases[top])
            label = f"phases' sum {ideal:.2f}"
        elif operation == "Gram: JJ^T" and axis == 1:
            work = [triangle_work(n, parameters, args.memory_budget) for n in sizes]
            ideal = slope(sizes[top], work[top])
            label = f"block-triangle work {ideal:.2f}, asymptote 2"
        ok = abs(fitted - ideal) <= args.slack
        good &= ok
        print(f"    {operation:24s} {fitted:5.2f}  ({label})  "
              f"{'ok' if ok else 'OFF by ' + format(fitted - ideal, '+.2f')}")
    return good


def gram_n_sweep(args: argparse.Namespace, device: torch.device) -> bool:
    """The NTK Gram matrix alone, n up to ``--gram-max-n`` at p = ``--gram-p``."""
    sizes = geometric(args.gram_max_n, args.points, args.factor)
    clock = CLOCKS[args.clock]
    print(f"\n== NTK Gram alone, sweep in n at p = {args.gram_p:,} (ms: J, JJ^T, whole call)")
    table: dict[str, list[float]] = {}
    parameters = 0
    for samples in sizes:
        model, inputs, _ = problem(args.gram_p, samples, device)
        parameters = sum(p.numel() for p in model.parameters())
        for name, function in gram_timings(model, inputs, args).items():
            table.setdefault(name, []).append(best_seconds(function, args.repeats, device,
                                                           clock))
        cells = " ".join(f"{seconds[-1] * 1e3:10.4g}" for seconds in table.values())
        print(f"  n={samples:>9,} {cells}")
    ok = report_exponents(1, "n", sizes, table, args, parameters)
    report_gram_model(sizes, table["NTK Gram"], parameters, args)
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


SECTIONS = ("p", "n", "lanczos", "gram-n")


def parse_arguments() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--sections", default="p,n,lanczos",
                        help=f"comma-separated, of {', '.join(SECTIONS)}")
    parser.add_argument("--max-p", type=int, default=1_000_000)
    parser.add_argument("--max-n", type=int, default=512)
    parser.add_argument("--n-sweep-p", type=int, default=250_000,
                        help="p of the sweep in n (J for n up to --n-sweep-max must fit thrice)")
    parser.add_argument("--n-sweep-max", type=int, default=2048, help="largest n of the n sweep")
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
    parser.add_argument("--flush-bytes", type=int, default=last_level_cache_bytes(),
                        help="bytes streamed after each product when timing Lanczos' own "
                             "work (default: the last-level cache; 0: warm cache)")
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
        n_sizes = geometric(args.n_sweep_max, args.points, args.factor)
        n_table = sweep("n", n_sizes, lambda n: measure(args.n_sweep_p, n, args, device))
        fixed_p = sum(p.numel() for p in problem(args.n_sweep_p, 1, device)[0].parameters())
        good &= report_exponents(1, "n", n_sizes, n_table, args, fixed_p)
        report_gram_model(n_sizes, n_table["NTK Gram"], fixed_p, args)
    if "gram-n" in args.sections:
        good &= gram_n_sweep(args, device)
    if "lanczos" in args.sections:
        lanczos_split(args, device)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
