r"""Paper 004's information matrices at the user's point: Fisher :math:`F`, second moment :math:`C`.

For the three exponential-family losses of :mod:`theorylab.gpu.losses` the loss is the
negative log-likelihood :math:`c(y, \mathcal N) = -\mathcal N^\top y + A(\mathcal N)` up to a
constant (paper 004, Sec. 2): ``"mse"`` is :math:`\mathcal N(f, I)`, ``"cross_entropy"`` the
softmax categorical, ``"binary_cross_entropy"`` the logistic Bernoulli. With the output
residual :math:`e_i = \partial\ell_i/\partial f` and the output curvature
:math:`\Sigma_i = \partial^2\ell_i/\partial f^2 = \mathrm{Var}_{y\sim q(\cdot|f_i)}[y]`
(:math:`I`, :math:`\mathrm{diag}(p)-pp^\top`, :math:`p(1-p)`) and the output Jacobian
:math:`J_i`, on the :math:`n` training samples (Sec. 5, "The Relation Between C and F"):

.. math:: F = \frac1n\sum_iJ_i^\top\Sigma_iJ_i,\qquad
          C = \frac1n\sum_ig_ig_i^\top,\quad g_i = J_i^\top e_i = \nabla_\theta\ell_i,

:math:`F` the Fisher information (= the GGN) and :math:`C` the unregularised gradient second
moment (uncentred, as in Sec. 2). :func:`dense_information` forms both from the dense
per-sample Jacobians; :func:`slq_soft_rank` estimates :math:`\mathrm{rank}_\lambda(F)` on the
matrix-free :class:`~theorylab.gpu.GGNOperator`; :func:`kfac_soft_rank` uses
:func:`theorylab.gpu.kfac_factors` (softmax Fisher of an ``nn.Sequential`` of linear layers).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch

from theorylab.gpu import FisherSpectrum, GGNOperator, kfac_factors, output_jacobian, slq_trace
from theorylab.gpu.losses import Loss
from theorylab.gpu.memory import check_memory
from theorylab.gpu.results import TraceResult

from .problem import Problem

__all__ = [
    "NAMED_LOSSES",
    "DenseInformation",
    "OutputTerms",
    "condition_number",
    "dense_information",
    "kfac_layers",
    "kfac_soft_rank",
    "output_terms",
    "slq_soft_rank",
    "soft_rank_parts",
]

NAMED_LOSSES = ("mse", "cross_entropy", "binary_cross_entropy")
"""Losses that are exponential-family negative log-likelihoods (F is their GGN)."""


@dataclass(frozen=True)
class OutputTerms:
    r"""Per-sample losses :math:`\ell_i`, residuals :math:`e_i` (n, K), curvatures (n, K, K)."""

    losses: np.ndarray
    residuals: np.ndarray
    curvatures: np.ndarray

    @property
    def error(self) -> np.ndarray:
        r""":math:`\|e_i\|^2` per sample (Sec. 5's MSE term, :math:`\mathrm{Tr}\,B_i`)."""
        return np.sum(self.residuals**2, axis=1)

    @property
    def uncertainty(self) -> np.ndarray:
        r""":math:`\mathrm{Tr}\,\Sigma_i` per sample (Sec. 5's Uncertainty term)."""
        return np.trace(self.curvatures, axis1=1, axis2=2)


def output_terms(problem: Problem, inputs: torch.Tensor, targets: torch.Tensor) -> OutputTerms:
    r""":math:`\ell_i`, :math:`e_i = \partial_f\ell_i`, :math:`\Sigma_i = \partial_f^2\ell_i`."""
    functional, loss = problem.functional, problem.objective.loss

    def one(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return loss.per_sample(output.unsqueeze(0), target.unsqueeze(0))[0]

    pieces: list[tuple[torch.Tensor, ...]] = []
    with torch.no_grad():
        for start in range(0, inputs.shape[0], 512):
            x, y = inputs[start:start + 512], targets[start:start + 512]
            out = functional.outputs(functional.theta, x).to(torch.float64)
            pieces.append((torch.func.vmap(one)(out, y),
                           torch.func.vmap(torch.func.grad(one))(out, y),
                           torch.func.vmap(torch.func.hessian(one))(out, y)))
    losses, residuals, curvatures = (torch.cat(part).cpu().numpy()
                                     for part in zip(*pieces, strict=True))
    return OutputTerms(losses, residuals.reshape(len(losses), -1),
                       curvatures.reshape(len(losses), residuals.shape[-1], -1))


@dataclass(frozen=True)
class DenseInformation:
    r"""Dense :math:`F`, :math:`C` (p, p), F's eigenpairs and the calibration null variance.

    ``null_variance`` is :math:`s^2 = \frac1{n^2}\sum_i\|g_ig_i^\top - J_i^\top\Sigma_iJ_i\|_F^2`:
    if the model is calibrated at :math:`\theta` (:math:`\mathbb{E}[e_ie_i^\top|x_i] = \Sigma_i`,
    Def. 2.1), :math:`C - F` is a mean of :math:`n` independent zero-mean matrices and
    :math:`\mathbb{E}\|C-F\|_F^2 = s^2` (its plug-in estimate).
    """

    fisher: np.ndarray
    covariance: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    jacobian: np.ndarray
    null_variance: float
    seconds: float = 0.0


def dense_information(problem: Problem, terms: OutputTerms,
                      inputs: torch.Tensor | None = None) -> DenseInformation:
    """:math:`F`, :math:`C` on ``inputs`` (default the training set) from dense Jacobians.

    ``terms`` are the :func:`output_terms` of the same samples; memory is checked first.

    Raises
    ------
    MemoryBudgetError
        When the Jacobian ``(n, K, p)`` and four ``(p, p)`` float64 matrices exceed the budget.
    """
    inputs = problem.inputs if inputs is None else inputs
    n, k, p = inputs.shape[0], problem.num_outputs, problem.num_parameters
    check_memory(8 * (2 * n * k * p + 4 * p * p),
                 f"Jacobian ({n}, {k}, {p}) and F, C, eigenvectors ({p}, {p})",
                 problem.memory_budget)
    jacobian = output_jacobian(
        problem.model, inputs, parameters=problem.parameters, device=problem.device,
        dtype=torch.float64, memory_budget=problem.memory_budget).cpu().numpy().reshape(n, k, p)
    weighted = np.einsum("nkl,nlp->nkp", terms.curvatures, jacobian)
    fisher = jacobian.reshape(n * k, p).T @ weighted.reshape(n * k, p) / n
    fisher = (fisher + fisher.T) / 2
    gradients = np.einsum("nk,nkp->np", terms.residuals, jacobian)
    covariance = gradients.T @ gradients / n
    gram = np.einsum("nkp,nlp->nkl", jacobian, jacobian)
    e, sigma = terms.residuals, terms.curvatures
    quartic = np.einsum("nk,nkl,nl->n", e, gram, e) ** 2
    cross = np.einsum("nk,nkl,nlm,nmo,no->n", e, gram, sigma, gram, e)
    square = np.einsum("nkl,nlm,nmo,nok->n", sigma, gram, sigma, gram)
    values, vectors = np.linalg.eigh(fisher)
    order = np.argsort(values)[::-1]
    return DenseInformation(
        fisher=fisher, covariance=covariance, eigenvalues=np.clip(values[order], 0.0, None),
        eigenvectors=vectors[:, order], jacobian=jacobian,
        null_variance=float(np.sum(quartic - 2 * cross + square)) / n**2)


def condition_number(information: DenseInformation, regularization: float) -> float:
    r"""Prop. 5.3's :math:`\kappa = \mathrm{cond}\,\mathbb{E}[J(F+\lambda)^{-1}J^\top]`."""
    n, k, p = information.jacobian.shape
    if k == 1:
        return 1.0
    scale = 1.0 / np.sqrt(information.eigenvalues + regularization)
    whitened = (information.jacobian.reshape(n * k, p) @ information.eigenvectors * scale
                ).reshape(n, k, p)
    mean = np.einsum("nkq,nlq->kl", whitened, whitened) / whitened.shape[0]
    values = np.linalg.eigvalsh((mean + mean.T) / 2)
    return float(values[-1] / values[0]) if values[0] > 0 else float("inf")


def soft_rank_parts(information: DenseInformation, regularization: float) -> dict[str, float]:
    r"""Soft rank, :math:`\mathrm{Tr}C/\mathrm{Tr}F` and the regularised TIC from F's eigenpairs.

    ``rank`` is :math:`\sum_i\mu_i/(\mu_i+\lambda)`
    (:meth:`theorylab.gpu.FisherSpectrum.soft_rank`), ``tic`` is
    :math:`\mathrm{Tr}\,C(F+\lambda I)^{-1} = \sum_iv_i^\top Cv_i/(\mu_i+\lambda)`
    (Prop. 5.1 with :math:`H\approx F`) and ``eq8`` is
    :math:`\frac{\mathrm{Tr}C}{\mathrm{Tr}F}\mathrm{rank}_\lambda(F)` (Eq. 8).
    """
    values, vectors = information.eigenvalues, information.eigenvectors
    rank = FisherSpectrum(torch.from_numpy(values), values.size, 0).soft_rank(regularization)
    projected = np.sum(vectors * (information.covariance @ vectors), axis=0)
    trace_f = float(np.trace(information.fisher))
    ratio = float(np.trace(information.covariance)) / trace_f if trace_f > 0 else math.nan
    return {"rank": rank, "ratio": ratio, "eq8": ratio * rank,
            "tic": float(np.sum(projected / (values + regularization)))}


def slq_soft_rank(problem: Problem, regularization: float) -> TraceResult:
    r""":math:`\mathrm{rank}_\lambda(F) = \mathrm{Tr}\,F(F+\lambda I)^{-1}` by SLQ on the GGN."""
    size = problem.num_parameters
    steps = min(problem.level.slq_steps, size)
    check_memory(steps * size * problem.functional.theta.element_size(),
                 f"SLQ Lanczos basis ({steps}, {size})", problem.memory_budget)
    return slq_trace(GGNOperator(problem.objective),
                     lambda x: x.clamp_min(0.0) / (x.clamp_min(0.0) + regularization),
                     probes=problem.level.slq_probes, steps=steps, seed=problem.seed)


def kfac_layers(problem: Problem) -> list[str] | str:
    """Names of the linear layers KFAC covers, or why :func:`kfac_factors` does not apply."""
    model, loss = problem.model, problem.objective.loss
    if not isinstance(loss, Loss) or loss.name != "cross_entropy":
        return "KFAC (theorylab.gpu.kfac_factors) is the softmax Fisher: cross_entropy only"
    if not isinstance(model, torch.nn.Sequential):
        return "KFAC (theorylab.gpu.kfac_factors) needs an nn.Sequential of nn.Linear layers"
    linear = [name for name, module in model.named_children()
              if isinstance(module, torch.nn.Linear)]
    owned = {f"{name}.{p}" for name in linear for p, _ in model.get_submodule(name)
             .named_parameters()}
    every = {name for name, _ in model.named_parameters()}
    if not linear or owned != every or set(problem.functional.names) != every:
        return ("KFAC needs every parameter to belong to a top-level nn.Linear and the "
                "selection to be all parameters")
    return linear


def kfac_soft_rank(problem: Problem, regularization: float) -> float:
    r"""KFAC soft rank :math:`\sum_l\sum_{jk}\frac{\gamma_j\alpha_k}{\gamma_j\alpha_k+\lambda}`."""
    model = copy.deepcopy(problem.model).to(device=problem.device, dtype=torch.float64).eval()
    factors = kfac_factors(model, problem.inputs)
    return factors.soft_rank_of(factors.eigenvalues(), regularization)
