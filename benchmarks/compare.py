"""Cost ratios of theorylab.gpu curvature tools, and head-to-head with other libraries.

Run (from the repository root, in the bench venv of ``benchmarks/README.md``)::

    /work/bench-venv/bin/python benchmarks/compare.py                 # CPU default, < 5 min
    /work/bench-venv/bin/python benchmarks/compare.py --device cuda   # adds >= 1M-param models

Prints, for an MLP, a CNN and a transformer on one batch with the mean cross-entropy loss:

[hvp]    HVP / gradient wall-clock (theorylab reverse-over-reverse default, which reuses
         the gradient graph on one batch; the same with the graph rebuilt per product; and
         forward-over-reverse), medians of interleaved repeats;
[match]  theorylab vs curvlinops Hessian and GGN matvecs: max relative difference of the
         outputs first (and of each HVP against a float64 central difference of the
         gradient), then the time ratio (target <= 1.25);
[trace]  exact Tr(H_eff) from per-sample Jacobians vs Hutchinson run to 1% relative stderr;
[eigen]  top-10 Hessian eigenpairs at relative residual 1e-3: Lanczos vs deflated power
         iteration (theorylab's and PyHessian's), HVP counts and wall time (MLP only on
         CPU by default: the power iterations need thousands of HVPs);
[grads]  per-sample gradients, theorylab (vmap of grad) vs BackPACK BatchGrad, compared on
         Tr C = (1/n) sum_i ||g_i||^2 (uncentered gradient covariance).

The comparison libraries are optional: a missing one is reported and its rows skipped.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import platform
import sys
from collections.abc import Callable

import torch
from compare_models import (
    MIN_SAMPLE_SECONDS,
    Case,
    build_cases,
    finite_difference_hvp,
    median_seconds,
    milliseconds,
    plain_gradient,
    relative_difference,
    timed,
)
from comparison_libraries import (
    PyHessianEigen,
    backpack_per_sample_gradients,
    curvlinops_operators,
    library_version,
)

import theorylab
from theorylab.gpu import (
    EffectiveCurvatureOperator,
    GGNOperator,
    GradientCovarianceOperator,
    HessianOperator,
    Objective,
    effective_curvature_trace,
    exact_trace,
    hutchinson_trace,
    lanczos_eigenpairs,
    power_iteration_eigenpairs,
)

EIGEN_K = 10
EIGEN_TOLERANCE = 1e-3
TRACE_TOLERANCE = 0.01
# PyHessian stops on the relative change of the eigenvalue, not on the residual: tighten it.
PYHESSIAN_TOLERANCES = (1e-3, 1e-6, 1e-8)


def compare_matvecs(case: Case, objective: Objective, args: argparse.Namespace,
                    summary: dict[str, float]) -> None:
    """[hvp] and [match]: HVP/gradient ratios and matvecs against curvlinops."""
    device = objective.functional.device
    hessian = HessianOperator(objective)  # one batch: the gradient graph is reused
    hessian_rebuilt = HessianOperator(objective, reuse_graph=False)
    hessian_forward = HessianOperator(objective, mode="forward")
    ggn = GGNOperator(objective)
    vector = torch.randn(hessian.shape[0], generator=torch.Generator().manual_seed(1))
    vector = vector.to(device=device, dtype=hessian.dtype)
    functional_gradient = torch.func.grad(objective)
    functions: dict[str, Callable[[], object]] = {
        "gradient": plain_gradient(case),
        "gradient (theorylab functional)": lambda: functional_gradient(objective.theta),
        "HVP reverse-over-reverse (default)": lambda: hessian @ vector,
        "HVP reverse, graph rebuilt per product": lambda: hessian_rebuilt @ vector,
        "HVP forward-over-reverse": lambda: hessian_forward @ vector,
        "GGN-vector": lambda: ggn @ vector,
    }
    reverse, forward = hessian @ vector, hessian_forward @ vector
    oracle = finite_difference_hvp(case, vector)
    print(f"  [match] max rel. diff vs float64 central difference of the gradient: theorylab "
          f"HVP reverse {relative_difference(reverse, oracle):.1e}, forward "
          f"{relative_difference(forward, oracle):.1e}")
    curvlinops = curvlinops_operators(case.model, case.inputs, case.labels)
    if curvlinops is not None:
        functions["curvlinops Hessian-vector"] = lambda: curvlinops["hessian"] @ vector
        functions["curvlinops GGN-vector"] = lambda: curvlinops["ggn"] @ vector
        theirs = curvlinops["hessian"] @ vector
        print(f"  [match] max rel. diff curvlinops HVP vs the same oracle "
              f"{relative_difference(theirs, oracle):.1e}; theorylab vs curvlinops: Hessian "
              f"{relative_difference(reverse, theirs):.1e}, GGN "
              f"{relative_difference(ggn @ vector, curvlinops['ggn'] @ vector):.1e}")
    seconds = median_seconds(functions, args.repeats, device)
    gradient = seconds["gradient"]
    for name, value in seconds.items():
        print(f"  [hvp] {name:40s} {milliseconds(value):>10s}  {value / gradient:5.2f} x grad")
    summary[f"{case.name}: HVP/grad (reverse, default)"] = (
        seconds["HVP reverse-over-reverse (default)"] / gradient)
    summary[f"{case.name}: HVP/grad (reverse, graph rebuilt)"] = (
        seconds["HVP reverse, graph rebuilt per product"] / gradient)
    summary[f"{case.name}: HVP/grad (forward-over-reverse)"] = (
        seconds["HVP forward-over-reverse"] / gradient)
    if curvlinops is not None:
        hessian_ratio = seconds["HVP reverse-over-reverse (default)"] / seconds[
            "curvlinops Hessian-vector"]
        ggn_ratio = seconds["GGN-vector"] / seconds["curvlinops GGN-vector"]
        print(f"  [match] time theorylab / curvlinops: Hessian {hessian_ratio:.2f}, "
              f"GGN {ggn_ratio:.2f} (target <= 1.25)")
        summary[f"{case.name}: theorylab/curvlinops Hessian matvec"] = hessian_ratio
        summary[f"{case.name}: theorylab/curvlinops GGN matvec"] = ggn_ratio


def compare_traces(case: Case, objective: Objective, summary: dict[str, float]) -> None:
    """[trace]: exact Tr(H_eff) from per-sample Jacobians vs Hutchinson to 1% stderr."""
    device = objective.functional.device
    model = copy.deepcopy(case.model).to(device)
    exact, t_exact = timed(lambda: effective_curvature_trace(model, case.inputs), device)
    operator = EffectiveCurvatureOperator(objective)
    estimate, t_hutch = timed(lambda: hutchinson_trace(
        operator, matvecs=4000, seed=0, relative_tolerance=TRACE_TOLERANCE), device)
    error = abs(estimate.value - exact.value) / exact.value
    reached = estimate.stderr <= TRACE_TOLERANCE * abs(estimate.value)
    print(f"  [trace] exact Tr(H_eff) = {exact.value:.6g} in {t_exact:.3g} s; Hutchinson "
          f"{estimate.value:.6g} +- {estimate.stderr:.2g} after {estimate.matvecs} matvecs in "
          f"{t_hutch:.3g} s (1% reached: {reached}; true rel. error {error:.2%}); "
          f"time Hutchinson/exact = {t_hutch / t_exact:.1f}")
    summary[f"{case.name}: Hutchinson(1%)/exact trace time"] = t_hutch / t_exact


def compare_eigensolvers(case: Case, objective: Objective, args: argparse.Namespace,
                         summary: dict[str, float]) -> None:
    """[eigen]: top-10 at relative residual 1e-3, Lanczos vs power iteration vs PyHessian."""
    device = objective.functional.device
    hessian = HessianOperator(objective)

    def report(name: str, values: torch.Tensor, vectors: torch.Tensor, hvps: int,
               seconds: float) -> float:
        residuals = torch.linalg.vector_norm(hessian @ vectors - vectors * values, dim=0)
        worst = float((residuals / values.abs()).max())
        print(f"  [eigen] {name:34s} {hvps:6d} HVPs {seconds:8.3g} s  max rel. residual "
              f"{worst:.1e}  top eigenvalue {float(values.abs().max()):.5g}")
        return worst

    lanczos, t_lanczos = timed(lambda: lanczos_eigenpairs(
        hessian, EIGEN_K, tolerance=EIGEN_TOLERANCE, which="magnitude", seed=0), device)
    report("Lanczos (theorylab)", lanczos.eigenvalues, lanczos.eigenvectors, lanczos.matvecs,
           t_lanczos)
    power, t_power = timed(lambda: power_iteration_eigenpairs(
        hessian, EIGEN_K, tolerance=EIGEN_TOLERANCE, max_iterations=args.power_iterations,
        seed=0), device)
    worst = report("power iteration (theorylab)", power.eigenvalues, power.eigenvectors,
                   power.matvecs, t_power)
    gap = relative_difference(power.eigenvalues.sort().values, lanczos.eigenvalues.sort().values)
    bound = "" if worst <= EIGEN_TOLERANCE else " (not converged: a lower bound)"
    print(f"  [eigen] max rel. diff of the 10 eigenvalues, power vs Lanczos: {gap:.1e}; HVPs "
          f"power/Lanczos = {power.matvecs / lanczos.matvecs:.1f}{bound}")
    label = "power/Lanczos HVPs" + (" (lower bound)" if bound else "")
    summary[f"{case.name}: {label} (theorylab)"] = power.matvecs / lanczos.matvecs
    if library_version("pyhessian") is None:
        print("  [eigen] pyhessian not installed")
        return
    engine = PyHessianEigen(case.model, case.inputs, case.labels)
    for tol in PYHESSIAN_TOLERANCES:
        (values, vectors, hvps), seconds = timed(
            lambda tol=tol: engine.eigenpairs(EIGEN_K, tol, args.power_iterations), device)
        vectors = vectors.to(hessian.dtype)
        worst = report(f"PyHessian power (its tol={tol:.0e})", values.to(device), vectors, hvps,
                       seconds)
        if worst <= EIGEN_TOLERANCE:
            gap = relative_difference(values.sort().values.to(device),
                                      lanczos.eigenvalues.sort().values)
            print(f"  [eigen] max rel. diff of the 10 eigenvalues, PyHessian vs Lanczos: "
                  f"{gap:.1e}; HVPs PyHessian/Lanczos = {hvps / lanczos.matvecs:.1f}, time "
                  f"{seconds / t_lanczos:.1f}")
            summary[f"{case.name}: PyHessian/Lanczos HVPs at res 1e-3"] = hvps / lanczos.matvecs
            summary[f"{case.name}: PyHessian/Lanczos time at res 1e-3"] = seconds / t_lanczos
            return
    print(f"  [eigen] PyHessian did not reach relative residual 1e-3 (its tol down to "
          f"{PYHESSIAN_TOLERANCES[-1]:.0e}, {args.power_iterations} HVPs per pair allowed): "
          f"HVPs PyHessian/Lanczos >= {hvps / lanczos.matvecs:.1f}, time >= "
          f"{seconds / t_lanczos:.1f}")
    summary[f"{case.name}: PyHessian/Lanczos HVPs (lower bound)"] = hvps / lanczos.matvecs
    summary[f"{case.name}: PyHessian/Lanczos time (lower bound)"] = seconds / t_lanczos


def compare_per_sample_gradients(case: Case, objective: Objective, args: argparse.Namespace,
                                 summary: dict[str, float]) -> None:
    """[grads]: per-sample gradients, theorylab vmap(grad) vs BackPACK BatchGrad."""
    device = objective.functional.device
    covariance = GradientCovarianceOperator(objective, centered=False)
    run, note = backpack_per_sample_gradients(case.model, case.inputs, case.labels)
    if run is None:
        print(f"  [grads] BackPACK: {note}")
        return
    ours = exact_trace(covariance).value
    theirs = float(run().square().sum()) / case.inputs.shape[0]
    seconds = median_seconds({"theorylab": lambda: exact_trace(covariance), "backpack": run},
                             args.repeats, device)
    ratio = seconds["theorylab"] / seconds["backpack"]
    print(f"  [grads] Tr C rel. diff theorylab vs BackPACK {abs(ours - theirs) / theirs:.1e}; "
          f"theorylab {milliseconds(seconds['theorylab'])}, BackPACK "
          f"{milliseconds(seconds['backpack'])}, ratio {ratio:.2f}")
    summary[f"{case.name}: theorylab/BackPACK per-sample grads"] = ratio


def parse_arguments() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    parser.add_argument("--samples", type=int, default=512, help="batch size n")
    parser.add_argument("--repeats", type=int, default=15, help="timing repeats (median)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default 1: stable on a shared machine)")
    parser.add_argument("--power-iterations", type=int, default=1000,
                        help="products allowed per eigenpair for the power iterations")
    parser.add_argument("--large", choices=("auto", "on", "off"), default="auto",
                        help="the >= 1M-parameter models (auto: only on CUDA)")
    parser.add_argument("--models", default=None,
                        help="comma-separated subset of model names (default: all)")
    parser.add_argument("--eigen-models", default=None,
                        help="models for the (HVP-hungry) eigen section (default: mlp on CPU, "
                             "all non-large ones on CUDA)")
    parser.add_argument("--sections", default="hvp,trace,eigen,grads",
                        help="comma-separated subset of hvp,trace,eigen,grads")
    return parser.parse_args()


def main() -> int:
    """Run every section on every model and print a summary of the ratios."""
    args = parse_arguments()
    if args.device in ("cuda", "auto") and not torch.cuda.is_available():
        if args.device == "cuda":
            print("CUDA requested but not available: skipping (nothing measured).")
            return 0
        args.device = "cpu"
    if args.device == "auto":
        args.device = "cuda"
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    include_large = args.large == "on" or (args.large == "auto" and device.type == "cuda")
    sections = set(args.sections.split(","))
    eigen_models = set((args.eigen_models or (
        "mlp,cnn,transformer" if device.type == "cuda" else "mlp")).split(","))

    print(f"theorylab compare  {datetime.datetime.now():%Y-%m-%d %H:%M}  command: "
          f"{' '.join(sys.argv)}")
    hardware = (torch.cuda.get_device_name(device) if device.type == "cuda"
                else f"{platform.processor() or platform.machine()} CPU, "
                     f"{torch.get_num_threads()} torch thread(s)")
    print(f"device {device} ({hardware}); python {platform.python_version()}, torch "
          f"{torch.__version__}, theorylab {theorylab.__version__}")
    print("libraries: " + ", ".join(f"{name} {library_version(name) or 'not installed'}"
                                    for name in ("curvlinops", "backpack", "pyhessian")))
    print(f"float32, cross-entropy (mean), one batch of n={args.samples}; times are medians "
          f"of {args.repeats} interleaved repeats (each >= {MIN_SAMPLE_SECONDS * 1e3:.0f} ms of "
          f"calls); trace and eigen times are single runs")

    summary: dict[str, float] = {}
    wanted = None if args.models is None else set(args.models.split(","))
    for case in build_cases(args.samples, include_large):
        if wanted is not None and case.name not in wanted:
            continue
        case.model = case.model.to(device)
        case.inputs, case.labels = case.inputs.to(device), case.labels.to(device)
        objective = Objective(case.model, case.inputs, case.labels, loss="cross_entropy",
                              chunk_size=case.inputs.shape[0])
        print(f"\n== {case.name}: p={case.parameters:,}, n={case.inputs.shape[0]}, "
              f"input {tuple(case.inputs.shape[1:])}")
        if "hvp" in sections:
            compare_matvecs(case, objective, args, summary)
        if "trace" in sections:
            compare_traces(case, objective, summary)
        if "eigen" in sections and case.name in eigen_models:
            compare_eigensolvers(case, objective, args, summary)
        if "grads" in sections:
            compare_per_sample_gradients(case, objective, args, summary)

    print("\n== summary (ratios)")
    for name, value in summary.items():
        print(f"  {name:58s} {value:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
