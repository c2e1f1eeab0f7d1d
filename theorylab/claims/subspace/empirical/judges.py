r"""The judgements of ``subspace.empirical`` (and its corrected companion) on one experiment.

Each ``judge_*`` reads the dictionary of
:func:`theorylab.claims.subspace.empirical.experiment.run_probe_experiment` and returns the
:class:`~theorylab.spec.Finding` of one torch check: fidelity of the top-:math:`D` probe
against the full space (Fig. 3), the estimators' agreement (Fig. 5-6), the stage timings
(Table 3) and the predicted deficit (the corrected statement). The probe point is judged only
where it is a verified minimiser (the claim's premise); the premise line says why or why not.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab import figures
from theorylab.claims.subspace.common import plain
from theorylab.error_laws import loglog_slope
from theorylab.numerics import INDEFINITE, SINGULAR_WITHIN_ROUNDOFF
from theorylab.spec import Counterexample, Finding, Verdict

__all__ = [
    "PAPER_REGIME",
    "PROXY_VALIDITY",
    "RATIO_TOLERANCE",
    "SPEEDUP_REQUIRED",
    "judge_agreement",
    "judge_deficits",
    "judge_probe_experiment",
    "judge_timings",
]

SPEEDUP_REQUIRED = 100.0
RATIO_TOLERANCE = 1e-2
PROXY_VALIDITY = 0.05
PAPER_REGIME = 1e-3


def judge_probe_experiment(result: dict[str, Any]) -> Finding:
    """Fidelity: subspace vs full-space Δ₂ over σ, its error law, and the random control."""
    sigmas = np.asarray(result["sigmas"])
    ratios = np.asarray(result["ratios"])
    randoms = np.asarray(result["random_frame_ratios"])
    # the σ² law of the deficit is a statement about the local regime: fitted over the paper's
    # stated regime σ ≤ 1e-3 (a window to 10^-2.4, used before, reached σ = 3e-3, where the
    # quadratic proxy itself is off by 100-200% on the quick model and no law is claimed)
    small = (sigmas <= PAPER_REGIME * (1 + 1e-9)) & (np.abs(1.0 - ratios) > 1e-9)
    slope = loglog_slope(sigmas[small], np.abs(1.0 - ratios[small]))
    local = int(np.argmin(np.abs(sigmas - result["sigma"])))
    paper_sigma_ratio = float(ratios[local])
    proxy = np.asarray(result["proxy_errors"])
    # The claim's regime: σ ≤ 1e-3 as stated, and validated on this model by App. B's
    # procedure (Fig. 4: pointwise quadratic-proxy error ≤ PROXY_VALIDITY).
    validated = (proxy <= PROXY_VALIDITY) & (sigmas <= PAPER_REGIME * (1 + 1e-9))
    regime = sigmas[validated] if validated.any() else sigmas[:1]
    all_ratios = np.vstack([ratios, *[np.asarray(row) for row in result["other_sample_ratios"]]])
    deviations = np.where(validated, np.abs(all_ratios - 1.0), -1.0)
    worst_sample, worst_index = np.unravel_index(int(np.argmax(deviations)), deviations.shape)
    at_local = float(all_ratios[worst_sample, worst_index])
    samples_at_paper_sigma = all_ratios[:, local].round(4).tolist()
    direct, direct_stderr = result["direct_mc"]
    full, full_stderr = result["direct_mc_full_space"]
    checks = {
        "ratio_within_1pct_in_validated_regime": abs(at_local - 1.0) <= RATIO_TOLERANCE,
        "direct_subspace_vs_full": abs(direct - full) <= 5 * np.hypot(direct_stderr, full_stderr),
        "ratio_law_sigma2": abs(slope - 2.0) <= 0.3,
        "causal": result["causal_leak"] == 0.0,
    }
    failed = [name for name, ok in checks.items() if not ok]
    # The claim is about w_k*: judged only where the probe point is a verified minimiser,
    # strict (H ≻ 0) or modulo the exact rotation symmetries of F (Morse-Bott).
    premise = _premise_holds(result)
    verdict = (Verdict.INCONCLUSIVE if not premise
               else Verdict.HOLDS_APPROX if not failed else Verdict.REFUTED)
    lanczos, power = result["lanczos_eigenvalues"], result["power_eigenvalues"]
    figure = figures.figure(
        "Subspace / full-space Δ₂ vs σ (tiny transformer, Fig. 3 style)", "σ", "Δ₂^(D) / Δ₂",
        sigmas,
        [(f"top-D eigenspace, added sample {index + 1}", row)
         for index, row in enumerate(all_ratios)]
        + [("random D-frame (control)", randoms),
           ("App. B proxy relative error", proxy, "scatter")],
        log_x=True,
    )
    return Finding(
        verdict=verdict,
        summary=("premise unverified, not judged: " if not premise else "")
        + (f"regime σ ≤ {float(regime.max()):.1g} (≤ 1e-3 and App. B proxy error ≤ "
                 f"{PROXY_VALIDITY:g}; proxy error {np.round(proxy, 3).tolist()} on σ grid): "
                 f"worst ratio over {all_ratios.shape[0]} added samples {at_local:.4f}; ratios at "
                 f"σ = 1e-3 per added sample {samples_at_paper_sigma}; first sample at 1e-3: "
                 f"ratio {paper_sigma_ratio:.4f} (random D-frame {float(randoms[local]):.4f}: "
                 f"{_alignment(paper_sigma_ratio, float(randoms[local]))}); |1−ratio| ∝ "
                 f"σ^{slope:.2f}" + (f"; failed: {failed}" if failed else "")
                 + f"; {_premise(result)}; deflated power iteration "
                 f"{np.round(power, 3).tolist()} (residuals "
                 f"{np.round(result['power_residuals'], 3).tolist()}, subspace overlap "
                 f"{result['subspace_overlap']:.2f}) vs Lanczos {np.round(lanczos, 3).tolist()}"),
        lhs=at_local, rhs=1.0, residual=abs(at_local - 1.0), bound=RATIO_TOLERANCE,
        error_law="|1 − Δ^(D)/Δ| = O(σ²)", instances=len(sigmas),
        counterexample=Counterexample(
            instance={"parameters": int(result["parameters"]), "k": int(result["k"]),
                      "D": int(result["D"]), "added_sample": int(worst_sample) + 1,
                      "sigma": float(sigmas[worst_index]),
                      "proxy_error": float(proxy[worst_index])},
            claimed="Δ₂^(D)/Δ₂ = 1 within numerical noise", actual=at_local,
            message=f"failed {failed}: worst ratio {at_local:.4f} at σ = "
            f"{float(sigmas[worst_index]):.1g} in the validated regime; ratio "
            f"{paper_sigma_ratio:.4f} at σ = 1e-3; |1 − ratio| ∝ σ^{slope:.2f} for σ ≤ 1e-3",
        ) if failed and premise else None,
        sizes={"parameters": int(result["parameters"]), "k": int(result["k"]),
               "D": int(result["D"])},
        backend="torch", figure=figure,
        details=plain({key: value for key, value in result.items() if key != "agreement"}
        | {"checks": checks, "ratio_slope": slope, "premise_verified_minimiser": premise}),
    )


def _alignment(top: float, random: float) -> str:
    """Say whether the top-D probe beats the random D-frame control at σ = 1e-3."""
    top_gap, random_gap = abs(1.0 - top), abs(1.0 - random)
    if top_gap < RATIO_TOLERANCE and random_gap < RATIO_TOLERANCE:
        return "both within tolerance: the agreement comes from a_k², not curvature alignment"
    return (f"top-D deficit {top_gap:.3g} vs random {random_gap:.3g}: curvature alignment "
            + ("helps" if top_gap < random_gap else "does not help"))


def _blocks(result: dict[str, Any]) -> str:
    """The transformer blocks' share of ‖θ‖ at the probe point (≈ 0: attention/MLP off)."""
    blocks = float(result.get("block_parameter_norm", float("nan")))
    total = float(result.get("theta_norm", float("nan")))
    off = blocks <= 1e-2 * total
    return (f"‖θ_blocks‖ {blocks:.2g} of ‖θ‖ {total:.2g}"
            + (": attention and MLP are switched off at this point (an embedding → "
               "LayerNorm → read-out model)" if off else ""))


