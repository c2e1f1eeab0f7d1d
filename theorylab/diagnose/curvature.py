r"""Curvature at the user's point: top eigenpairs of the Hessian and the GGN, exact traces.

With :math:`L = \frac1n\sum_i\ell_i` (:mod:`theorylab.gpu.losses`):

* the top-:math:`k` eigenpairs of :math:`\nabla^2L` and of the GGN
  :math:`G = \frac1n\sum_iJ_i^\top\Lambda_iJ_i` by Lanczos (full reorthogonalisation; partial,
  semi-orthogonal, on the CPU from :math:`10^5` parameters)
  (:func:`theorylab.gpu.lanczos_eigenpairs`), each with its explicit residual
  :math:`\|Av-\lambda v\|`; a Ritz value lies within its residual of an eigenvalue;
* :math:`\operatorname{Tr}H_{\rm eff} = \frac1n\sum_i\|J_i\|_F^2` (paper 000, Eq. 7), exact from
  per-sample Jacobians, and :math:`\operatorname{Tr}\nabla^2L` exact from :math:`p` products
  with basis vectors (:func:`theorylab.gpu.exact_trace`) up to ``level.exact_trace_parameters``
  parameters, Hutch++ with its standard error above (:func:`theorylab.gpu.hutchpp_trace`);
* the spectral density :math:`\mu = \frac1p\sum_i\delta_{\lambda_i(\nabla^2L)}` by stochastic
  Lanczos quadrature (:func:`theorylab.gpu.slq_spectral_density`; Ubaru, Chen & Saad 2017,
  Ghorbani et al. 2019), smoothed by a Gaussian of width :math:`\sigma` (its resolution),
  with its moments :math:`\int\lambda\,d\mu = \operatorname{Tr}\nabla^2L/p` and
  :math:`\int\lambda^2d\mu = \operatorname{Tr}(\nabla^2L)^2/p` and their standard errors
  over the probes. A probe's Gauss rule integrates polynomials of degree :math:`< 2m` exactly,
  so each probe's moments are exactly :math:`z^\top Hz/p` and :math:`z^\top H^2z/p`
  (Hutchinson's estimator, unbiased); the only error is the probes' sampling error.
"""

from __future__ import annotations

from theorylab.gpu import (
    GGNOperator,
    HessianOperator,
    effective_curvature_trace,
    exact_trace,
    hutchpp_trace,
    lanczos_eigenpairs,
    slq_spectral_density,
)
from theorylab.gpu.memory import check_memory
from theorylab.spec import Figure

from .figures import density_figure, spectrum_figure
from .model import SKIP_NAMES, Quantity
from .problem import Problem, Timer

__all__ = [
    "SKIPPABLE",
    "curvature_figure",
    "curvature_figures",
    "curvature_quantities",
    "spectral_density",
    "top_eigenpairs",
]


def top_eigenpairs(problem: Problem, operator_class: type, name: str, symbol: str,
                   reference: str) -> Quantity:
    r"""Top-:math:`k` eigenvalues (algebraically largest) of a curvature operator, with residuals.

    The Krylov basis holds up to :math:`\min(p, \max(20k, 100))` vectors of :math:`p` entries;
    its bytes are checked against the memory budget before it is allocated.
    """
    size = problem.num_parameters
    k = min(problem.level.top_k, size)
    steps = min(size, max(20 * k, 100))
    itemsize = problem.functional.theta.element_size()
    check_memory(steps * size * itemsize, f"Lanczos basis ({steps}, {size})",
                 problem.memory_budget)
    with Timer(symbol) as timer:
        operator = operator_class(problem.objective)
        result = lanczos_eigenpairs(operator, k, tolerance=1e-6, seed=problem.seed)
    return Quantity(
        name=name, symbol=symbol, values=result.eigenvalues.tolist(),
        residuals=result.residuals.tolist(), seconds=timer.seconds, matvecs=result.matvecs,
        method=result.method, reference=reference,
        note=("descending; each Ritz value lies within its residual of an eigenvalue"
              + ("" if result.converged else "; NOT converged to relative residual 1e-6")),
    )


