r"""Trace estimators: exact (per-sample gradients), Hutchinson and Hutch++.

* Hutchinson (1989): :math:`\operatorname{Tr}A \approx \frac1m\sum_{j=1}^m z_j^\top Az_j`
  with Rademacher :math:`z_j`; unbiased, variance :math:`2(\|A\|_F^2 - \sum_i A_{ii}^2)/m`.
  The standard error is the sample standard deviation of :math:`z_j^\top Az_j` over
  :math:`\sqrt m`.
* Hutch++ (Meyer, Musco, Musco & Woodruff, SOSA 2021): with :math:`m/3` products each,
  sketch :math:`Q = \mathrm{orth}(AS)`, take :math:`\operatorname{Tr}(Q^\top AQ)` exactly and
  Hutchinson on the deflated :math:`(I-QQ^\top)A(I-QQ^\top)`; error :math:`O(1/m)` instead
  of :math:`O(1/\sqrt m)` for PSD :math:`A`. The standard error is that of the second term.
* Exact traces use per-sample quantities instead of products: for
  :math:`H_{\rm eff}` :math:`\frac1n\sum_i\|J_i\|_F^2` (paper 000, Eq. 7), for the gradient
  covariance :math:`\frac1n\sum_i\|g_i\|^2 - \|\bar g\|^2` (times the mini-batch factor),
  for the GGN :math:`\frac1n\sum_i\operatorname{Tr}(\Lambda_iJ_iJ_i^\top)`; any other
  operator falls back to :math:`\sum_i e_i^\top Ae_i` (``p`` products).
"""

from __future__ import annotations

import math

import torch

from theorylab.errors import ParameterError, ShapeError

from .jacobian import jacobian_chunks
from .linear_operator import CurvatureOperator
from .memory import (
    DEFAULT_MEMORY_BUDGET,
    check_memory,
    chunk_size_for,
    stream_chunk_size,
    sum_of_squares,
)
from .operators import EffectiveCurvatureOperator, GGNOperator, GradientCovarianceOperator
from .probes import rademacher_probes
from .results import TraceResult

__all__ = ["exact_trace", "hutchinson_trace", "hutchpp_trace"]


def _check_square(operator: CurvatureOperator) -> int:
    if operator.shape[0] != operator.shape[1]:
        raise ShapeError(f"a trace needs a square operator, got shape {operator.shape}")
    return operator.shape[0]


def _check_budget(matvecs: int, minimum: int) -> None:
    if isinstance(matvecs, bool) or not isinstance(matvecs, int) or matvecs < minimum:
        raise ParameterError(f"matvecs must be an int >= {minimum}, got {matvecs!r}")


def hutchinson_trace(
    operator: CurvatureOperator,
    *,
    matvecs: int = 100,
    seed: int = 0,
    relative_tolerance: float | None = None,
    block: int = 10,
) -> TraceResult:
    r"""Hutchinson's estimator :math:`\frac1m\sum_j z_j^\top Az_j` with Rademacher probes.

    With ``relative_tolerance`` set, probes are drawn ``block`` at a time until
    ``stderr <= relative_tolerance * |value|`` or ``matvecs`` products are spent; otherwise
    exactly ``matvecs`` probes are used.

    Examples
    --------
    Rademacher probes are exact on a diagonal matrix:

    >>> from theorylab.gpu.operators import EffectiveCurvatureOperator
    >>> X = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    >>> H = EffectiveCurvatureOperator.from_model(torch.nn.Linear(2, 1, bias=False).double(), X)
    >>> hutchinson_trace(H, matvecs=4).value  # Tr diag(0.5, 2)
    2.5
    """
    size = _check_square(operator)
    _check_budget(matvecs, 2)
    probes = rademacher_probes(size, matvecs, seed, dtype=operator.dtype, device=operator.device)
    samples: list[torch.Tensor] = []
    step = block if relative_tolerance is not None else matvecs
    for start in range(0, matvecs, step):
        chunk = probes[:, start : start + step]
        samples.append(((operator @ chunk) * chunk).sum(0))
        values = torch.cat(samples)
        mean = float(values.mean())
        stderr = float(values.std()) / math.sqrt(values.numel()) if values.numel() > 1 else math.inf
        if relative_tolerance is not None and stderr <= relative_tolerance * abs(mean):
            break
    return TraceResult(mean, stderr, values.numel(), values.numel(), "hutchinson", seed)


def hutchpp_trace(operator: CurvatureOperator, *, matvecs: int = 99, seed: int = 0) -> TraceResult:
    r"""Hutch++: exact trace on a sketched top subspace plus Hutchinson on the rest.

    Uses ``matvecs // 3`` products for the sketch, as many for :math:`Q^\top AQ` and as many
    for the deflated Hutchinson term (so ``3 * (matvecs // 3)`` products in total).
    """
    size = _check_square(operator)
    _check_budget(matvecs, 6)
    third = matvecs // 3
    probes = rademacher_probes(size, 2 * third, seed, dtype=operator.dtype,
                               device=operator.device)
    sketch, residual_probes = probes[:, :third], probes[:, third:]
    basis, _ = torch.linalg.qr(operator @ sketch)
    exact_part = float(torch.trace(basis.T @ (operator @ basis)))
    deflated = residual_probes - basis @ (basis.T @ residual_probes)
    values = ((operator @ deflated) * deflated).sum(0)
    value = exact_part + float(values.mean())
    stderr = float(values.std()) / math.sqrt(third)
    return TraceResult(value, stderr, 3 * third, 2 * third, "hutch++", seed)


