"""Speed/accuracy of theorylab.gpu curvature tools on an MLP trained-at-init on digits.

Run: .venv/bin/python benchmarks/curvature_costs.py [--width 64] [--samples 512]

1. HVP cost / gradient cost (wall-clock ratio, median of repeats).
2. Exact Tr(H_eff) (per-sample Jacobians) vs Hutchinson run to 1% relative stderr.
3. Lanczos vs deflated power iteration: HVPs to reach relative residual 1e-3 on the top-10
   Hessian eigenpairs.
Comparison libraries (curvlinops, pyhessian, backpack) are reported when importable.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable

import torch

from theorylab.gpu import (
    MLP,
    EffectiveCurvatureOperator,
    HessianOperator,
    Objective,
    effective_curvature_trace,
    hutchinson_trace,
    lanczos_eigenpairs,
    load_digits,
    power_iteration_eigenpairs,
)


def median_seconds(function: Callable[[], object], repeats: int = 7) -> float:
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--samples", type=int, default=512)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()

    inputs, labels = load_digits()
    inputs, labels = inputs[: args.samples], labels[: args.samples]
    model = MLP(64, args.width, args.depth, output_dim=10, seed=0)
    objective = Objective(model, inputs, labels, loss="cross_entropy", device=args.device,
                          chunk_size=args.samples)
    hessian = HessianOperator(objective)
    p = hessian.shape[0]
    print(f"MLP 64-{args.width}x{args.depth}-10, p={p}, n={args.samples}, device={hessian.device}")

    vector = torch.ones(p, dtype=hessian.dtype, device=hessian.device)
    gradient = torch.func.grad(objective)
    t_grad = median_seconds(lambda: gradient(objective.theta))
    t_hvp = median_seconds(lambda: hessian @ vector)
    print(f"[1] gradient {t_grad * 1e3:.2f} ms, HVP {t_hvp * 1e3:.2f} ms, HVP/grad = "
          f"{t_hvp / t_grad:.2f}")

    start = time.perf_counter()
    exact = effective_curvature_trace(model, inputs, device=args.device)
    t_exact = time.perf_counter() - start
    start = time.perf_counter()
    estimate = hutchinson_trace(EffectiveCurvatureOperator(objective), matvecs=5000, seed=0,
                                relative_tolerance=0.01)
    t_hutch = time.perf_counter() - start
    error = abs(estimate.value - exact.value) / exact.value
    print(f"[2] exact Tr(H_eff) = {exact.value:.6g} in {t_exact:.2f} s; Hutchinson "
          f"{estimate.value:.6g} ± {estimate.stderr:.2g} ({estimate.matvecs} matvecs, "
          f"{t_hutch:.2f} s, true rel. error {error:.2%})")

    lanczos = lanczos_eigenpairs(hessian, 10, tolerance=1e-3, seed=0)
    print(f"[3] Lanczos: {lanczos.matvecs} HVPs, converged={lanczos.converged}, "
          f"max rel. residual {float(lanczos.relative_residuals.max()):.1e}")
    power = power_iteration_eigenpairs(hessian, 10, tolerance=1e-3, max_iterations=2000, seed=0)
    print(f"    power iteration: {power.matvecs} HVPs, converged={power.converged}, "
          f"max rel. residual {float(power.relative_residuals.max()):.1e}; "
          f"ratio power/Lanczos = {power.matvecs / lanczos.matvecs:.1f}")

    for library in ("curvlinops", "pyhessian", "backpack"):
        installed = importlib.util.find_spec(library) is not None
        status = "installed (see benchmarks/compare.py)" if installed else "not installed"
        print(f"    {library}: {status}")


if __name__ == "__main__":
    main()