def spectral_density(problem: Problem) -> list[Quantity]:
    r"""The Hessian's SLQ spectral density and its first two moments, each with its stderr.

    Returns three quantities: ``hessian_spectral_density`` (``values`` the smoothed density
    :math:`\phi_\sigma` on ``grid``, ``stderr`` its largest pointwise standard error, the
    note stating the resolution :math:`\sigma`), and the moments
    ``hessian_spectral_mean`` (:math:`\operatorname{Tr}H/p`) and
    ``hessian_spectral_second_moment`` (:math:`\operatorname{Tr}H^2/p`). The stderr of a
    moment is the sample standard deviation of the per-probe moments over
    :math:`\sqrt{N}`. One probe's Krylov basis (``level.slq_steps`` vectors of :math:`p`
    entries) is checked against the memory budget first.
    """
    size, level = problem.num_parameters, problem.level
    steps = min(level.slq_steps, size)
    itemsize = problem.functional.theta.element_size()
    check_memory(steps * size * itemsize, f"SLQ Lanczos basis ({steps}, {size})",
                 problem.memory_budget)
    with Timer("φ_σ(λ)") as timer:
        result = slq_spectral_density(HessianOperator(problem.objective),
                                      probes=level.slq_probes, steps=steps, seed=problem.seed)
    probes = result.nodes.shape[0]
    moments = [(result.weights * result.nodes**power).sum(dim=1) for power in (1, 2)]
    stderrs = [float(m.std()) / probes**0.5 if probes > 1 else float("inf") for m in moments]
    grid, sigma = result.grid, result.bandwidth
    cost = {"seconds": timer.seconds, "matvecs": result.matvecs,
            "method": f"SLQ ({probes} Rademacher probes x {steps} Lanczos steps)"}
    density = Quantity(
        name="hessian_spectral_density", symbol="φ_σ(λ)", values=result.density.tolist(),
        grid=grid.tolist(), stderr=float(result.stderr.max()),
        reference="spectral density of the Hessian (Ghorbani et al. 2019)",
        note=(f"Gaussian-smoothed: resolution σ = {sigma:.3g} (1% of the node range); stderr "
              f"is the largest pointwise one over the grid"), **cost)
    mean = Quantity(name="hessian_spectral_mean", symbol="∫λ dμ", value=float(moments[0].mean()),
                    stderr=stderrs[0], reference="Tr ∇²L / p", note="shares the density's cost",
                    method=cost["method"])
    second = Quantity(name="hessian_spectral_second_moment", symbol="∫λ² dμ",
                      value=float(moments[1].mean()), stderr=stderrs[1],
                      reference="Tr (∇²L)² / p", note="shares the density's cost",
                      method=cost["method"])
    return [density, mean, second]


SKIPPABLE = SKIP_NAMES[:2]
"""Curvature quantities a caller may skip (nothing else depends on them)."""


def _skipped(name: str, symbol: str) -> Quantity:
    return Quantity(name=name, symbol=symbol, note="skipped at the caller's request (skip=...)")


def curvature_quantities(problem: Problem, skip: frozenset[str] = frozenset()) -> list[Quantity]:
    r"""Top Hessian and GGN eigenpairs, exact :math:`\operatorname{Tr}H_{\rm eff}`, Tr H, SLQ.

    ``skip`` may name :data:`SKIPPABLE` parts; each is returned as a quantity with no value.
    """
    hessian = top_eigenpairs(problem, HessianOperator, "hessian_top_eigenvalues", "λ_k(∇²L)",
                             "Hessian of the empirical risk")
    ggn = top_eigenpairs(problem, GGNOperator, "ggn_top_eigenvalues", "λ_k(G)",
                         "generalised Gauss-Newton G = (1/n) Σ J_iᵀ Λ_i J_i")
    with Timer("Tr H_eff") as timer:
        h_eff = effective_curvature_trace(
            problem.model, problem.inputs, parameters=problem.parameters, device=problem.device,
            dtype=problem.dtype, memory_budget=problem.memory_budget)
    effective = Quantity(
        name="effective_curvature_trace", symbol="Tr H_eff", value=h_eff.value, stderr=0.0,
        seconds=timer.seconds, matvecs=0, method="exact (per-sample Jacobians)",
        reference="paper 000, Eq. 7", note="H_eff = JᵀJ/n, summed over the K outputs")
    density = (spectral_density(problem) if "spectral_density" not in skip else
               [_skipped("hessian_spectral_density", "φ_σ(λ)"),
                _skipped("hessian_spectral_mean", "∫λ dμ"),
                _skipped("hessian_spectral_second_moment", "∫λ² dμ")])
    if "hessian_trace" in skip:
        return [hessian, ggn, effective, _skipped("hessian_trace", "Tr ∇²L"), *density]
    exact = problem.num_parameters <= problem.level.exact_trace_parameters
    with Timer("Tr ∇²L") as timer:
        operator = HessianOperator(problem.objective)
        trace = (exact_trace(operator, memory_budget=problem.memory_budget) if exact else
                 hutchpp_trace(operator, matvecs=problem.level.trace_matvecs, seed=problem.seed))
    hessian_trace = Quantity(
        name="hessian_trace", symbol="Tr ∇²L", value=trace.value, stderr=trace.stderr,
        seconds=timer.seconds, matvecs=trace.matvecs,
        method="exact (basis-vector products)" if exact else "Hutch++ (Rademacher probes)",
        reference="Hessian of the empirical risk",
        note="" if exact else (f"p = {problem.num_parameters} > "
                               f"{problem.level.exact_trace_parameters}: estimated"))
    return [hessian, ggn, effective, hessian_trace, *density]


def curvature_figures(quantities: list[Quantity]) -> list[Figure]:
    """The top-eigenvalue figure, then the SLQ spectral density of the Hessian."""
    density = next(q for q in quantities if q.name == "hessian_spectral_density")
    if not density.computed:
        return [curvature_figure(quantities)]
    return [curvature_figure(quantities),
            density_figure("curvature: spectral density of the Hessian (SLQ)",
                           density.grid or [], density.values or [])]


def curvature_figure(quantities: list[Quantity]) -> Figure:
    """Top Hessian and GGN eigenvalues against their index (log scale, positive ones)."""
    by_name = {quantity.name: quantity for quantity in quantities}
    return spectrum_figure(
        "curvature: top eigenvalues of the Hessian and the GGN",
        {"Hessian ∇²L": by_name["hessian_top_eigenvalues"].values or [],
         "GGN G": by_name["ggn_top_eigenvalues"].values or []}, "eigenvalue")
