r"""KFAC and diagonal approximations of the softmax Fisher of an MLP (paper 004, Sec. 6).

For a linear layer :math:`s = W a + b` the exact Fisher block of :math:`[W\,|\,b]` is
:math:`\frac1n\sum_i (D_i^\top\Sigma_iD_i)\otimes(\bar a_i\bar a_i^\top)`, with
:math:`\bar a = [a; 1]`, :math:`D_i = \partial f(x_i)/\partial s` (``K × out``) and
:math:`\Sigma_i = \mathrm{diag}(p_i) - p_ip_i^\top`. KFAC (Martens & Grosse, 2015) replaces the
mean of Kronecker products by the Kronecker product of means,
:math:`G\otimes A`, :math:`G = \frac1n\sum D_i^\top\Sigma_iD_i`,
:math:`A = \frac1n\sum\bar a_i\bar a_i^\top`,
and is block diagonal over layers, so its eigenvalues are the products :math:`\gamma_j\alpha_k`
and :math:`\mathrm{rank}_\lambda(F_{\rm KFAC}) =
\sum_l\sum_{j,k}\gamma_j\alpha_k/(\gamma_j\alpha_k+\lambda)`.
The diagonal approximation keeps the exact diagonal
:math:`\frac1n\sum_i \mathrm{diag}(D_i^\top\Sigma_iD_i)\otimes\bar a_i^{\,2}`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from theorylab.errors import ShapeError

__all__ = ["KroneckerFactors", "kfac_factors"]


@dataclass(frozen=True)
class KroneckerFactors:
    """Per-layer KFAC factors ``A`` (in+1)², ``G`` (out)² and the exact Fisher diagonals."""

    input_factors: list[torch.Tensor]
    output_factors: list[torch.Tensor]
    diagonals: list[torch.Tensor]

    def eigenvalues(self) -> torch.Tensor:
        """All eigenvalues of the block-diagonal KFAC matrix (products per layer)."""
        values = []
        for a, g in zip(self.input_factors, self.output_factors, strict=True):
            alpha = torch.linalg.eigvalsh(a).clamp_min(0.0)
            gamma = torch.linalg.eigvalsh(g).clamp_min(0.0)
            values.append(torch.outer(gamma, alpha).reshape(-1))
        return torch.cat(values)

    def diagonal(self) -> torch.Tensor:
        """The exact diagonal of the Fisher, flattened layer by layer."""
        return torch.cat([d.reshape(-1) for d in self.diagonals])

    @staticmethod
    def soft_rank_of(values: torch.Tensor, regularization: float) -> float:
        r""":math:`\sum v/(v+\lambda)` of non-negative ``values``."""
        return float((values / (values + regularization)).sum())

    @staticmethod
    def log_det_of(values: torch.Tensor, regularization: float) -> float:
        r""":math:`\tfrac12\sum\log(1 + v/\lambda)`."""
        return float(0.5 * torch.log1p(values / regularization).sum())


def kfac_factors(model: torch.nn.Sequential, inputs: torch.Tensor) -> KroneckerFactors:
    r"""KFAC factors and exact Fisher diagonals of an ``nn.Sequential`` MLP (float64).

    Examples
    --------
    One linear layer with zero weights, one input :math:`x = 1`, K = 2: :math:`p = (1/2, 1/2)`,
    :math:`D = I`, :math:`G = \\Sigma`, :math:`A = \\bar a\\bar a^\\top = 1_{2\\times2}`:

    >>> layer = torch.nn.Sequential(torch.nn.Linear(1, 2)).double()
    >>> with torch.no_grad():
    ...     _ = [p.zero_() for p in layer.parameters()]
    >>> factors = kfac_factors(layer, torch.ones(1, 1, dtype=torch.float64))
    >>> factors.output_factors[0].tolist()
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    if not linears or not all(isinstance(m, torch.nn.Module) for m in model):
        raise ShapeError("kfac_factors needs an nn.Sequential containing nn.Linear layers")
    device = next(model.parameters()).device
    hidden = inputs.to(device=device, dtype=torch.float64)
    activations, perturbations = [], []
    for module in model:
        if isinstance(module, torch.nn.Linear):
            ones = torch.ones(hidden.shape[0], 1, dtype=hidden.dtype, device=device)
            activations.append(torch.cat([hidden, ones], 1) if module.bias is not None else hidden)
            zero = torch.zeros(
                hidden.shape[0],
                module.out_features,
                dtype=hidden.dtype,
                device=device,
                requires_grad=True,
            )
            perturbations.append(zero)
            hidden = module(hidden) + zero
        else:
            hidden = module(hidden)
    logits = hidden
    probabilities = torch.softmax(logits.detach(), dim=-1)
    classes = logits.shape[1]
    derivatives = [
        torch.zeros(logits.shape[0], classes, p.shape[1], dtype=torch.float64, device=device)
        for p in perturbations
    ]
    for k in range(classes):
        grads = torch.autograd.grad(logits[:, k].sum(), perturbations, retain_graph=k < classes - 1)
        for store, grad in zip(derivatives, grads, strict=True):
            store[:, k, :] = grad
    sigma = torch.diag_embed(probabilities) - probabilities[:, :, None] * probabilities[:, None, :]
    samples = inputs.shape[0]
    input_factors, output_factors, diagonals = [], [], []
    for activation, derivative in zip(activations, derivatives, strict=True):
        activation = activation.detach()
        per_sample = torch.einsum("nko,nkl,nlq->noq", derivative, sigma, derivative)
        output_factors.append(per_sample.mean(0))
        input_factors.append(activation.T @ activation / samples)
        diag = torch.diagonal(per_sample, dim1=1, dim2=2)
        diagonals.append(torch.einsum("no,ni->oi", diag, activation.square()) / samples)
    return KroneckerFactors(input_factors, output_factors, diagonals)
