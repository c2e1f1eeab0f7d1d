"""Exact label-noise TPV by the NTK Gram route (paper 000, App. C.3, Eq. 39 in kernel form).

Times the stages of :func:`theorylab.solvers.linear_label_noise.gram_label_noise_tpv` on the
reference MLP of ``tpv.label_noise_regimes``' ``gram_route`` check: the Gram matrix
:math:`\\Theta = JJ^\\top` over train + test inputs (``theorylab.gpu.ntk_gram``, float64), the
solver on that tensor where it lives (``torch.linalg.eigh`` on the device: the route the
claim check takes), and, for comparison, the same solver on a host NumPy copy (the route
before issue 19; ``--no-host`` skips it). Prints medians over ``--repeats`` after one
warm-up, the relative gap between the two routes, and the flop floor of the Gram product
(:math:`2 n_{rows}^2 p` at the device's float64 rate, given with ``--fp64-tflops``).

    python benchmarks/gram_tpv.py --device cuda                 # p = 1,023,001, n = 4000 + 4000
    python benchmarks/gram_tpv.py --width 64 --train 256        # small, CPU
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from theorylab.gpu import MLP, ntk_gram
from theorylab.solvers.linear_label_noise import gram_label_noise_tpv

INPUT_DIM = 20


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--train", type=int, default=4000)
    parser.add_argument("--test", type=int, default=None, help="default: = --train")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget-gib", type=float, default=24.0)
    parser.add_argument("--fp64-tflops", type=float, default=67.0, help="H100/H200 dense fp64")
    parser.add_argument("--no-host", action="store_true", help="skip the host NumPy route")
    args = parser.parse_args()
    test = args.train if args.test is None else args.test
    generator = torch.Generator().manual_seed(2)
    model = MLP(INPUT_DIM, width=args.width, depth=2, seed=0).to(dtype=torch.float64)
    model = model.to(args.device)
    inputs = torch.randn(args.train + test, INPUT_DIM, generator=generator, dtype=torch.float64)
    inputs = inputs.to(args.device)
    parameters = sum(p.numel() for p in model.parameters())
    budget = int(args.budget_gib * (1 << 30))
    times: dict[str, list[float]] = {"gram": [], "device": [], "host": []}
    device_result = host_result = None
    for repeat in range(args.repeats + 1):
        _sync(args.device)
        started = time.perf_counter()
        gram_all = ntk_gram(model, inputs, dtype=torch.float64, memory_budget=budget)
        _sync(args.device)
        built = time.perf_counter()
        kernel, cross = gram_all[: args.train, : args.train], gram_all[args.train :, : args.train]
        device_result = gram_label_noise_tpv(kernel, cross, 1.0)  # returns host scalars: synced
        solved = time.perf_counter()
        if not args.no_host:
            gram_np = gram_all.cpu().numpy()
            host_result = gram_label_noise_tpv(gram_np[: args.train, : args.train],
                                               gram_np[args.train :, : args.train], 1.0)
        hosted = time.perf_counter()
        del gram_all, kernel, cross
        if repeat:  # the first pass is the warm-up
            times["gram"].append(built - started)
            times["device"].append(solved - built)
            times["host"].append(hosted - solved)
    rows = args.train + test
    floor = 2 * rows * rows * parameters / (args.fp64_tflops * 1e12)
    gram, solve = statistics.median(times["gram"]), statistics.median(times["device"])
    name = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu"
    print(f"device {args.device} ({name}), "
          f"p = {parameters:,}, n_train = {args.train}, n_test = {test}, float64")
    print(f"Gram matrix ({rows}x{rows}) on the device: median {gram:.2f} s over {args.repeats}")
    print(f"gram_label_noise_tpv on the device tensor: median {solve:.2f} s; TPV_test/sigma^2 = "
          f"{device_result.test:.6g}, rank {device_result.rank}, "
          f"cond {device_result.condition_number:.3g}")
    print(f"total (the claim check's route): median {gram + solve:.2f} s")
    if host_result is not None:
        gap = abs(device_result.test - host_result.test) / abs(host_result.test)
        print(f"same solver on a host NumPy copy (incl. the transfer): median "
              f"{statistics.median(times['host']):.2f} s; TPV_test/sigma^2 = "
              f"{host_result.test:.6g} (rel. gap {gap:.1e}, rank {host_result.rank})")
    print(f"Gram flop floor 2 n^2 p at {args.fp64_tflops:g} TFLOP/s: {floor:.2f} s "
          f"(Gram stage / floor = {gram / floor:.1f})")


if __name__ == "__main__":
    main()
