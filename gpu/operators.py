r"""Matrix-free curvature operators of a network on a data set.

All operators act on flat vectors over the selected parameters :math:`\theta\in\mathbb{R}^p`
(or, for :math:`J` and :math:`\Theta`, on stacked outputs in :math:`\mathbb{R}^{nK}`, sample
major). With :math:`J_i = \partial f(x_i)/\partial\theta\in\mathbb{R}^{K\times p}`,
per-sample losses :math:`\ell_i` and :math:`L = \frac1n\sum_i\ell_i`
(:mod:`theorylab.gpu.losses`):

================================  =========================================================
:class:`OutputJacobianOperator`   :math:`J v` (``jvp``) and :math:`J^\top u` (``vjp``)
:class:`EffectiveCurvatureOperator` :math:`H_{\rm eff} = \frac1n J^\top J` (paper 000, Eq. 7)
:class:`GGNOperator`              :math:`G = \frac1n\sum_i J_i^\top \Lambda_i J_i`,
                                  :math:`\Lambda_i = \partial^2\ell_i/\partial f^2`
:class:`HessianOperator`          :math:`\nabla^2 L` (reverse-over-reverse HVP)
:class:`GradientCovarianceOperator` per-sample gradient covariance (SGD noise)
:class:`NTKOperator`              :math:`\Theta = J J^\top` (unnormalised)
================================  =========================================================

Every operator is built from an :class:`~theorylab.gpu.adapter.Objective` or, through
``from_model``, from a module and data. Products are exact (no sampling) and processed
batch by batch.
"""

from __future__ import annotations

from typing import Any

import torch

from theorylab.errors import ParameterError

from .adapter import Batch, Objective
from .linear_operator import CurvatureOperator

__all__ = [
    "EffectiveCurvatureOperator",
    "GGNOperator",
    "GradientCovarianceOperator",
    "HessianOperator",
    "NTKOperator",
    "OutputJacobianOperator",
]


