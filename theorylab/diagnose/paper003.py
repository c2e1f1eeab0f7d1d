r"""Paper 003 at the user's point: the curvature-aligned criterion of the top-D eigenspace.

The training data define :math:`L_n` and the user's next batch (``next_batch``, :math:`m`
samples, loss :math:`L_{\rm next}`) the grown objective
:math:`L_{n+m} = \frac{nL_n + mL_{\rm next}}{n+m}`, so the increment field is
:math:`L_{n+m}-L_n = \rho\,(L_{\rm next}-L_n)` with :math:`\rho = \frac{m}{n+m}` (Eq. 5 for
:math:`m` samples). At the user's point :math:`w` its local quadratic model (Eq. 7) in the
coordinates :math:`z` of an orthonormal frame :math:`U` (:math:`w' = w + Uz`,
:math:`z\sim\mathcal N(0,\sigma^2I_D)`, Eq. 4) has the compressed coefficients of Lemma 1
(Eq. 9), :math:`a = L_{n+m}(w)-L_n(w)`, :math:`c = U^\top\nabla(L_{n+m}-L_n)(w)`,
:math:`B = U^\top(H^{(n+m)}-H^{(n)})U` (:func:`theorylab.claims.subspace.empirical.measures.
coefficients`, Hessian-vector products), and the criterion is the Gaussian moment (Eq. 15,
:func:`theorylab.solvers.subspace_probing.gaussian_moment_criterion`)

.. math:: \hat\Delta_2^{(D)} = a^2 + a\sigma^2\operatorname{Tr}B + \sigma^2\|c\|^2
          + \tfrac{\sigma^4}{4}\big(2\operatorname{Tr}B^2 + (\operatorname{Tr}B)^2\big),

exact for the quadratic model; direct Monte Carlo of the true increment (Eq. 11) on the
top-D probe, with common draws, decides whether that model holds at :math:`\sigma`. The
gradient term uses :math:`\nabla(L_{n+m}-L_n)` (Eq. 7), so
it is right away from a minimiser too; Eq. 8 drops :math:`\nabla L_n` only at :math:`w_k^*`.
It is computed for :math:`U_D`, the top-:math:`D` eigenvectors of :math:`\nabla^2L_n(w)`
(Lanczos, :math:`D` = ``level.top_k``), and for ``frames`` random orthonormal frames of the
same :math:`D` (mean and standard error over the frames): Proposition 3 says the top-:math:`D`
eigenspace maximises the pure quadratic signal :math:`\frac{\sigma^4}{4}(2\operatorname{Tr}B^2
+ (\operatorname{Tr}B)^2)` (Eq. 16-17) among eigenspace-aligned probes when
:math:`a = 0`, :math:`c = 0`, the Hessians share an eigenbasis and the increments
:math:`\delta_i\ge0`. The probe scale is :math:`\sigma = 10^{-3}` by default, the paper's
validated local regime (Sec. 6).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from theorylab.claims.subspace.empirical.measures import coefficients, flat_gradient
from theorylab.errors import ParameterError
from theorylab.gpu import HessianOperator, lanczos_eigenpairs
from theorylab.gpu.adapter import Objective
from theorylab.gpu.memory import check_memory
from theorylab.numerics import roundoff_tolerance
from theorylab.solvers.subspace_probing import gaussian_moment_criterion, spectral_criterion
from theorylab.spec import Figure, FigureSeries

from .model import AssumptionStatus, AssumptionVerdict, PaperDiagnosis, Quantity
from .paper000 import gradient_roundoff
from .problem import Problem, Timer

__all__ = ["DRAWS", "FRAMES", "PAPER", "SIGMA", "TITLE", "Z_LIMIT", "diagnose_paper003",
           "frame_criteria", "next_objective", "random_frames"]

PAPER = "003"
TITLE = "Curvature-aligned subspaces of SGD"
SIGMA = 1e-3
"""Probe scale σ: the validated local regime of the paper's experiments (Sec. 6)."""
FRAMES = 8
"""Random orthonormal frames the top-D eigenspace is compared with."""
DRAWS = 256
"""Gaussian draws of the direct Monte Carlo of the true increment (Eq. 11)."""
Z_LIMIT = 3.0
"""Standard errors by which the top-D criterion must beat (or lose to) the random frames."""
_REFERENCE = "paper 003, Eq. 15 (Gaussian moment), Lemma 1 / Eq. 9 (compressed coefficients)"


