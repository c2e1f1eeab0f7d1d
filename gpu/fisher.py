r"""Softmax Fisher information of a classifier and its soft rank (paper 004, Sec. 2, 6, 7).

For logits :math:`f(x_i)` with Jacobian :math:`J_i` (``K × p``) and probabilities
:math:`p_i = \mathrm{softmax}(f(x_i))`, the (training-set) Fisher information is

.. math:: F = \frac1n\sum_i J_i^\top(\mathrm{diag}(p_i) - p_ip_i^\top)J_i
          = \frac1n M^\top M,\quad M_i = R_i^\top J_i,
          \ R_i = \mathrm{diag}(\sqrt{p_i}) - p_i\sqrt{p_i}^\top ,

(:math:`R_iR_i^\top = \mathrm{diag}(p_i) - p_ip_i^\top`), and the gradient covariance
:math:`C = \frac1n\sum_i J_i^\top(p_i-y_i)(p_i-y_i)^\top J_i`. The soft rank
:math:`\mathrm{rank}_\lambda(F) = \sum_i \mu_i/(\mu_i+\lambda)` is computed exactly from the
spectrum of the smaller of :math:`M^\top M/n` and :math:`MM^\top/n`, or by stochastic Lanczos
quadrature on the matrix-free :class:`~theorylab.gpu.operators.GGNOperator` (which for the
cross-entropy loss *is* this Fisher).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from theorylab.errors import ParameterError

from .jacobian import output_jacobian
from .linear_operator import CurvatureOperator
from .operators import GGNOperator
from .results import TraceResult
from .slq import slq_trace

__all__ = [
    "FisherFactorOperator",
    "FisherSpectrum",
    "fisher_factor",
    "fisher_soft_rank_slq",
    "fisher_spectrum",
    "gradient_covariance_trace",
]


@dataclass(frozen=True)
class FisherSpectrum:
    """Nonzero-padded eigenvalues of F (float64, descending) and the dense-side used."""

    eigenvalues: torch.Tensor
    parameters: int
    samples: int

    def soft_rank(self, regularization: float) -> float:
        r""":math:`\mathrm{rank}_\lambda(F) = \sum_i \mu_i/(\mu_i+\lambda)`."""
        lam = _positive(regularization)
        return float((self.eigenvalues / (self.eigenvalues + lam)).sum())

    def log_det(self, regularization: float) -> float:
        r""":math:`\tfrac12\log\det(F/\lambda + I)`."""
        lam = _positive(regularization)
        return float(0.5 * torch.log1p(self.eigenvalues / lam).sum())

    @property
    def trace(self) -> float:
        r""":math:`\\mathrm{Tr}\\,F`."""
        return float(self.eigenvalues.sum())

    @property
    def operator_norm(self) -> float:
        r""":math:`\\|F\\|_2`."""
        return float(self.eigenvalues.max())


def _positive(value: float) -> float:
    number = float(value)
    if not number > 0:
        raise ParameterError(f"regularization must be > 0, got {value!r}")
    return number


def _square_root_factor(probabilities: torch.Tensor) -> torch.Tensor:
    root = probabilities.sqrt()
    return torch.diag_embed(root) - probabilities[:, :, None] * root[:, None, :]


def fisher_factor(model: torch.nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    r"""``M`` of shape ``(n K, p)`` with :math:`F = M^\top M / n` (float64, model's device)."""
    jacobian = output_jacobian(model, inputs, dtype=torch.float64)
    with torch.no_grad():
        logits = model(
            inputs.to(next(model.parameters()).device, torch.float64)
            if next(model.parameters()).dtype == torch.float64
            else inputs
        )
    probabilities = torch.softmax(logits.to(torch.float64), dim=-1).to(jacobian.device)
    factor = _square_root_factor(probabilities)
    return torch.einsum("nkl,nkp->nlp", factor, jacobian).reshape(-1, jacobian.shape[-1])


def fisher_spectrum(model: torch.nn.Module, inputs: torch.Tensor) -> FisherSpectrum:
    """Exact eigenvalues of the softmax Fisher on ``inputs`` (dense, float64).

    Examples
    --------
    >>> layer = torch.nn.Linear(1, 2, bias=False).double()
    >>> with torch.no_grad():
    ...     _ = layer.weight.zero_()
    >>> spectrum = fisher_spectrum(layer, torch.ones(1, 1, dtype=torch.float64))
    >>> [round(v, 6) for v in spectrum.eigenvalues.tolist()]  # diag(p) - ppᵀ, p = (1/2, 1/2)
    [0.5, 0.0]
    """
    factor = fisher_factor(model, inputs)
    samples = inputs.shape[0]
    gram = factor.T @ factor if factor.shape[0] >= factor.shape[1] else factor @ factor.T
    values = torch.linalg.eigvalsh(gram / samples).clamp_min(0.0).flip(0).cpu()
    return FisherSpectrum(values, factor.shape[1], samples)


def gradient_covariance_trace(
    model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor
) -> tuple[float, float]:
    r"""``(Tr C, Tr F)`` on a data set.

    :math:`\mathrm{Tr}C = \frac1n\sum\|J_i^\top(p_i-y_i)\|^2`,
    :math:`\mathrm{Tr}F = \frac1n\sum\mathrm{Tr}(J_i^\top\Sigma_iJ_i)`.
    """
    jacobian = output_jacobian(model, inputs, dtype=torch.float64)
    with torch.no_grad():
        logits = torch.func.functional_call(model, dict(model.named_parameters()), (inputs,))
    probabilities = torch.softmax(logits.to(torch.float64), dim=-1).to(jacobian.device)
    onehot = torch.nn.functional.one_hot(labels.to(jacobian.device), probabilities.shape[1])
    residual = probabilities - onehot.to(torch.float64)
    covariance = torch.einsum("nk,nkp->np", residual, jacobian).square().sum(1).mean()
    factor = _square_root_factor(probabilities)
    fisher = torch.einsum("nkl,nkp->nlp", factor, jacobian).square().sum((1, 2)).mean()
    return float(covariance), float(fisher)


class FisherFactorOperator(CurvatureOperator):
    r"""The Fisher :math:`F = M^\top M/n` as a matrix-free operator on a stored factor ``M``."""

    def __init__(self, factor: torch.Tensor, samples: int) -> None:
        super().__init__(
            (factor.shape[1], factor.shape[1]), factor.dtype, factor.device, symmetric=True
        )
        self.factor, self.samples = factor, samples

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        return self.factor.T @ (self.factor @ vector) / self.samples


def fisher_soft_rank_slq(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    regularization: float,
    *,
    probes: int = 10,
    steps: int = 30,
    seed: int = 0,
    matrix_free: bool = False,
) -> TraceResult:
    r"""SLQ estimate of :math:`\mathrm{Tr}\,F(F+\lambda I)^{-1}`.

    ``matrix_free=False`` runs Lanczos on the stored factor ``M`` (:class:`FisherFactorOperator`);
    ``True`` on :class:`~theorylab.gpu.operators.GGNOperator` with the cross-entropy loss,
    which never forms a Jacobian (slower per product on CPU).
    """
    lam = _positive(regularization)
    if matrix_free:
        operator: CurvatureOperator = GGNOperator.from_model(
            model, inputs, labels, loss="cross_entropy", dtype=torch.float64
        )
    else:
        operator = FisherFactorOperator(fisher_factor(model, inputs), inputs.shape[0])
    return slq_trace(
        operator,
        lambda x: x.clamp_min(0.0) / (x.clamp_min(0.0) + lam),
        probes=probes,
        steps=steps,
        seed=seed,
    )