class _ObjectiveOperator(CurvatureOperator):
    """An operator defined by an :class:`Objective` (model, data, loss, parameter subset)."""

    needs_targets = False

    def __init__(self, objective: Objective, shape: tuple[int, int], *, symmetric: bool) -> None:
        if self.needs_targets:
            objective.require_targets()
        functional = objective.functional
        super().__init__(shape, functional.dtype, functional.device, symmetric=symmetric)
        self.objective = objective
        self.functional = functional
        self.theta = functional.theta
        self.num_samples = objective.num_samples

    @classmethod
    def from_model(
        cls,
        model: torch.nn.Module,
        inputs: Any,
        targets: Any = None,
        *,
        loss: Any = "mse",
        parameters: Any = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        chunk_size: int | None = None,
        **options: Any,
    ) -> Any:
        """Build the operator from a module and data (see :class:`Objective` for arguments)."""
        objective = Objective(model, inputs, targets, loss=loss, parameters=parameters,
                              device=device, dtype=dtype, chunk_size=chunk_size)
        return cls(objective, **options)

    def _batch_outputs(self, batch: Batch) -> Any:
        inputs = batch[0]
        return lambda theta: self.functional.outputs(theta, inputs)

    def _jvp(self, function: Any, vector: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.func.jvp(function, (self.theta,), (vector,))

    def _vjp(self, function: Any, cotangent: torch.Tensor) -> torch.Tensor:
        _, pull = torch.func.vjp(function, self.theta)
        return pull(cotangent)[0]


class OutputJacobianOperator(_ObjectiveOperator):
    r"""The stacked output Jacobian :math:`J\in\mathbb{R}^{nK\times p}`, row :math:`iK+k`.

    ``J @ v`` is a forward-mode product (``jvp``), ``J.T @ u`` a reverse-mode one (``vjp``).

    Examples
    --------
    Linear regression, :math:`J = X`:

    >>> X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> J = OutputJacobianOperator.from_model(torch.nn.Linear(2, 1, bias=False), X)
    >>> J @ torch.tensor([1.0, 0.0])
    tensor([1., 3.])
    """

    def __init__(self, objective: Objective) -> None:
        rows = objective.num_samples * objective.num_outputs
        super().__init__(objective, (rows, objective.functional.num_parameters), symmetric=False)

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        pieces = [self._jvp(self._batch_outputs(b), vector)[1] for b in self.objective.batches]
        return torch.cat([piece.reshape(-1) for piece in pieces])

    def _rmatvec(self, vector: torch.Tensor) -> torch.Tensor:
        total = torch.zeros_like(self.theta)
        start = 0
        num_outputs = self.objective.num_outputs
        for batch in self.objective.batches:
            size = batch[0].shape[0]
            cotangent = vector[start : start + size * num_outputs].reshape(size, num_outputs)
            total = total + self._vjp(self._batch_outputs(batch), cotangent)
            start += size * num_outputs
        return total


class GGNOperator(_ObjectiveOperator):
    r"""Generalised Gauss–Newton :math:`G = \frac1n\sum_i J_i^\top\Lambda_i J_i`.

    :math:`\Lambda_i = \partial^2\ell(f_i, y_i)/\partial f^2` is applied exactly by a
    Hessian-vector product of the loss in output space: :math:`I_K` for ``"mse"``
    (:math:`G = H_{\rm eff}`), :math:`\mathrm{diag}(p_i) - p_ip_i^\top` for
    ``"cross_entropy"``, :math:`p_i(1-p_i)` for ``"binary_cross_entropy"``. For logistic
    regression :math:`G = \nabla^2 L = X^\top\mathrm{diag}(p(1-p))X/n`.
    """

    needs_targets = True

    def __init__(self, objective: Objective) -> None:
        size = objective.functional.num_parameters
        super().__init__(objective, (size, size), symmetric=True)

    def _output_hessian(
        self, outputs: torch.Tensor, batch: Batch, tangent: torch.Tensor
    ) -> torch.Tensor:
        targets = batch[1]
        gradient = torch.func.grad(lambda out: self.objective.loss.total(out, targets))
        return torch.func.jvp(gradient, (outputs,), (tangent,))[1]

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        total = torch.zeros_like(self.theta)
        for batch in self.objective.batches:
            function = self._batch_outputs(batch)
            outputs, tangent = self._jvp(function, vector)
            total = total + self._vjp(function, self._output_hessian(outputs, batch, tangent))
        return total / self.num_samples


class EffectiveCurvatureOperator(GGNOperator):
    r"""Effective curvature :math:`H_{\rm eff} = \frac1n J^\top J` (paper 000, Eq. 7).

    Label-free (no targets needed); equals the GGN of the ``"mse"`` loss
    :math:`\frac{1}{2n}\sum_i\|f_i-y_i\|^2`.

    Examples
    --------
    Linear regression, :math:`H_{\rm eff} = X^\top X/n`:

    >>> X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> H = EffectiveCurvatureOperator.from_model(torch.nn.Linear(2, 1, bias=False), X)
    >>> H.to_dense().tolist()
    [[5.0, 7.0], [7.0, 10.0]]
    """

    needs_targets = False

    def _output_hessian(
        self, outputs: torch.Tensor, batch: Batch, tangent: torch.Tensor
    ) -> torch.Tensor:
        return tangent


class HessianOperator(_ObjectiveOperator):
    r"""Loss Hessian :math:`\nabla^2_\theta L`, by reverse-over-reverse (default) products.

    :math:`\nabla^2 L\,v = \nabla_\theta\big(\nabla_\theta L(\theta)^\top v\big)`, summed
    over batches of :math:`L = \frac1n\sum_i\ell_i`. Two exact ways to form it:

    * ``mode="reverse"`` (default): double backward (Pearlmutter 1994) with
      :func:`torch.autograd.grad` and ``create_graph=True``; the faster of the two on CPU
      for the reference networks (1.2-2.5x, ``benchmarks/RESULTS.md``), but it cannot run
      inside a ``torch.func`` transform (``vmap``, ``grad``).
    * ``mode="forward"``: forward-over-reverse, ``torch.func.jvp`` of ``torch.func.grad``
      (:math:`\frac{d}{d\epsilon}\nabla L(\theta+\epsilon v)|_{\epsilon=0}`);
      composable with ``torch.func`` transforms.

    Both agree to rounding (the benchmark prints their maximum relative difference).

    With ``reuse_graph`` the reverse mode builds the gradient graph
    :math:`\theta\mapsto\nabla L(\theta)` once, on the first product, keeps it, and forms
    every product as one backward pass through it (``retain_graph=True``, as PyHessian
    does): a product then costs the second backward only. The graph holds the activations
    of every batch for the operator's lifetime, so ``None`` (the default) reuses it only
    when the objective is a single batch, whose graph a product holds anyway.

    Raises
    ------
    ParameterError
        If ``mode`` is neither ``"reverse"`` nor ``"forward"``, or ``reuse_graph`` is set
        with ``mode="forward"``.
    """

    needs_targets = True

    def __init__(
        self, objective: Objective, *, mode: str = "reverse", reuse_graph: bool | None = None
    ) -> None:
        if mode not in ("reverse", "forward"):
            raise ParameterError(f"mode must be 'reverse' or 'forward', got {mode!r}")
        if reuse_graph and mode == "forward":
            raise ParameterError("reuse_graph needs mode='reverse' (a retained autograd graph)")
        size = objective.functional.num_parameters
        super().__init__(objective, (size, size), symmetric=True)
        self.mode = mode
        self.reuse_graph = (mode == "reverse" and len(objective.batches) == 1
                            if reuse_graph is None else bool(reuse_graph))
        self._graph: tuple[torch.Tensor, torch.Tensor | None] | None = None

    def gradient_graph(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        r"""Return ``(theta, gradient)``: a leaf and :math:`\nabla L` with its graph (cached).

        ``gradient`` is ``None`` when the loss is affine in :math:`\theta` (zero Hessian).
        """
        if self._graph is None:
            with torch.enable_grad():
                theta = self.theta.detach().requires_grad_(True)
                loss = torch.stack([self.objective.batch_loss(theta, batch)
                                    for batch in self.objective.batches]).sum()
                (gradient,) = torch.autograd.grad(loss, theta, create_graph=True)
            self._graph = (theta, gradient if gradient.requires_grad else None)
        return self._graph

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        if self.mode == "forward":
            return self._forward_over_reverse(vector)
        if self.reuse_graph:
            theta, gradient = self.gradient_graph()
            if gradient is None:
                return torch.zeros_like(self.theta)
            with torch.enable_grad():
                (product,) = torch.autograd.grad(gradient, theta, grad_outputs=vector,
                                                 retain_graph=True)
            return product
        total = torch.zeros_like(self.theta)
        with torch.enable_grad():
            theta = self.theta.detach().requires_grad_(True)
            for batch in self.objective.batches:
                loss = self.objective.batch_loss(theta, batch)
                (gradient,) = torch.autograd.grad(loss, theta, create_graph=True)
                if gradient.requires_grad:  # else the loss is affine in theta: zero Hessian
                    (product,) = torch.autograd.grad(gradient, theta, grad_outputs=vector)
                    total = total + product
        return total

    def _forward_over_reverse(self, vector: torch.Tensor) -> torch.Tensor:
        total = torch.zeros_like(self.theta)
        for batch in self.objective.batches:
            gradient = torch.func.grad(lambda theta, b=batch: self.objective.batch_loss(theta, b))
            total = total + self._jvp(gradient, vector)[1]
        return total


class GradientCovarianceOperator(_ObjectiveOperator):
    r"""Per-sample gradient covariance with optional mini-batch scaling.

    With :math:`g_i = \nabla_\theta\ell_i` and :math:`\bar g = \frac1n\sum_i g_i`:

    .. math::
        C = \frac1n\sum_i g_i g_i^\top \quad\text{(uncentered)},\qquad
        \Sigma = \frac1n\sum_i (g_i-\bar g)(g_i-\bar g)^\top = C - \bar g\bar g^\top.

    With ``batch_size`` :math:`b`, the operator is the covariance of a mini-batch mean
    gradient, :math:`\Sigma/b` when sampling with replacement and
    :math:`\Sigma\,\frac{n-b}{b(n-1)}` without replacement (the same factor multiplies
    :math:`C` when ``centered=False``). Products use ``jvp``/``vjp`` of the per-sample loss
    vector: :math:`Cv = \frac1n G^\top(Gv)` with :math:`G = \partial\ell/\partial\theta`.

    Parameters
    ----------
    objective
        Model, data (with targets) and loss.
    centered
        Subtract :math:`\bar g\bar g^\top` (default) or not.
    batch_size
        Mini-batch size :math:`b` (``None``: no scaling).
    replacement
        Sampling with (default) or without replacement.
    """

    needs_targets = True

    def __init__(
        self,
        objective: Objective,
        *,
        centered: bool = True,
        batch_size: int | None = None,
        replacement: bool = True,
    ) -> None:
        size = objective.functional.num_parameters
        super().__init__(objective, (size, size), symmetric=True)
        self.centered = centered
        self.scale = _minibatch_scale(objective.num_samples, batch_size, replacement)
        self.mean_gradient = (
            torch.func.grad(objective)(self.theta).detach() if centered else None
        )

    def _per_sample_losses(self, batch: Batch) -> Any:
        inputs, targets = batch
        loss = self.objective.loss
        return lambda theta: loss.per_sample(self.functional.outputs(theta, inputs), targets)

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        total = torch.zeros_like(self.theta)
        for batch in self.objective.batches:
            function = self._per_sample_losses(batch)
            total = total + self._vjp(function, self._jvp(function, vector)[1])
        total = total / self.num_samples
        if self.mean_gradient is not None:
            total = total - self.mean_gradient * (self.mean_gradient @ vector)
        return self.scale * total


def _minibatch_scale(samples: int, batch_size: int | None, replacement: bool) -> float:
    if batch_size is None:
        return 1.0
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ParameterError(f"batch_size must be a positive int, got {batch_size!r}")
    if replacement:
        return 1.0 / batch_size
    if not 1 <= batch_size <= samples or samples < 2:
        raise ParameterError(f"without replacement batch_size must lie in [1, n={samples}] "
                             f"and n >= 2, got batch_size={batch_size}")
    return (samples - batch_size) / (batch_size * (samples - 1))


class NTKOperator(_ObjectiveOperator):
    r"""Empirical NTK Gram operator :math:`\Theta = JJ^\top \in\mathbb{R}^{nK\times nK}`.

    Unnormalised; divide by :math:`n` (or the paper's :math:`D`) for a normalised kernel.
    :math:`\Theta u = J(J^\top u)`: one ``vjp`` and one ``jvp`` per batch.
    """

    def __init__(self, objective: Objective) -> None:
        rows = objective.num_samples * objective.num_outputs
        super().__init__(objective, (rows, rows), symmetric=True)
        self.jacobian = OutputJacobianOperator(objective)

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        return self.jacobian._matvec(self.jacobian._rmatvec(vector))
