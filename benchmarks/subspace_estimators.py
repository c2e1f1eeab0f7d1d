"""Paper 003, Table 3: stage timings of the three estimators on a tiny causal transformer.

Stage I (top-D subspace: Lanczos and deflated power iteration on HVPs), stage II (surrogate
coefficients a_k, c_k, B_k: 2D HVPs), stage III (criterion evaluation: GM closed form,
quadratic MC, direct MC on the true increment). Prints the GM vs direct-MC speed ratio after
subspace construction, one line per device.

Usage: ``.venv/bin/python benchmarks/subspace_estimators.py [--full] [--device cuda]``.
"""

from __future__ import annotations

import argparse

import torch

from theorylab.claims.subspace.empirical.experiment import run_probe_experiment


def main() -> None:
    """Run the experiment on each requested device and print Table 3 style timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="paper-scale configuration")
    parser.add_argument("--device", action="append", help="cpu / cuda (default: cpu, +cuda)")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    devices = arguments.device or (["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    for device in devices:
        result = run_probe_experiment(device, arguments.full, arguments.seed)
        timings = result["timings"]
        print(f"[{device}] N={result['parameters']} k={result['k']} D={result['D']} "
              f"sigma={result['sigma']:g}")
        for stage, seconds in timings.items():
            print(f"  {stage:<22s} {seconds:.3e} s")
        ratio = timings["stage3_direct_mc"] / timings["stage3_gm"]
        quadratic = timings["stage3_direct_mc"] / timings["stage3_quadratic_mc"]
        print(f"  GM vs direct MC (after subspace construction): {ratio:.0f}x faster; "
              f"quadratic MC {quadratic:.0f}x; values GM {result['gm']:.6e}, direct "
              f"{result['direct_mc'][0]:.6e} ± {result['direct_mc'][1]:.1e}")


if __name__ == "__main__":
    main()