def _premise_holds(result: dict[str, Any]) -> bool:
    """Strict minimiser (polish) or verified minimiser modulo symmetry."""
    symmetry = result.get("symmetry") or {}
    return bool(result["polish"]["minimiser"] or symmetry.get("verified", False))


def _symmetry(result: dict[str, Any]) -> str:
    """One line on the verification modulo the rotation symmetries of F."""
    sym = result.get("symmetry")
    if not sym:
        return ("modulo-symmetry analysis not run (strict minimiser beyond the dense limit)"
                if result["polish"]["minimiser"] else "no modulo-symmetry analysis")
    angles = sym["principal_angles"]
    return (f"modulo symmetry: {sym['kept']} of {sym['candidates']} rotation tangents nonzero, "
            f"span rank {sym['tangent_rank']} (max |∇F·t̂| {sym['max_gradient_dot']:.2g}, max "
            f"‖H t̂‖ {sym['max_hessian_product']:.2g}, finite-orbit |ΔF|/(1+|F|) "
            f"{sym['max_orbit_value_change']:.2g}, ‖∇F‖ on the orbit "
            f"{sym['max_orbit_gradient_norm']:.2g}); Hessian null space (|λ| ≤ "
            f"{sym['null_threshold']:.2g}) dimension {sym['null_dimension']}, largest principal "
            f"angle to the span {max(angles, default=0.0):.2g} rad; λ_min on the complement "
            f"{sym['complement_smallest_eigenvalue']:.3g}: "
            + ("verified minimiser modulo symmetry" if sym["verified"] else "NOT verified"))


