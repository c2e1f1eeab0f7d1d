r"""Paper 000 at the user's point: the SGD TPV for the given :math:`\eta` and :math:`B`.

Three numbers, from the paper's closed form to the exact stationary solution:

* **Paper, Eq. 74**: :math:`\mathrm{TPV}_{\rm SGD}\approx\frac{\eta\sigma_\varepsilon^2}{2B}
  \operatorname{Tr}\nabla^2L` (:func:`theorylab.solvers.lyapunov.sgd_tpv`), with
  :math:`\sigma_\varepsilon^2` the mean squared residual at the point.
* **Paper, Eq. 73** with the exact noise trace: :math:`\frac\eta2\operatorname{Tr}\Sigma_\xi`.
* **Exact, Eq. 66**: the stationary covariance of the linearised SGD
  :math:`\delta w_{t+1} = (I-\eta G)\delta w_t - \eta\xi_t` with the exact noise covariance
  :math:`\Sigma_\xi` at the point (the paper's additive model, Eq. 65, without Eq. 47-54 and
  without dropping :math:`O(\eta^2)` as Eq. 70 does), :math:`C = ACA + \eta^2\Sigma_\xi`,
  :math:`A = I-\eta G`, and :math:`\mathrm{TPV} = \operatorname{Tr}(H_{\rm eff}C)`.
  :math:`G` is the Hessian of the linearised network (:math:`= H_{\rm eff}` for ``"mse"``,
  Eq. 64).

The exact solve runs on the row space of :math:`J` through the NTK Gram matrix
:math:`K = JJ^\top = U\,\mathrm{diag}(s^2)U^\top` (rank :math:`r`, eigenvalues
:math:`\le nK\epsilon s_1^2` dropped), :math:`J = US V^\top`: every operator involved maps
into that space, :math:`V^\top H_{\rm eff}V = S^2/n`,
:math:`V^\top GV = SU^\top\Lambda U S/n` (:math:`\Lambda` block-diagonal of
:math:`\partial^2\ell_i/\partial f^2`) and, with :math:`g_i = J_i^\top r_i`,
:math:`V^\top\Sigma_\xi V = S\,U^\top MU\,S/B`,
:math:`M = \frac1n\mathrm{blockdiag}(r_ir_i^\top) - \frac1{n^2}rr^\top` (Eq. 45). The
:math:`r\times r` Lyapunov equation is solved by
:func:`theorylab.solvers.lyapunov.sgd_stationary_covariance` (eigenbasis of :math:`G`; the
noise on a null direction of :math:`G` inside the row space, if any, random-walks and is
dropped and reported). Cost :math:`O((nK)^3)`, independent of :math:`p`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theorylab.errors import StabilityError
from theorylab.solvers.lyapunov import sgd_stationary_covariance, sgd_tpv

from .model import Quantity
from .problem import Problem, Timer

__all__ = ["GramLyapunov", "gram_lyapunov", "lyapunov_quantities"]


@dataclass(frozen=True)
class GramLyapunov:
    """Exact linearised-SGD stationary TPV on the row space of ``J`` (see module doc)."""

    tpv_discrete: float
    """Tr(H_eff C), C the solution of Eq. 66."""
    tpv_continuous: float
    """Tr(H_eff C), C the solution of Eq. 70 (GC + CG = ηΣ)."""
    noise_trace: float
    """Tr Σ_ξ by the Gram route (a check on the per-sample route)."""
    residual: float
    """Relative residual of the Eq. 66 solve."""
    rank: int
    null_noise: float
    largest_curvature: float
    """λ_max(G); stability needs η λ_max < 2."""


def gram_lyapunov(gram: np.ndarray, derivatives: np.ndarray, output_hessians: np.ndarray,
                  learning_rate: float, batch_size: int) -> GramLyapunov:
    r"""Solve Eq. 66 and Eq. 70 on the row space of ``J`` from the train Gram matrix.

    Parameters
    ----------
    gram
        :math:`K = JJ^\top`, ``(nK, nK)``, sample-major.
    derivatives
        :math:`r_i = \partial\ell_i/\partial f`, ``(n, K)``.
    output_hessians
        :math:`\Lambda_i`, ``(n, K, K)``.
    learning_rate, batch_size
        :math:`\eta` and :math:`B` (draws with replacement, Eq. 46).

    Raises
    ------
    StabilityError
        If :math:`\eta\lambda_{\max}(G)\ge 2`: linearised SGD has no stationary law.
    """
    samples, outputs = derivatives.shape
    values, vectors = np.linalg.eigh(gram)
    values, vectors = values[::-1], vectors[:, ::-1]
    cutoff = gram.shape[0] * np.finfo(np.float64).eps * max(float(values[0]), 0.0)
    rank = int(np.count_nonzero(values > cutoff))
    scale = np.sqrt(values[:rank])
    basis = vectors[:, :rank].reshape(samples, outputs, rank)  # U_i, per sample
    pulled = np.einsum("nkr,nk->nr", basis, derivatives)  # U_i^T r_i
    mean = pulled.sum(axis=0) / samples
    middle = pulled.T @ pulled / samples - np.outer(mean, mean)  # U^T M U
    noise = scale[:, None] * middle * scale[None, :] / batch_size
    weighted = np.matmul(output_hessians, basis).reshape(samples * outputs, rank)  # Λ U
    curvature = basis.reshape(samples * outputs, rank).T @ weighted  # U^T Λ U, O(nKr²)
    curvature = scale[:, None] * curvature * scale[None, :] / samples
    weights = values[:rank] / samples  # diagonal of V^T H_eff V
    noise, curvature = 0.5 * (noise + noise.T), 0.5 * (curvature + curvature.T)
    largest = float(np.linalg.eigvalsh(curvature)[-1]) if rank else 0.0
    discrete = sgd_stationary_covariance(curvature, noise, learning_rate, "discrete",
                                         null_space="restrict")
    continuous = sgd_stationary_covariance(curvature, noise, learning_rate, "continuous",
                                           null_space="restrict")
    return GramLyapunov(
        tpv_discrete=float(weights @ np.diag(discrete.covariance)),
        tpv_continuous=float(weights @ np.diag(continuous.covariance)),
        noise_trace=float(np.trace(noise)), residual=discrete.residual, rank=rank,
        null_noise=discrete.null_noise, largest_curvature=largest)


def lyapunov_quantities(problem: Problem, gram: np.ndarray, derivatives: np.ndarray,
                        output_hessians: np.ndarray, noise_trace: float,
                        residual_variance: float, hessian_trace: Quantity | None,
                        gram_seconds: float) -> list[Quantity]:
    """Eq. 74 (paper), Eq. 73 (paper, exact noise) and Eq. 66 (exact) TPVs and their gap."""
    eta, batch = problem.learning_rate, problem.batch_size
    reference = "paper 000, App. D.3"
    quantities = []
    if hessian_trace is None or hessian_trace.value is None:
        paper = None
        quantities.append(Quantity(name="sgd_tpv_paper", symbol="ησ²Tr∇²L/2B",
                                   note="not computed: Tr ∇²L was skipped"))
    else:
        paper = sgd_tpv(max(hessian_trace.value, 0.0), residual_variance, eta, batch)
        quantities.append(Quantity(
            name="sgd_tpv_paper", symbol="ησ²Tr∇²L/2B", value=paper,
            stderr=eta * residual_variance * (hessian_trace.stderr or 0.0) / (2 * batch),
            seconds=hessian_trace.seconds, matvecs=hessian_trace.matvecs,
            method="paper's closed form", reference=reference + ", Eq. 74 (Theorem 3.3)",
            note=f"η = {eta:g}, B = {batch}, σ_ε² = {residual_variance:.4g} at the point"))
    quantities.append(Quantity(
        name="sgd_tpv_eq73", symbol="η Tr Σ_ξ / 2", value=eta * noise_trace / 2, stderr=0.0,
        method="paper's Eq. 73 with the exact Tr Σ_ξ", reference=reference + ", Eq. 73",
        note="drops the O(η²) term of Eq. 69 only"))
    with Timer("Tr(H_eff C), Eq. 66") as timer:
        try:
            exact = gram_lyapunov(gram, derivatives, output_hessians, eta, batch)
        except StabilityError as error:
            return [*quantities, Quantity(
                name="sgd_tpv_lyapunov", symbol="Tr(H_eff C), Eq. 66",
                note=f"no stationary covariance: {error}")]
    seconds = gram_seconds + timer.seconds
    quantities.append(Quantity(
        name="sgd_tpv_lyapunov", symbol="Tr(H_eff C), Eq. 66", value=exact.tpv_discrete,
        stderr=0.0, residuals=[exact.residual], seconds=seconds,
        method=f"exact (discrete Lyapunov on the rank-{exact.rank} row space of J, float64)",
        reference=reference + ", Eq. 64-66 (additive noise, G of the linearised network)",
        note=(f"Eq. 70 (continuous) gives {exact.tpv_continuous:.4g}; Tr Σ_ξ by the Gram "
              f"route {exact.noise_trace:.4g}; ηλ_max(G) = "
              f"{eta * exact.largest_curvature:.3g}"
              + (f"; noise {exact.null_noise:.3g} on G's null space dropped"
                 if exact.null_noise > 0 else ""))))
    if paper is not None and exact.tpv_discrete > 0:
        quantities.append(Quantity(
            name="sgd_tpv_gap", symbol="(Eq. 74 − exact)/exact",
            value=(paper - exact.tpv_discrete) / exact.tpv_discrete,
            stderr=quantities[0].stderr / exact.tpv_discrete, method="ratio",
            reference=reference,
            note="relative gap of the paper's Eq. 74 to the exact Eq. 66 solution"))
    return quantities