def next_objective(problem: Problem) -> Objective:
    r""":math:`L_{\rm next}`: the loss on the validated next batch, same network and loss."""
    if problem.next_batch is None:
        raise ParameterError("the problem has no next batch (pass next_batch=...)")
    inputs, targets = problem.next_batch
    return Objective(problem.functional, inputs, targets, loss=problem.objective.loss)


def random_frames(size: int, dimension: int, count: int, seed: int, *,
                  dtype: torch.dtype = torch.float64,
                  device: torch.device | str = "cpu") -> torch.Tensor:
    """``count`` Haar-random orthonormal frames ``(size, dimension)``, stacked ``(count, p, D)``.

    QR of a Gaussian matrix with the signs of ``diag(R)`` folded into ``Q`` (Haar measure).
    """
    generator = torch.Generator().manual_seed(seed)
    gaussian = torch.randn(count, size, dimension, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(gaussian)
    signs = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))
    return (q * signs.unsqueeze(-2)).to(device=device, dtype=dtype)


def frame_criteria(gap: float, gradient: np.ndarray, hessian: np.ndarray, sigma: float,
                   dimension: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Eq. 15 and the pure quadratic signal (Eq. 16) of the leading ``d`` columns, d = 1..D.

    ``gradient`` and ``hessian`` are one frame's :math:`c` and :math:`B`; the leading ``d``
    columns of an orthonormal frame are one, so their coefficients are the sub-blocks.
    """
    gm = [gaussian_moment_criterion(gap, gradient[:d], hessian[:d, :d], sigma)
          for d in range(1, dimension + 1)]
    pure = [spectral_criterion(np.linalg.eigvalsh(hessian[:d, :d]), sigma)
            for d in range(1, dimension + 1)]
    return np.asarray(gm), np.asarray(pure)


def _mean_stderr(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over axis 0 (``ddof=1``)."""
    return values.mean(axis=0), values.std(axis=0, ddof=1) / math.sqrt(values.shape[0])


def _not_computed(reason: str) -> PaperDiagnosis:
    return PaperDiagnosis(paper=PAPER, title=TITLE, not_computed=[reason])


def diagnose_paper003(problem: Problem, effective_trace: float | None = None, *,
                      sigma: float = SIGMA, frames: int = FRAMES) -> PaperDiagnosis:
    r"""The curvature-aligned criterion of the top-D eigenspace against random frames.

    ``effective_trace`` (:math:`\operatorname{Tr}H_{\rm eff}`, from the curvature stage) sets
    the working-precision margin of :math:`\|\nabla L_n\|` for the stationarity verdict
    (:func:`theorylab.diagnose.paper000.gradient_roundoff`); without it that verdict is
    undecided. Without ``next_batch`` nothing is computed and ``not_computed`` says so.
    """
    if problem.next_batch is None:
        return _not_computed(
            "the curvature-aligned criterion of the top-D eigenspace against random frames: "
            "not computed, it needs next_batch=(inputs, targets) (CLI: --next-data), the batch "
            "or stream that grows the training set")
    size = problem.num_parameters
    dimension = min(problem.level.top_k, size)
    theta = problem.functional.theta
    steps = min(size, max(20 * dimension, 100))
    check_memory((steps + (frames + 1) * dimension) * size * theta.element_size(),
                 f"Lanczos basis and {frames + 1} frames ({size}, {dimension})",
                 problem.memory_budget)
    before, after = problem.objective, next_objective(problem)
    growth = after.num_samples / (before.num_samples + after.num_samples)
    with Timer("Δ̂₂^(D) (top-D)") as lanczos_timer:
        eigen = lanczos_eigenpairs(HessianOperator(before), dimension, tolerance=1e-6,
                                   seed=problem.seed)
    basis = torch.cat([eigen.eigenvectors.to(theta.dtype),
                       *random_frames(size, dimension, frames, problem.seed + 3,
                                      dtype=theta.dtype, device=theta.device)], dim=1)
    with Timer("Δ̂₂^(D) (random)") as timer:
        gap, gradient, hessian = coefficients(before, after, theta, basis)
    gap, gradient, hessian = growth * gap, growth * gradient, growth * hessian
    blocks = [slice(i * dimension, (i + 1) * dimension) for i in range(frames + 1)]
    curves = [frame_criteria(gap, gradient[b], hessian[b, b], sigma, dimension) for b in blocks]
    top_gm, top_pure = curves[0]
    random_gm = _mean_stderr(np.stack([curve[0] for curve in curves[1:]]))
    random_pure = _mean_stderr(np.stack([curve[1] for curve in curves[1:]]))
    top_block = hessian[blocks[0], blocks[0]]
    increments = np.diag(top_block).copy()
    hvps = 2 * basis.shape[1]
    where = (f"σ = {sigma:g}, D = {dimension}, m = {after.num_samples} next samples on "
             f"n = {before.num_samples} (ρ = m/(n+m) = {growth:.4g})")
    shared = {"method": "Gaussian moment of the compressed quadratic model (HVPs)",
              "reference": _REFERENCE}
    top_cost = {"seconds": lanczos_timer.seconds + timer.seconds / (frames + 1),
                "matvecs": eigen.matvecs + hvps // (frames + 1)}
    random_cost = {"seconds": timer.seconds * frames / (frames + 1),
                   "matvecs": hvps * frames // (frames + 1)}
    off = top_block - np.diag(increments)
    quantities = [
        Quantity(name="subspace_criterion_top", symbol="Δ̂₂^(D) (top-D)",
                 value=float(top_gm[-1]), stderr=0.0, residuals=eigen.residuals.tolist(),
                 **top_cost, **shared,
                 note=f"{where}; on the Lanczos top-D eigenvectors of ∇²L_n (residuals: "
                      "theirs, ‖∇²L_n u − λu‖)"),
        Quantity(name="subspace_criterion_random", symbol="Δ̂₂^(D) (random)",
                 value=float(random_gm[0][-1]), stderr=float(random_gm[1][-1]), **random_cost,
                 **shared, note=f"{where}; mean ± stderr over {frames} Haar-random frames"),
        Quantity(name="pure_quadratic_signal_top", symbol="σ⁴/4 (2TrB²+(TrB)²) (top-D)",
                 value=float(top_pure[-1]), stderr=0.0, method="exact from B (top-D)",
                 reference="paper 003, Eq. 16-17", note=f"{where}; shares the top-D cost"),
        Quantity(name="pure_quadratic_signal_random", symbol="σ⁴/4 (2TrB²+(TrB)²) (random)",
                 value=float(random_pure[0][-1]), stderr=float(random_pure[1][-1]),
                 method=f"exact from B, mean over {frames} frames",
                 reference="paper 003, Eq. 16-17", note=f"{where}; shares the random cost"),
        Quantity(name="value_gap", symbol="a", value=gap, stderr=0.0,
                 method="two loss evaluations", reference="paper 003, Eq. 8 (a_k)",
                 note="L_{n+m}(w) − L_n(w) at your weights"),
        Quantity(name="projected_gradient_norm", symbol="‖c‖ (top-D)",
                 value=float(np.linalg.norm(gradient[blocks[0]])), stderr=0.0,
                 method="autograd gradients", reference="paper 003, Lemma 1 (c_k)",
                 note="‖U_Dᵀ ∇(L_{n+m} − L_n)(w)‖"),
        Quantity(name="eigenvalue_increments", symbol="δ_i = u_iᵀ(H^(n+m) − H^(n))u_i",
                 values=increments.tolist(), stderr=0.0, method="HVPs on the top-D eigenvectors",
                 reference="paper 003, Corollary 4 / Eq. 16 (δ_i)",
                 note=("along the top-D eigenvectors of ∇²L_n, descending λ; off-diagonal share "
                       f"‖offdiag B‖_F/‖B‖_F = "
                       f"{float(np.linalg.norm(off) / max(np.linalg.norm(top_block), 1e-300)):.3g}"
                       " (0 when the Hessians share the eigenbasis)")),
        Quantity(name="subspace_criterion_curve", symbol="Δ̂₂^(d), d = 1..D (top-d)",
                 values=top_gm.tolist(), grid=list(range(1, dimension + 1)), stderr=0.0,
                 method="leading d eigenvectors (sub-blocks of B, c)", reference=_REFERENCE,
                 note=where),
    ]
    direct, quadratic = _direct_monte_carlo(
        problem, (before, after, growth), theta, basis[:, blocks[0]],
        (gap, gradient[blocks[0]], top_block), sigma)
    quantities.insert(1, direct)
    verdicts = [
        quadratic,
        _beats_random(float(top_gm[-1]), float(random_gm[0][-1]), float(random_gm[1][-1]),
                      frames),
        _increments_verdict(problem, increments, eigen.eigenvalues.cpu().numpy(), growth),
        _stationary_verdict(problem, before, theta, effective_trace),
    ]
    figure = _figure(dimension, top_gm, random_gm, frames)
    return PaperDiagnosis(
        paper=PAPER, title=TITLE, quantities=quantities, assumptions=verdicts,
        figures=[figure],
        not_computed=["the full-space criterion (Hutchinson traces of A) and the decay of the "
                      "criterion along a stream: not computed in this version"])


def _direct_monte_carlo(problem: Problem, increment: tuple[Objective, Objective, float],
                        theta: torch.Tensor, basis: torch.Tensor,
                        surrogate: tuple[float, np.ndarray, np.ndarray],
                        sigma: float) -> tuple[Quantity, AssumptionVerdict]:
    r"""Eq. 11 on the true increment along the top-D probe, and the Eq. 7 model's verdict.

    With common draws :math:`z_r` the per-draw difference of the squared true increment and
    of the squared quadratic surrogate :math:`(a + c^\top z_r + \frac12 z_r^\top Bz_r)^2`
    has mean 0 when the local quadratic model holds at :math:`\sigma`; it holds when that
    mean is within ``Z_LIMIT`` standard errors plus the rounding of the true increment,
    :math:`e = 64(n+m+p)\epsilon\rho(|L_n(w)| + |L_{\rm next}(w)|)` (a difference of two
    sums over the samples of losses of :math:`p`-term products), i.e. :math:`2e\max|\Delta|`.
    """
    before, after, growth = increment
    gap, gradient, hessian = surrogate
    generator = torch.Generator().manual_seed(problem.seed + 4)
    draws = sigma * torch.randn(DRAWS, basis.shape[1], generator=generator, dtype=torch.float64)
    with Timer("Δ₂^(D) direct MC (top-D)") as timer, torch.no_grad():
        true = []
        for row in draws:
            point = theta + basis @ row.to(device=theta.device, dtype=theta.dtype)
            true.append(growth * float(after(point) - before(point)))
        size = abs(float(before(theta))) + abs(float(after(theta)))
    values, z = np.asarray(true), draws.numpy()
    quadratic = gap + z @ gradient + 0.5 * np.einsum("ri,ij,rj->r", z, hessian, z)
    mean, stderr = (float(v) for v in _mean_stderr(values**2))
    quantity = Quantity(
        name="subspace_criterion_direct", symbol="Δ₂^(D) direct MC (top-D)", value=mean,
        stderr=stderr, seconds=timer.seconds, method=f"direct Monte Carlo ({DRAWS} draws)",
        reference="paper 003, Eq. 11 (direct subspace Monte Carlo)",
        note=f"the true increment ρ(L_next − L_n)(w + U_D z), σ = {sigma:g}")
    difference = values**2 - quadratic**2
    gap_mean, gap_stderr = (float(v) for v in _mean_stderr(difference))
    rounding = (64 * (before.num_samples + after.num_samples + problem.num_parameters)
                * torch.finfo(problem.dtype).eps * growth * size)
    limit = Z_LIMIT * gap_stderr + 2 * rounding * float(np.abs(values).max()) + rounding**2
    holds = abs(gap_mean) <= limit
    verdict = AssumptionVerdict(
        name="local_quadratic_model", paper=PAPER,
        theorem="Eq. 7 (local quadratic model of the increment at σ; Lemma 1, Eq. 15)",
        status=AssumptionStatus.HOLDS if holds else AssumptionStatus.FAILS,
        evidence=(f"mean of Δ² − q² over {DRAWS} common draws = {gap_mean:.3g} "
                  f"{'within' if holds else 'beyond'} {limit:.3g} ({Z_LIMIT:g} stderr "
                  f"{gap_stderr:.2g} + rounding); direct {mean:.4g} ± {stderr:.2g} vs Gaussian "
                  f"moment of the surrogate"),
        numbers={"mean_difference": gap_mean, "stderr": gap_stderr, "limit": limit,
                 "direct": mean, "direct_stderr": stderr})
    return quantity, verdict


def _beats_random(top: float, mean: float, stderr: float, frames: int) -> AssumptionVerdict:
    z = (top - mean) / stderr if stderr > 0 else math.copysign(math.inf, top - mean)
    if z > Z_LIMIT:
        status, text = AssumptionStatus.HOLDS, "beats"
    elif z < -Z_LIMIT:
        status, text = AssumptionStatus.FAILS, "loses to"
    else:
        status, text = AssumptionStatus.UNDECIDED, "is within reach of"
    return AssumptionVerdict(
        name="top_d_beats_random", paper=PAPER,
        theorem="Proposition 3 (top-D eigenspace extremal)", status=status,
        evidence=(f"Δ̂₂^(D) top-D = {top:.4g} {text} random frames {mean:.4g} ± {stderr:.2g} "
                  f"(z = {z:.3g}, limit ±{Z_LIMIT:g} stderr over {frames} frames)"),
        numbers={"top": top, "random_mean": mean, "random_stderr": stderr, "z": z})


def _increments_verdict(problem: Problem, increments: np.ndarray, eigenvalues: np.ndarray,
                        growth: float) -> AssumptionVerdict:
    r""":math:`\delta_i\ge0` along the top-D, each to within :math:`(p+n)\epsilon` of its scale.

    :math:`u^\top H^{(n)}u = \lambda_i` and :math:`u^\top H^{(n+m)}u = \lambda_i+\delta_i`, so
    the rounding of :math:`\delta_i` is at most :math:`(p+n)\epsilon\,(|\lambda_i| +
    |\lambda_i+\delta_i|)` (the sums over parameters and samples of two products).
    """
    size = problem.num_parameters + problem.num_samples
    margins = np.array([roundoff_tolerance(abs(lam) + abs(lam + delta), size, problem.dtype)
                        for lam, delta in zip(eigenvalues, increments, strict=True)])
    worst = int(np.argmin(increments + margins))
    negative = increments < -margins
    status = AssumptionStatus.FAILS if negative.any() else AssumptionStatus.HOLDS
    return AssumptionVerdict(
        name="nonnegative_increments", paper=PAPER,
        theorem="Proposition 3 / Lemma 5 (δ_i ≥ 0 along the top-D eigenbasis)", status=status,
        evidence=(f"{int(negative.sum())} of {increments.size} increments δ_i below −(p+n)ε "
                  f"scale; smallest δ_{worst + 1} = {increments[worst]:.3g} (margin "
                  f"{margins[worst]:.2g}); ρ = {growth:.4g}"),
        numbers={"smallest_increment": float(increments[worst]),
                 "margin": float(margins[worst]), "negative": float(negative.sum())})


def _stationary_verdict(problem: Problem, before: Objective, theta: torch.Tensor,
                        effective_trace: float | None) -> AssumptionVerdict:
    gradient_norm = float(torch.linalg.vector_norm(flat_gradient(before, theta)))
    theorem = "Eq. 8 (w = w_k*, a minimiser of L_n)"
    if effective_trace is None:
        return AssumptionVerdict(
            name="stationary_point", paper=PAPER, theorem=theorem,
            status=AssumptionStatus.UNDECIDED,
            evidence=f"‖∇L_n‖ = {gradient_norm:.3g}; no Tr H_eff given for its rounding margin",
            numbers={"gradient_norm": gradient_norm})
    tolerance = gradient_roundoff(problem, effective_trace)
    holds = gradient_norm <= tolerance
    return AssumptionVerdict(
        name="stationary_point", paper=PAPER, theorem=theorem,
        status=AssumptionStatus.HOLDS if holds else AssumptionStatus.FAILS,
        evidence=(f"‖∇L_n‖ = {gradient_norm:.3g} {'≤' if holds else '>'} working-precision "
                  f"margin {tolerance:.3g}" + ("" if holds else
                  ": not a minimiser; the criterion keeps ∇L_n in c (Eq. 7), Eq. 8 and "
                  "Proposition 3's c = 0 do not apply")),
        numbers={"gradient_norm": gradient_norm, "roundoff": tolerance})


def _figure(dimension: int, top: np.ndarray, random: tuple[np.ndarray, np.ndarray],
            frames: int) -> Figure:
    """Δ̂₂^(d) of the leading d top eigenvectors and of random frames (± 1 stderr band)."""
    grid = [float(d) for d in range(1, dimension + 1)]
    mean, stderr = random
    return Figure(
        title="paper 003: curvature-aligned criterion, top-d eigenspace vs random frames",
        x_label="subspace dimension d", y_label="Δ̂₂^(d) (Gaussian moment, Eq. 15)",
        series=[FigureSeries(label="top-d eigenspace of ∇²L_n", x=grid, y=top.tolist(),
                             style="scatter"),
                FigureSeries(label=f"random frames (mean of {frames})", x=grid,
                             y=mean.tolist()),
                FigureSeries(label="random − 1 stderr", x=grid, y=(mean - stderr).tolist(),
                             style="band"),
                FigureSeries(label="random + 1 stderr", x=grid, y=(mean + stderr).tolist(),
                             style="band")])
