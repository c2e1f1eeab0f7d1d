r"""Model-level entry point: top-:math:`k` eigenpairs of a network's loss Hessian."""

from __future__ import annotations

from typing import Any

import torch

from .adapter import Objective
from .lanczos import lanczos_eigenpairs
from .operators import HessianOperator
from .parameters import ParameterSelection
from .results import EigenResult

__all__ = ["top_hessian_eigenpairs"]


def top_hessian_eigenpairs(
    model: torch.nn.Module,
    loss_fn: Any,
    inputs: Any,
    targets: Any,
    k: int,
    *,
    parameters: ParameterSelection = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
    chunk_size: int | None = None,
    tolerance: float = 1e-3,
    max_iterations: int | None = None,
    seed: int = 0,
) -> EigenResult:
    r"""Top-:math:`k` (algebraically largest) eigenpairs of :math:`\nabla^2_\theta L`.

    :math:`L = \frac1n\sum_i\ell(f(\theta;x_i),y_i)` with ``loss_fn`` one of ``"mse"``
    (:math:`\ell = \frac12\|f-y\|^2`), ``"cross_entropy"``, ``"binary_cross_entropy"`` or a
    mean-reduced callable ``loss_fn(outputs, targets)``. Lanczos (full reorthogonalisation;
    partial on the CPU from :data:`~.lanczos.PARTIAL_MIN_SIZE` parameters) on Hessian-vector
    products (:class:`HessianOperator`).

    Returns
    -------
    EigenResult
        ``.eigenvalues`` (descending), ``.eigenvectors`` ``(p, k)``, ``.residuals``
        :math:`\|Hv-\lambda v\|`, ``.matvecs`` (HVPs), ``.converged``.

    Examples
    --------
    Linear regression with MSE: :math:`\nabla^2 L = X^\top X/n`.

    >>> X = torch.tensor([[1.0, 0.0], [0.0, 3.0]], dtype=torch.float64)
    >>> model = torch.nn.Linear(2, 1, bias=False).double()
    >>> result = top_hessian_eigenpairs(model, "mse", X, torch.zeros(2), k=1)
    >>> [round(v, 10) for v in result.eigenvalues.tolist()]
    [4.5]
    """
    objective = Objective(model, inputs, targets, loss=loss_fn, parameters=parameters,
                          device=device, dtype=dtype, chunk_size=chunk_size)
    return lanczos_eigenpairs(HessianOperator(objective), k, tolerance=tolerance,
                              max_iterations=max_iterations, seed=seed)
