r"""Curvature at the user's point: top eigenpairs of the Hessian and the GGN, exact traces.

With :math:`L = \frac1n\sum_i\ell_i` (:mod:`theorylab.gpu.losses`):

* the top-:math:`k` eigenpairs of :math:`\nabla^2L` and of the GGN
  :math:`G = \frac1n\sum_iJ_i^\top\Lambda_iJ_i` by Lanczos with full reorthogonalisation
  (:func:`theorylab.gpu.lanczos_eigenpairs`), each with its explicit residual
  :math:`\|Av-\lambda v\|`; a Ritz value lies within its residual of an eigenvalue;
* :math:`\operatorname{Tr}H_{\rm eff} = \frac1n\sum_i\|J_i\|_F^2` (paper 000, Eq. 7), exact from
  per-sample Jacobians, and :math:`\operatorname{Tr}\nabla^2L` exact from :math:`p` products
  with basis vectors (:func:`theorylab.gpu.exact_trace`) up to ``level.exact_trace_parameters``
  parameters, Hutch++ with its standard error above (:func:`theorylab.gpu.hutchpp_trace`).
"""

from __future__ import annotations

from theorylab.gpu import (
    GGNOperator,
    HessianOperator,
    effective_curvature_trace,
    exact_trace,
    hutchpp_trace,
    lanczos_eigenpairs,
)
from theorylab.gpu.memory import check_memory
from theorylab.spec import Figure

from .figures import spectrum_figure
from .model import Quantity
from .problem import Problem, Timer

__all__ = ["curvature_figure", "curvature_quantities", "top_eigenpairs"]


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
    with Timer() as timer:
        operator = operator_class(problem.objective)
        result = lanczos_eigenpairs(operator, k, tolerance=1e-6, seed=problem.seed)
    return Quantity(
        name=name, symbol=symbol, values=result.eigenvalues.tolist(),
        residuals=result.residuals.tolist(), seconds=timer.seconds, matvecs=result.matvecs,
        method="lanczos (full reorthogonalisation)", reference=reference,
        note=("descending; each Ritz value lies within its residual of an eigenvalue"
              + ("" if result.converged else "; NOT converged to relative residual 1e-6")),
    )


def curvature_quantities(problem: Problem) -> list[Quantity]:
    r"""Top Hessian and GGN eigenpairs, exact :math:`\operatorname{Tr}H_{\rm eff}` and Tr H."""
    hessian = top_eigenpairs(problem, HessianOperator, "hessian_top_eigenvalues", "λ_k(∇²L)",
                             "Hessian of the empirical risk")
    ggn = top_eigenpairs(problem, GGNOperator, "ggn_top_eigenvalues", "λ_k(G)",
                         "generalised Gauss-Newton G = (1/n) Σ J_iᵀ Λ_i J_i")
    with Timer() as timer:
        h_eff = effective_curvature_trace(
            problem.model, problem.inputs, parameters=problem.parameters, device=problem.device,
            dtype=problem.dtype, memory_budget=problem.memory_budget)
    effective = Quantity(
        name="effective_curvature_trace", symbol="Tr H_eff", value=h_eff.value, stderr=0.0,
        seconds=timer.seconds, matvecs=0, method="exact (per-sample Jacobians)",
        reference="paper 000, Eq. 7", note="H_eff = JᵀJ/n, summed over the K outputs")
    exact = problem.num_parameters <= problem.level.exact_trace_parameters
    with Timer() as timer:
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
    return [hessian, ggn, effective, hessian_trace]


def curvature_figure(quantities: list[Quantity]) -> Figure:
    """Top Hessian and GGN eigenvalues against their index (log scale, positive ones)."""
    by_name = {quantity.name: quantity for quantity in quantities}
    return spectrum_figure(
        "curvature: top eigenvalues of the Hessian and the GGN",
        {"Hessian ∇²L": by_name["hessian_top_eigenvalues"].values or [],
         "GGN G": by_name["ggn_top_eigenvalues"].values or []}, "eigenvalue")
