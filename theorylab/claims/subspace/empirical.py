r"""``subspace.empirical`` — paper 003, Sec. 6 (Fig. 3-6, Table 3) on a tiny causal transformer.

Statement: a top-:math:`D` probe reproduces the full-space :math:`\Delta_2` within
numerical noise in the validated local regime (:math:`\sigma\le10^{-3}`), and after subspace
construction the GM estimator is orders of magnitude faster than direct Monte Carlo.

Error model of the "≈": from Eq. 15 for both probes,
:math:`1 - \Delta_2^{(D)}/\Delta_2 = \sigma^2[a_k(\mathrm{Tr}A_k-\mathrm{Tr}B_k) + \|g\|^2 -
\|c_k\|^2]/a_k^2 + O(\sigma^4)`, so the ratio tends to 1 like :math:`\sigma^2` for *any*
probe subspace whenever :math:`a_k\ne0`; a random :math:`D`-frame is run as the control.
The torch work lives in :mod:`theorylab.claims.subspace.empirical_torch` (imported lazily).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theorylab.claims.subspace.paper import PAPER_003, PAPER_003_TITLE, plain
from theorylab.error_laws import loglog_slope
from theorylab.numerics import INDEFINITE, SINGULAR_WITHIN_ROUNDOFF
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import (
    Assumption,
    CheckKind,
    Claim,
    ClaimKind,
    Counterexample,
    Figure,
    FigureSeries,
    Finding,
    Source,
    Tolerance,
    Verdict,
)

__all__ = [
    "EMPIRICAL",
    "EMPIRICAL_CORRECTED",
    "judge_agreement",
    "judge_probe_experiment",
    "judge_timings",
]

SPEEDUP_REQUIRED = 100.0
RATIO_TOLERANCE = 1e-2
PROXY_VALIDITY = 0.05
PAPER_REGIME = 1e-3

EMPIRICAL = CATALOG.add(Claim(
    id="subspace.empirical",
    title="A top-D probe reproduces the full-space Δ₂; GM is orders of magnitude faster",
    source=Source(paper=PAPER_003, title=PAPER_003_TITLE,
                  location="Sec. 6 (Fig. 3-6, Table 3), App. B", equations=["4", "11", "15"]),
    statement=(r"\sigma\le10^{-3}:\ \Delta_2^{(D)}/\Delta_2 \approx 1;\ "
               r"t_{\rm direct\,MC}/t_{\rm GM} \gg 1\ \text{(after stage I)}"),
    kind=ClaimKind.EMPIRICAL,
    assumptions=[Assumption(name="local regime", statement=r"$\sigma \le 10^{-3}$"),
                 Assumption(name="model", statement="decoder-only (causal) transformer at a "
                            r"verified minimiser $w_k^*$ of $L_k+\frac\lambda2\|\theta\|^2$ "
                            "(ridge λ = 0.1, common to every sample loss; strict, or non-strict "
                            "modulo the exact rotation symmetries of F), top-D subspace from "
                            "HVP eigensolvers")],
    tolerance=Tolerance(rtol=RATIO_TOLERANCE, error_law="|1 − ratio| = O(σ²) (any subspace "
                        "when a_k ≠ 0); speed-up ≥ 100", rationale="ratio within 1% at σ = 1e-3;"
                        " direct-MC agreement within 5 stderr"),
    tags=["paper003", "subspace", "torch"],
    notes=("As σ → 0 every criterion tends to a_k², so the ratio → 1 for any D-dimensional "
           "probe; the random-frame control measures how much of the agreement is due to "
           "curvature alignment. The probe point is the L-BFGS point polished by damped Newton "
           "to a minimiser of the decayed L_k; its gradient norm and extreme Hessian "
           "eigenvalues are reported, and the probe check is INCONCLUSIVE unless the point is a "
           "verified minimiser (the claim's premise), strict or modulo symmetry: ∇F = 0, the "
           "Hessian's null space equals the tangent space of orbits of exact symmetries of F "
           "(value/output rotations), and H ≻ 0 on its complement (Morse-Bott). The corpus is "
           "a second-order Markov stream; at quick level the minimiser reached keeps the attention "
           "block switched on. c_k is the exact gradient of "
           "the increment (= the paper's U_Dᵀg^(k+1) at a minimiser; the residual is "
           "reported)."),
))


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
    figure = Figure(
        title="Subspace / full-space Δ₂ vs σ (tiny transformer, Fig. 3 style)", x_label="σ",
        y_label="Δ₂^(D) / Δ₂", log_x=True,
        series=[FigureSeries(label=f"top-D eigenspace, added sample {index + 1}",
                             x=sigmas.tolist(), y=row.tolist())
                for index, row in enumerate(all_ratios)]
        + [FigureSeries(label="random D-frame (control)", x=sigmas.tolist(),
                             y=randoms.tolist()),
                FigureSeries(label="App. B proxy relative error", x=sigmas.tolist(),
                             y=proxy.tolist(), style="scatter")],
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
    figure = Figure(
        title="Direct MC vs GM (Fig. 6 style)", x_label="σ", y_label="|direct − GM| / GM",
        log_x=True, log_y=True,
        series=[FigureSeries(label="|direct MC − GM| / GM", x=sigmas, y=relative),
                FigureSeries(label="direct MC stderr / GM", x=sigmas, y=noise, style="band")],
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
    figure = Figure(
        title="Stage timings (Table 3 style)", x_label="stage index (" + ", ".join(names) + ")",
        y_label="seconds", log_y=True,
        series=[FigureSeries(label="wall time", x=list(range(len(names))),
                             y=[timings[name] for name in names], style="scatter")],
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


def _run(context: CheckContext) -> dict[str, Any]:
    from theorylab.claims.subspace.empirical_torch import run_probe_experiment

    return run_probe_experiment(context.device, context.full, context.seed)


@CATALOG.check(EMPIRICAL, kind=CheckKind.TORCH,
               description="tiny causal transformer on a seeded Markov corpus: top-D (Lanczos; "
               "deflated power iteration compared) vs full-space Δ₂ over σ, random-frame control")
def transformer_probe(context: CheckContext) -> Finding:
    """Sec. 6, Fig. 3 at small scale (CPU quick, CUDA full)."""
    return judge_probe_experiment(_run(context)).model_copy(update={"device": context.device})


@CATALOG.check(EMPIRICAL, kind=CheckKind.TORCH,
               description="direct MC (true increment), quadratic MC and GM over σ")
def estimator_agreement(context: CheckContext) -> Finding:
    """Sec. 6, Fig. 5-6."""
    return judge_agreement(_run(context)).model_copy(update={"device": context.device})


@CATALOG.check(EMPIRICAL, kind=CheckKind.TORCH,
               description="Table 3: stage I/II/III wall times; GM vs direct MC speed-up")
def estimator_timings(context: CheckContext) -> Finding:
    """Sec. 6, Table 3."""
    return judge_timings(_run(context)).model_copy(update={"device": context.device})


EMPIRICAL_CORRECTED = CATALOG.add(Claim(
    id="subspace.empirical.corrected",
    title="What the subspace probe misses in the local regime (Eq. 15 for both probes)",
    source=Source(paper=PAPER_003, title=PAPER_003_TITLE,
                  location="corrects Sec. 6 (Fig. 3); from Eq. 15 for both probes",
                  equations=["4", "15"]),
    statement=(r"1-\frac{\Delta_2^{(D)}}{\Delta_2} = \frac{\sigma^2\big[\|g\|^2-\|U_D^\top g\|^2"
               r" + a_k(\mathrm{Tr}A_k - \mathrm{Tr}B_k)\big] + \frac{\sigma^4}{4}\big[2\mathrm{Tr}"
               r"A_k^2 - 2\mathrm{Tr}B_k^2 + (\mathrm{Tr}A_k)^2 - (\mathrm{Tr}B_k)^2\big]}"
               r"{\Delta_2},\ g = \nabla(L_{k+1}-L_k)(w_k^*)"),
    kind=ClaimKind.APPROXIMATION,
    assumptions=[Assumption(name="local regime", statement=r"$a_k\ne0$, σ in the validated "
                            "regime (App. B proxy error small)")],
    tolerance=Tolerance(rtol=0.1, error_law="|measured − predicted| ≤ 3 stderr (MC and "
                        "Hutchinson, combined) + 10% (O(σ⁴) remainder)",
                        rationale="common-random-number direct MC on the true increment: z "
                        "for the full space, U Uᵀz for the subspace"),
    tags=["paper003", "subspace", "torch"],
    companion_of="subspace.empirical",
    notes=("The subspace probe reproduces Δ₂ within ε exactly when the out-of-subspace "
           "gradient and trace terms are ≤ ε a_k²/σ²; this holds for any D-frame as σ → 0 "
           "and is not guaranteed by curvature alignment at a fixed σ."),
))


@CATALOG.check(EMPIRICAL_CORRECTED, kind=CheckKind.TORCH,
               description="predicted first-order deficit vs direct MC on the true increment "
               "(common random numbers) at σ = 1e-3, for every added sample")
def deficit_law(context: CheckContext) -> Finding:
    """Compare the closed-form deficit with the measured one, sample by sample."""
    result = _run(context)
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
        device=context.device, error_law="O(σ⁴) remainder + MC stderr",
        details=plain({"deficits": rows}),
    )