def _failure(polish: dict[str, Any]) -> str:
    """Why the polish did not verify a minimiser; λ_min's sign counts only beyond roundoff."""
    reasons = [] if polish["converged"] else ["gradient above tolerance"]
    second_order = polish["second_order"]
    margin = polish["roundoff_tolerance"] + polish["ritz_residual"]
    if second_order == INDEFINITE:
        reasons.append(f"H has a negative eigenvalue beyond the roundoff margin {margin:.2g}")
    elif second_order == SINGULAR_WITHIN_ROUNDOFF:
        reasons.append(f"λ_min is zero within the roundoff margin {margin:.2g} and the point "
                       "is not verified modulo symmetry")
    return f" ({'; '.join(reasons)})"


def _premise(result: dict[str, Any]) -> str:
    """One line on whether the probe point is a verified minimiser (the paper's w_k*)."""
    polish = result["polish"]
    identity = result["c_k_identity"]
    status = ("a verified minimiser (‖∇F‖ within tolerance, H ≻ 0)" if polish["minimiser"]
              else "a verified minimiser modulo symmetry (non-strict: H ⪰ 0 with null space = "
              "the symmetry orbit's tangent space, H ≻ 0 on its complement)"
              if _premise_holds(result)
              else "NOT a verified minimiser: the claim's premise (w_k* minimises L_k) fails"
              + _failure(polish))
    entropies = result.get("bigram_trigram_entropy")
    loss = (f"; loss L_k {result['loss_at_minimiser']:.3f} vs best bigram {entropies[0]:.3f} "
            f"/ trigram {entropies[1]:.3f}" if entropies else "")
    return (f"probe point after L-BFGS + {polish['iterations']} damped-Newton steps "
            f"({polish['method']}, {polish['seconds']:.1f}s): ‖∇(L_k+λ/2‖θ‖², λ = "
            f"{result.get('decay', float('nan')):g})‖ "
            f"{polish['gradient_norm_before']:.2g} → {polish['gradient_norm']:.2g} (tolerance "
            f"{polish['tolerance']:g}·(1+|F|)), Hessian eigenvalue range "
            f"[{polish['smallest_eigenvalue_before']:.3g}, "
            f"{polish['largest_eigenvalue_before']:.3g}] → [{polish['smallest_eigenvalue']:.3g}, "
            f"{polish['largest_eigenvalue']:.3g}]: "
            f"{status}; {_symmetry(result)}; {_blocks(result)}{loss}; paper c_k = U_Dᵀg^(k+1) "
            "vs increment gradient: "
            "relative residual "
            f"{identity['residual_paper_vs_increment_gradient']:.2g}, vs U_Dᵀg_(k+1)/(k+1): "
            f"{identity['residual_paper_vs_sample_over_k1']:.2g}; ratio at σ = 1e-3 with paper "
            f"c_k {identity['ratio_at_1e-3_with_c_paper']:.4f}")


