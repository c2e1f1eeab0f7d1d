r"""``seos.s_eos_prediction`` — Fig. 1, 7, 8, App. A.4: where SGD on linear regression diverges.

Three settings (flat, dispersed, localized; ``D = 100, P = 120, B = 5`` at full level). For each,
the predicted thresholds :math:`\eta^*` where :math:`\max|\lambda(T)| = 1`, :math:`\mathcal{K} = 1`,
:math:`\hat{\mathcal{K}}_{HD} = 1`, :math:`\hat{\mathcal{K}}_{tr} = 1` are compared with the
divergence threshold measured by simulating SGD over many seeds: the mean-square rate
(:math:`\frac1T\log\overline{\|z_T\|^2}`, governed by :math:`T`) and the typical (median) rate.
:math:`\max|\lambda(T)| = 1` is located exactly through :math:`\mathcal{K}_{\rm full}`
(:func:`~theorylab.solvers.noise_kernel_second_moment.noise_kernel_norm_full`), cross-checked by
Arnoldi on both sides of the threshold. The corrected companion: :math:`\mathcal{K} \le
\mathcal{K}_{\rm full}`, so :math:`\mathcal{K} > 1` implies divergence but :math:`\mathcal{K} < 1`
does not imply convergence (minimal counterexample ``D = 2``).
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.common import exact_finding, ntk_setting, small_rationals
from theorylab.claims.seos.paper import cite
from theorylab.figures import figure
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.noise_kernel import (
    noise_coupling,
    noise_kernel_norm,
    noise_kernel_norm_hd,
    noise_kernel_norm_trace,
)
from theorylab.solvers.noise_kernel_inputs import batch_fractions
from theorylab.solvers.noise_kernel_second_moment import (
    noise_kernel_norm_full,
    second_moment_spectral_radius,
)
from theorylab.solvers.noise_kernel_simulation import simulate_growth_rates, stability_threshold
from theorylab.spec import CheckKind, Counterexample, Figure, FigureSeries, Finding, Verdict

__all__ = ["S_EOS_PREDICTION", "S_EOS_PREDICTION_CORRECTED", "predicted_thresholds"]


S_EOS_PREDICTION, S_EOS_PREDICTION_CORRECTED = CATALOG.add_specs(__file__, cite)
THRESHOLD_RTOL = S_EOS_PREDICTION.tolerance.rtol


def predicted_thresholds(ntk: np.ndarray, batch: int) -> dict[str, float]:
    """eta* where each stability measure crosses 1 (nan if it stays below up to the EOS)."""
    eigenvalues = np.linalg.eigvalsh(ntk)
    upper = 2.0 / float(eigenvalues[-1])
    return {
        "T": stability_threshold(lambda eta: noise_kernel_norm_full(ntk, eta, batch), upper),
        "K": stability_threshold(lambda eta: noise_kernel_norm(ntk, eta, batch).value, upper),
        "K_HD": stability_threshold(
            lambda eta: noise_kernel_norm_hd(eigenvalues, eta, batch), upper
        ),
        "K_tr": stability_threshold(lambda eta: noise_kernel_norm_trace(ntk, eta, batch), upper),
        "EOS": upper,
    }


def _crossing(etas: np.ndarray, rates: np.ndarray) -> float:
    above = np.nonzero(rates > 0)[0]
    if len(above) == 0:
        return float("nan")
    index = int(above[0])
    if index == 0:
        return float(etas[0])
    low, high = rates[index - 1], rates[index]
    return float(etas[index - 1] + (etas[index] - etas[index - 1]) * (-low) / (high - low))


def _simulated_threshold(ntk, batch, etas, steps, seeds, rng) -> dict[str, object]:
    per_seed = np.array(
        [
            simulate_growth_rates(ntk, eta, batch, steps=steps, seeds=seeds, rng=rng).per_seed
            for eta in etas
        ]
    )
    window = steps - steps // 5

    def rates(sample: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from scipy.special import logsumexp

        typical = np.median(sample, axis=1)
        mean_square = (logsumexp(sample * window, axis=1) - np.log(sample.shape[1])) / window
        return typical, mean_square

    typical, mean_square = rates(per_seed)
    boot_typical, boot_ms = [], []
    for _ in range(30):
        pick = rng.integers(0, seeds, seeds)
        typ, ms = rates(per_seed[:, pick])
        boot_typical.append(_crossing(etas, typ))
        boot_ms.append(_crossing(etas, ms))
    return {
        "typical": _crossing(etas, typical),
        "typical_sd": float(np.nanstd(boot_typical)),
        "mean_square": _crossing(etas, mean_square),
        "mean_square_sd": float(np.nanstd(boot_ms)),
        "typical_rates": typical.tolist(),
        "mean_square_rates": mean_square.tolist(),
    }


@CATALOG.check(
    S_EOS_PREDICTION,
    kind=CheckKind.EXACT,
    description=(
        "simulated SGD (many seeds, mean-square and typical growth of |z|^2) in the flat, "
        "dispersed and localized settings of App. A.4 vs the thresholds of max|lambda(T)|, K, "
        "K_HD, K_tr"
    ),
)
def simulated_thresholds(context: CheckContext) -> Finding:
    """Measured divergence thresholds with bootstrap uncertainty vs the predictions."""
    rng = context.rng()
    size, parameters, batch = (100, 120, 5) if context.full else (60, 72, 3)
    steps, seeds, points = (3000, 96, 10) if context.full else (800, 32, 6)
    report: dict[str, dict[str, object]] = {}
    series = []
    failures = []
    settings = ("flat", "dispersed", "localized") if context.full else ("flat", "dispersed")
    for kind in settings:
        ntk = ntk_setting(kind, size, parameters, rng)
        predicted = predicted_thresholds(ntk, batch)
        eta_t = predicted["T"]
        below, above = 0.0, 2.0  # Arnoldi cross-check of the K_full threshold at full level
        if context.full:
            below = second_moment_spectral_radius(ntk, 0.98 * eta_t, batch, rng=rng).spectral_radius
            above = second_moment_spectral_radius(ntk, 1.02 * eta_t, batch, rng=rng).spectral_radius
        etas = np.linspace(0.6 * eta_t, min(1.6 * eta_t, 0.98 * predicted["EOS"]), points)
        simulated = _simulated_threshold(ntk, batch, etas, steps, seeds, rng)
        report[kind] = {**predicted, **simulated, "rho_T_at_0.98": below, "rho_T_at_1.02": above}
        series.append(
            FigureSeries(
                label=f"mean-square rate ({kind})",
                x=list(etas / eta_t),
                y=simulated["mean_square_rates"],
            )
        )
        series.append(
            FigureSeries(
                label=f"typical rate ({kind})",
                x=list(etas / eta_t),
                y=simulated["typical_rates"],
                style="scatter",
            )
        )
        measured = float(simulated["mean_square"])
        spread = 3 * float(simulated["mean_square_sd"]) + THRESHOLD_RTOL * eta_t
        if not (below < 1 < above) or not abs(measured - eta_t) <= spread:
            failures.append((kind, "max|lambda(T)|", eta_t, measured))
        if kind != "localized" and not abs(measured - predicted["K"]) <= spread:
            failures.append((kind, "K", predicted["K"], measured))
    summary = "; ".join(
        f"{k}: eta*_sim ms {v['mean_square']:.4g}±{v['mean_square_sd']:.2g}, typical "
        f"{v['typical']:.4g}±{v['typical_sd']:.2g} | T {v['T']:.4g}, K {v['K']:.4g}, "
        f"K_HD {v['K_HD']:.4g}, K_tr {v['K_tr']:.4g}"
        for k, v in report.items()
    )
    first = failures[0] if failures else None
    return Finding(
        verdict=Verdict.REFUTED if failures else Verdict.HOLDS_APPROX,
        summary=summary,
        error_law=S_EOS_PREDICTION.tolerance.error_law,
        instances=len(settings) * points * seeds,
        sizes={"D": size, "P": parameters, "B": batch, "steps": steps, "seeds": seeds},
        counterexample=None
        if first is None
        else Counterexample(
            instance={"setting": first[0], "measure": first[1]},
            claimed=first[2],
            actual=first[3],
            message=f"{first[1]} threshold {first[2]:.4g} vs simulated "
            f"mean-square threshold {first[3]:.4g} in the {first[0]} setting",
        ),
        figure=Figure(
            title="SGD growth rate of |z|^2 vs eta / eta*(max|lambda(T)|=1)",
            x_label="eta / eta*_T",
            y_label="log growth per step",
            series=series,
        ),
        details={"settings": report, "failures": [list(map(str, f)) for f in failures]},
    )


@CATALOG.check(
    S_EOS_PREDICTION_CORRECTED,
    kind=CheckKind.EXACT,
    description=(
        "dense max|lambda(T)| vs the K_full criterion on random NTKs (D <= 5, every B, eta to the "
        "EOS), K <= K_full, and the minimal D=2 instance with K < 1 < max|lambda(T)|"
    ),
)
def full_criterion(context: CheckContext) -> Finding:
    """The exact criterion and the one-sidedness of K."""
    rng = context.rng()
    mismatches, count = 0, 0
    for _ in range(300 if context.full else 80):
        size = int(rng.integers(2, 6))
        frame = np.linalg.qr(rng.standard_normal((size, size)) * rng.uniform(0, 1) + np.eye(size))[
            0
        ]
        eigenvalues = rng.uniform(0.05, 1.0, size)
        ntk = frame @ np.diag(eigenvalues) @ frame.T
        ntk = (ntk + ntk.T) / 2
        eta = rng.uniform(0.02, 0.99) * 2 / eigenvalues.max()
        batch = int(rng.integers(1, size + 1))
        radius = second_moment_spectral_radius(ntk, eta, batch, method="dense").spectral_radius
        full = noise_kernel_norm_full(ntk, eta, batch)
        if abs(radius - 1) < 1e-9 or abs(full - 1) < 1e-9:
            continue
        kernel = noise_kernel_norm(ntk, eta, batch).value
        mismatches += (radius < 1) != (full < 1) or kernel > full + 1e-10
        count += 1
    minimal = _minimal_instance()
    return exact_finding(
        float(mismatches),
        0.0,
        "rho(T)<1 iff K_full<1, K<=K_full",
        instances=count,
        details={"minimal_K_below_1_but_divergent": minimal},
    )


MINIMAL = {"ntk": [[1.36, -0.48], [-0.48, 1.64]], "eta": 0.64, "B": 1}
r"""``D = 2``, ``B = 1``: eigenvalues (1, 2) rotated by the Pythagorean angle
(:math:`\cos = 4/5`, :math:`\sin = 3/5`), so the NTK is rational (``[[34/25, -12/25],
[-12/25, 41/25]]``); :math:`\eta = 16/25` (:math:`\eta\lambda_{\max} = 32/25 < 2`)."""


def _minimal_instance() -> dict[str, object]:
    """The stored exact instance and its float64 ``K``, ``K_full`` and ``max|lambda(T)|``."""
    ntk, eta, batch = np.array(MINIMAL["ntk"]), float(MINIMAL["eta"]), int(MINIMAL["B"])
    return {
        "instance": {"ntk": small_rationals(ntk), "eta": eta, "B": batch},
        "eigenvalues": np.linalg.eigvalsh(ntk).tolist(),
        "K": noise_kernel_norm(ntk, eta, batch).value,
        "K_full": noise_kernel_norm_full(ntk, eta, batch),
        "rho_T": second_moment_spectral_radius(ntk, eta, batch, method="dense").spectral_radius,
    }


@CATALOG.check(
    S_EOS_PREDICTION,
    kind=CheckKind.EXACT,
    description=(
        "is K < 1 exactly max|lambda(T)| < 1 for the full dynamics? minimal D=2, B=1 instance"
    ),
)
def k_versus_full_operator(context: CheckContext) -> Finding:
    """K < 1 does not imply max|lambda(T)| < 1."""
    case = _minimal_instance()
    agree = (case["K"] < 1) == (case["rho_T"] < 1)
    summary = (
        f"D=2, B=1, eigenvalues (1, 2) rotated by cos=4/5, sin=3/5, eta=16/25: "
        f"K={case['K']:.4f} {'<' if case['K'] < 1 else '>='} 1, max|lambda(T)|="
        f"{case['rho_T']:.4f} (K_full={case['K_full']:.4f})"
    )
    return judged(
        agree,
        summary,
        instance=lambda: case["instance"],
        claimed=f"K = {case['K']:.4f} < 1 => convergence",
        actual=f"max|lambda(T)| = {case['rho_T']:.4f} > 1",
        lhs=float(case["K"]),
        rhs=float(case["rho_T"]),
        instances=1,
        details=case,
    )


@CATALOG.check(
    S_EOS_PREDICTION,
    kind=CheckKind.EXACT,
    description=(
        "Fig. 7: max|lambda(T)| (via K_full and Arnoldi), K, K_HD, K_tr and lambda_max(A+B) vs eta "
        "(flat setting): K and its estimators rise from 0 monotonically; max lambda(A+B) ~ 1 early"
    ),
)
def stability_measures_curve(context: CheckContext) -> Finding:
    """The stability measures of Fig. 7 on one grid of eta, with the monotonicity it states."""
    rng = context.rng()
    size, parameters, batch = (100, 120, 5) if context.full else (40, 48, 2)
    ntk = ntk_setting("flat", size, parameters, rng)
    eigenvalues = np.linalg.eigvalsh(ntk)
    etas = np.linspace(0.02, 0.98, 16 if context.full else 10) * 2 / eigenvalues[-1]
    curves: dict[str, list[float]] = {
        "K": [],
        "K_HD": [],
        "K_tr": [],
        "K_full": [],
        "lambda_max(A+B)": [],
        "max|lambda(T)|": [],
    }
    for eta in etas:
        norm = noise_kernel_norm(ntk, eta, batch)
        curves["K"].append(norm.value)
        curves["lambda_max(A+B)"].append(norm.diagonal_max)
        curves["K_HD"].append(noise_kernel_norm_hd(eigenvalues, eta, batch))
        curves["K_tr"].append(noise_kernel_norm_trace(ntk, eta, batch))
        curves["K_full"].append(noise_kernel_norm_full(ntk, eta, batch))
        curves["max|lambda(T)|"].append(
            second_moment_spectral_radius(ntk, eta, batch, rng=rng).spectral_radius
        )
    increasing = all(np.all(np.diff(curves[key]) > 0) for key in ("K", "K_HD", "K_tr"))
    small = max(curves[key][0] for key in ("K", "K_HD", "K_tr")) < 0.2
    consistent = all(
        (r < 1) == (f < 1)
        for r, f in zip(curves["max|lambda(T)|"], curves["K_full"], strict=True)
        if abs(r - 1) > 1e-6
    )
    holds = increasing and small and consistent
    return Finding(
        verdict=Verdict.HOLDS if holds else Verdict.REFUTED,
        summary=(
            f"K, K_HD, K_tr increasing in eta: {increasing}; start below 0.2: {small}; "
            f"Arnoldi max|lambda(T)| < 1 exactly where K_full < 1: {consistent}; "
            f"lambda_max(A+B) at the smallest eta {curves['lambda_max(A+B)'][0]:.4f}"
        ),
        instances=len(etas),
        sizes={"D": size, "B": batch},
        figure=figure(
            "Stability measures vs eta (flat spectrum, Fig. 7)",
            "eta * lambda_max / 2",
            "measure",
            list(etas * eigenvalues[-1] / 2),
            list(curves.items()),
        ),
        details={"curves": curves, "etas": etas.tolist()},
    )


DEGENERATE = {"frame": [[1 / 3, 2 / 3, 2 / 3], [2 / 3, 1 / 3, -2 / 3], [2 / 3, -2 / 3, 1 / 3]],
              "eigenvalues": [1.0, 1.0, 4.0], "rotation": [0.8, 0.6], "eta": 0.3125, "B": 1}
r"""A repeated NTK eigenvalue: :math:`\hat\Theta = Q\,\mathrm{diag}(1, 1, 4)Q^\top` (``Q`` a
rational orthogonal matrix), ``B = 1``, :math:`\eta = 5/16`; the second eigenframe turns
the eigenvalue-1 plane of ``Q`` by the Pythagorean angle (:math:`\cos = 4/5`)."""


def _frame_k(eigenvalues: np.ndarray, frame: np.ndarray, eta: float, batch: int) -> float:
    r""":math:`\mathcal{K}` (Eq. 9) with ``C`` (Eq. 8) taken in the given orthonormal eigenframe."""
    size = len(eigenvalues)
    beta, tilde = batch_fractions(batch, size)
    scaled = eta * eigenvalues
    gap = 1 - (1 - scaled) ** 2 - (tilde / beta - 1) * scaled**2
    noise = (1 - tilde) / beta * eta**2 * np.outer(eigenvalues, eigenvalues)
    return float(np.max(np.linalg.eigvals(noise * noise_coupling(frame) / gap[:, None]).real))


def _degenerate_case() -> dict[str, object]:
    """Both eigenframes' K and the frame-free max|lambda(T)| on :data:`DEGENERATE`."""
    frame, eigenvalues = np.array(DEGENERATE["frame"]), np.array(DEGENERATE["eigenvalues"])
    eta, batch = float(DEGENERATE["eta"]), int(DEGENERATE["B"])
    cos, sin = DEGENERATE["rotation"]
    turn = np.eye(3)
    turn[:2, :2] = [[cos, -sin], [sin, cos]]
    ntk = frame @ np.diag(eigenvalues) @ frame.T
    turned = frame @ turn @ np.diag(eigenvalues) @ (frame @ turn).T
    return {
        "instance": {"ntk": small_rationals(ntk)} | {k: v for k, v in DEGENERATE.items()
                                                      if k != "eigenvalues"},
        "frame_gap": float(np.max(np.abs(turned - ntk))),
        "K_frames": [_frame_k(eigenvalues, frame, eta, batch),
                     _frame_k(eigenvalues, frame @ turn, eta, batch)],
        "rho_T": second_moment_spectral_radius(ntk, eta, batch, method="dense").spectral_radius,
    }


