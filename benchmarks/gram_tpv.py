"""Exact label-noise TPV by the NTK Gram route (paper 000, App. C.3, Eq. 39 in kernel form).

Times the two stages of :func:`theorylab.solvers.linear_label_noise.gram_label_noise_tpv` on
the reference MLP of ``tpv.label_noise_regimes``' ``gram_route`` check: the Gram matrix
:math:`\\Theta = JJ^\\top` over train + test inputs (``theorylab.gpu.ntk_gram``, float64) and
the dense eigendecomposition route. Prints medians over ``--repeats`` after one warm-up, and
the flop floor of the Gram product (:math:`2 n_{rows}^2 p` at the device's float64 rate, given
with ``--fp64-tflops``).

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


def device_eigen_tpv(gram_all: torch.Tensor, train: int) -> float:
    r"""Same TPV on the device: :math:`\|K_{te,tr}V\Lambda^{+}\|_F^2/n_{te}` (σ = 1, λ = 0).

    ``torch.linalg.eigh`` of :math:`K` where the Gram matrix lives, with the solver's rank
    rule (eigenvalues :math:`\le n\,\epsilon\,s_1^2` count as zero); one scalar comes back.
    """
    kernel, cross = gram_all[:train, :train], gram_all[train:, :train]
    eigenvalues, eigenvectors = torch.linalg.eigh(kernel)
    cut = train * torch.finfo(kernel.dtype).eps * eigenvalues[-1]
    keep = eigenvalues > cut
    response = (cross @ eigenvectors[:, keep]) / eigenvalues[keep]
    return float(response.square().sum() / cross.shape[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--width", type=int, default=1000)
    parser.add_argument("--train", type=int, default=4000)
    parser.add_argument("--test", type=int, default=None, help="default: = --train")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget-gib", type=float, default=24.0)
    parser.add_argument("--fp64-tflops", type=float, default=67.0, help="H100/H200 dense fp64")
    args = parser.parse_args()
    test = args.train if args.test is None else args.test
    generator = torch.Generator().manual_seed(2)
    model = MLP(INPUT_DIM, width=args.width, depth=2, seed=0).to(dtype=torch.float64)
    model = model.to(args.device)
    inputs = torch.randn(args.train + test, INPUT_DIM, generator=generator, dtype=torch.float64)
    inputs = inputs.to(args.device)
    parameters = sum(p.numel() for p in model.parameters())
    budget = int(args.budget_gib * (1 << 30))
    gram_times, solve_times, values, device_times, device_values = [], [], [], [], []
    for repeat in range(args.repeats + 1):
        _sync(args.device)
        started = time.perf_counter()
        gram_all = ntk_gram(model, inputs, dtype=torch.float64, memory_budget=budget)
        _sync(args.device)
        gram_np = gram_all.cpu().numpy()
        built = time.perf_counter()
        result = gram_label_noise_tpv(gram_np[: args.train, : args.train],
                                      gram_np[args.train :, : args.train], 1.0)
        solved = time.perf_counter()
        _sync(args.device)
        on_device = time.perf_counter()
        device_value = device_eigen_tpv(gram_all, args.train)
        device_done = time.perf_counter()
        del gram_all
        if repeat:  # the first pass is the warm-up
            device_times.append(device_done - on_device)
            device_values.append(device_value)
            gram_times.append(built - started)
            solve_times.append(solved - built)
            values.append(result.test)
    rows = args.train + test
    floor = 2 * rows * rows * parameters / (args.fp64_tflops * 1e12)
    gram, solve = statistics.median(gram_times), statistics.median(solve_times)
    name = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "cpu"
    print(f"device {args.device} ({name}), "
          f"p = {parameters:,}, n_train = {args.train}, n_test = {test}, float64")
    print(f"Gram matrix ({rows}x{rows}) incl. transfer: median {gram:.2f} s over {args.repeats}")
    print(f"eigen route (numpy, host): median {solve:.2f} s")
    print(f"total: median {gram + solve:.2f} s; TPV_test/sigma^2 = {values[-1]:.6g}")
    on_device = statistics.median(device_times)
    gap = abs(device_values[-1] - values[-1]) / abs(values[-1])
    print(f"eigen route on the device (torch.linalg.eigh): median {on_device:.2f} s; "
          f"TPV_test/sigma^2 = {device_values[-1]:.6g} (rel. gap to the host solver {gap:.1e})")
    print(f"total with the device eigen route: median {gram + on_device:.2f} s")
    print(f"Gram flop floor 2 n^2 p at {args.fp64_tflops:g} TFLOP/s: {floor:.2f} s "
          f"(Gram stage / floor = {gram / floor:.1f})")


if __name__ == "__main__":
    main()