def judge_agreement(result: dict[str, Any]) -> Finding:
    """Fig. 5-6: direct MC, quadratic MC and GM over σ; direct ≈ GM in the local regime."""
    rows = result["agreement"]
    sigmas = [row["sigma"] for row in rows]
    relative = [abs(row["direct"][0] - row["gm"]) / row["gm"] for row in rows]
    noise = [row["direct"][1] / row["gm"] for row in rows]
    local_ok = all(abs(row["direct"][0] - row["gm"]) <= 5 * row["direct"][1] + 1e-6 * row["gm"]
                   for row in rows if row["sigma"] <= 1e-3)
    surrogate_ok = all(abs(row["quadratic_mc"][0] - row["gm"]) <= 5 * row["quadratic_mc"][1]
                       + 1e-12 * row["gm"] for row in rows)
    verdict = Verdict.HOLDS_APPROX if local_ok and surrogate_ok else Verdict.REFUTED
    figure = figures.figure(
        "Direct MC vs GM (Fig. 6 style)", "σ", "|direct − GM| / GM", sigmas,
        [("|direct MC − GM| / GM", relative), ("direct MC stderr / GM", noise, "band")],
        log_x=True, log_y=True,
    )
    return Finding(
        verdict=verdict,
        summary=f"σ ≤ 1e-3: direct MC within 5 stderr of GM: {local_ok}; quadratic MC "
        f"consistent with GM at every σ: {surrogate_ok}; relative gap at σ = 0.1: "
        f"{relative[-1]:.3g}",
        residual=max(relative[: 2]), instances=len(rows), backend="torch", figure=figure,
        error_law="direct − GM = O(σ⁴) absolute (non-quadratic remainder)",
        details=plain({"agreement": rows}),
    )


def judge_timings(result: dict[str, Any]) -> Finding:
    """Table 3: stage timings; GM vs direct MC after subspace construction."""
    timings = result["timings"]
    speedup = timings["stage3_direct_mc"] / timings["stage3_gm"]
    names = list(timings)
    figure = figures.figure(
        "Stage timings (Table 3 style)", "stage index (" + ", ".join(names) + ")", "seconds",
        list(range(len(names))), [("wall time", [timings[name] for name in names], "scatter")],
        log_y=True,
    )
    return Finding(
        verdict=Verdict.HOLDS if speedup >= SPEEDUP_REQUIRED else Verdict.REFUTED,
        summary=f"GM evaluation {speedup:.0f}x faster than direct MC after subspace "
        f"construction (≥ {SPEEDUP_REQUIRED:g} required); stage I Lanczos "
        f"{timings['stage1_lanczos']:.2g}s vs deflated power {timings['stage1_power']:.2g}s",
        lhs=speedup, bound=SPEEDUP_REQUIRED, instances=1, backend="torch", figure=figure,
        details=plain({"timings": timings, "lanczos_matvecs": result["lanczos_matvecs"],
                 "power_matvecs": result["power_matvecs"]}),
    )


def judge_deficits(result: dict[str, Any], device: str) -> Finding:
    """Compare the closed-form deficit with the measured one, sample by sample."""
    rows = result["deficits"]
    misses = [abs(row["measured"] - row["predicted"]) for row in rows]
    allowed = [3 * float(np.hypot(row["stderr"], row["predicted_stderr"]))
               + 0.1 * abs(row["predicted"]) for row in rows]
    holds = all(miss <= limit for miss, limit in zip(misses, allowed, strict=True))
    return Finding(
        verdict=Verdict.HOLDS_APPROX if holds else Verdict.REFUTED,
        summary="deficit 1 − Δ^(D)/Δ at σ = 1e-3, Eq. 15 (first order) vs direct MC: "
        + "; ".join(f"{row['predicted']:.4f} ± {row['predicted_stderr']:.4f} "
                    f"({row['first_order']:.4f}) vs "
                    f"{row['measured']:.4f} ± {row['stderr']:.4f}" for row in rows),
        residual=max(misses), bound=max(allowed), instances=len(rows), backend="torch",
        device=device, error_law="O(σ⁴) remainder + MC stderr",
        details=plain({"deficits": rows}),
    )