def exact_trace(
    operator: CurvatureOperator, *, memory_budget: int | None = None, block: int | None = None
) -> TraceResult:
    r"""Exact trace from per-sample quantities where the operator allows it (see module doc).

    Any other operator (the loss Hessian, say) takes :math:`\sum_i e_i^\top Ae_i` over
    blocks of standard basis vectors generated on the device, one block at a time (never a
    dense :math:`p\times p` identity); the diagonal entries are summed on the device and
    read back once. A block of ``b`` vectors is counted as :math:`(b + 2)p` entries (the
    block, one product and as much again for its temporaries); ``block`` defaults to the
    largest ``b <= 256`` within ``memory_budget``. The budget covers these arrays, not the
    working set of one product (for a :class:`HessianOperator` that reuses its gradient
    graph, the graph it keeps).

    Returns
    -------
    TraceResult
        ``method="exact"``, ``stderr=0``; ``matvecs`` is ``p`` for the basis-vector route.

    Raises
    ------
    MemoryBudgetError
        If not even a block of one basis vector fits in ``memory_budget``; the message gives
        the bytes needed.
    ParameterError
        If ``block`` is given and not a positive int.
    """
    size = _check_square(operator)
    if isinstance(operator, GGNOperator):
        return _ggn_trace(operator)
    if isinstance(operator, GradientCovarianceOperator):
        return _covariance_trace(operator)
    return _basis_trace(operator, size, memory_budget, block)


def _basis_trace(
    operator: CurvatureOperator, size: int, memory_budget: int | None, block: int | None
) -> TraceResult:
    itemsize = torch.empty((), dtype=operator.dtype).element_size()
    if block is not None:
        step = chunk_size_for(size, 1, block)
    else:
        budget = DEFAULT_MEMORY_BUDGET if memory_budget is None else memory_budget
        step = max(1, min(size, 256, budget // (size * itemsize) - 2))
    needed = (step + 2) * size * itemsize
    check_memory(needed, f"exact trace of {type(operator).__name__} {operator.shape} by blocks "
                 f"of {step} basis vector(s) ({needed} bytes)", memory_budget)
    total = torch.zeros((), dtype=torch.float64, device=operator.device)
    for start in range(0, size, step):
        rows = min(step, size - start)
        index = torch.arange(rows, device=operator.device)
        basis = torch.zeros(rows, size, dtype=operator.dtype, device=operator.device)
        basis[index, start + index] = 1
        for row in range(rows):
            total += operator._matvec(basis[row]).detach()[start + row]
    return TraceResult(float(total), 0.0, size, size, "exact")


def _ggn_trace(operator: GGNOperator) -> TraceResult:
    objective, functional = operator.objective, operator.functional
    itemsize = functional.theta.element_size()
    largest = max(inputs.shape[0] for inputs, _ in objective.batches)
    step = stream_chunk_size(largest,
                             objective.num_outputs * functional.num_parameters * itemsize,
                             None, None, functional.device)
    output_hessians = torch.func.vmap(torch.func.hessian(
        lambda out, y: objective.loss.total(out.unsqueeze(0), y.unsqueeze(0))
    ))
    total = 0.0
    for inputs, targets in objective.batches:
        for start in range(0, inputs.shape[0], step):
            chunk = inputs[start : start + step]
            (jacobians,) = jacobian_chunks(functional, chunk, chunk_size=chunk.shape[0])
            if isinstance(operator, EffectiveCurvatureOperator):
                total += float(sum_of_squares(jacobians))
                continue
            outputs = functional.outputs(operator.theta, chunk)
            hessians = output_hessians(outputs, targets[start : start + step])
            total += float((hessians * (jacobians @ jacobians.transpose(1, 2))).sum())
    return TraceResult(total / objective.num_samples, 0.0, 0, objective.num_samples, "exact")


def _covariance_trace(operator: GradientCovarianceOperator) -> TraceResult:
    objective, functional = operator.objective, operator.functional

    def sample_loss(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        outputs = functional.outputs(theta, x.unsqueeze(0))
        return objective.loss.per_sample(outputs, y.unsqueeze(0))[0]

    gradients = torch.func.vmap(torch.func.grad(sample_loss), in_dims=(None, 0, 0))
    total = 0.0
    with functional.evaluating():
        for inputs, targets in objective.batches:
            total += float(sum_of_squares(gradients(operator.theta, inputs, targets)))
    value = total / objective.num_samples
    if operator.mean_gradient is not None:
        value -= float(operator.mean_gradient.square().sum())
    return TraceResult(operator.scale * value, 0.0, 0, objective.num_samples, "exact")
