r"""max|lambda(T)| of paper 002's second-moment operator: matrix-free Arnoldi vs dense eigensolve.

``T`` (Eq. 30) is :math:`D^2\times D^2`. The dense route forms it and calls ``numpy.linalg.eig``
(:math:`O(D^6)` time, :math:`O(D^4)` memory) — feasible to ``D`` ~ 40-50. The matrix-free route
(:func:`theorylab.solvers.second_moment_spectral_radius`) runs ARPACK on
:math:`S \mapsto T(S)` in the NTK eigenbasis at :math:`O(D^3)` per application; the exact
criterion :math:`\mathcal{K}_{\rm full}` (:math:`O(D^4)`) is timed alongside. Beyond the dense
range the dense time is *extrapolated* from a fitted :math:`D^6` law, and says so.

Usage: ``.venv/bin/python benchmarks/spectral_radius.py [--max-size 2000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from theorylab.claims.seos.common import ntk_setting
from theorylab.solvers.noise_kernel_second_moment import (
    noise_kernel_norm_full,
    second_moment_spectral_radius,
)

DENSE_SIZES = (10, 20, 30, 40)
FREE_SIZES = (40, 100, 300, 1000, 2000)


def _problem(size: int) -> tuple[np.ndarray, float, int]:
    ntk = ntk_setting("flat", size, int(1.2 * size), np.random.default_rng(size))
    eta = 0.5 / float(np.linalg.eigvalsh(ntk)[-1])
    return ntk, eta, max(1, size // 20)


def main() -> None:
    """Print a table of times and the agreement on the shared sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-size", type=int, default=2000)
    arguments = parser.parse_args()
    dense_times = {}
    print(
        f"{'D':>6} {'dense s':>10} {'arnoldi s':>10} {'matvecs':>8} {'K_full s':>9} "
        f"{'rho dense':>12} {'rho arnoldi':>12} {'residual':>9}"
    )
    for size in sorted(set(DENSE_SIZES) | {s for s in FREE_SIZES if s <= arguments.max_size}):
        ntk, eta, batch = _problem(size)
        dense_value, dense_text = float("nan"), "—"
        if size in DENSE_SIZES:
            started = time.perf_counter()
            dense_value = second_moment_spectral_radius(
                ntk, eta, batch, method="dense"
            ).spectral_radius
            dense_times[size] = time.perf_counter() - started
            dense_text = f"{dense_times[size]:.3f}"
        elif len(dense_times) >= 2:
            sizes = np.array(list(dense_times))
            constant = np.median(np.array(list(dense_times.values())) / sizes**6.0)
            dense_text = f"~{constant * size**6:.3g}*"
        free = second_moment_spectral_radius(ntk, eta, batch, allow_large=True)
        full_text = "—"
        if size <= 300:
            started = time.perf_counter()
            noise_kernel_norm_full(ntk, eta, batch)
            full_text = f"{time.perf_counter() - started:.3f}"
        print(
            f"{size:>6} {dense_text:>10} {free.seconds:>10.3f} {free.matvecs:>8} "
            f"{full_text:>9} {dense_value:>12.8f} {free.spectral_radius:>12.8f} "
            f"{free.residual:>9.1e}"
        )
    print("* extrapolated from the measured dense times with an O(D^6) law (not run).")


if __name__ == "__main__":
    main()