@CATALOG.check(
    S_EOS_PREDICTION,
    kind=CheckKind.EXACT,
    description=(
        "equal NTK eigenvalues: K (Eq. 8-9) in two eigenframes of the same NTK vs the "
        "frame-free max|lambda(T)|; D=3, eigenvalues (1, 1, 4), B=1, eta=5/16"
    ),
)
def degenerate_spectrum(context: CheckContext) -> Finding:
    """K must be one number per NTK for 'diverges iff K > 1' to be a statement about SGD."""
    case = _degenerate_case()
    low, high = sorted(case["K_frames"])
    rho = float(case["rho_T"])
    same_ntk = case["frame_gap"] <= np.finfo(float).eps * 9 * 4  # eps x entries x norm
    agree = all((k > 1) == (rho > 1) for k in case["K_frames"])
    summary = (
        f"NTK Q diag(1,1,4) Q^T, B=1, eta=5/16: K={case['K_frames'][0]:.4f} in frame Q, "
        f"{case['K_frames'][1]:.4f} in Q turned in the repeated eigenspace "
        f"(same NTK to {case['frame_gap']:.1e}); max|lambda(T)|={rho:.4f}"
    )
    return judged(
        agree and same_ntk,
        summary,
        instance=lambda: case["instance"],
        claimed=f"diverges iff K > 1: K = {low:.4f} or {high:.4f} for the same NTK",
        actual=f"max|lambda(T)| = {rho:.4f}",
        lhs=low,
        rhs=high,
        instances=2,
        details=case,
    )
