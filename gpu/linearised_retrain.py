r"""Retrain the linearised network on noisy labels, matrix-free (paper 000, App. C.1, Eq. 27).

The linearised model around :math:`w^*` is :math:`f(x) + J(x)\,\delta w`. Training it on
labels perturbed by :math:`\varepsilon` minimises
:math:`\frac12\|J\delta w - \varepsilon\|^2 + \frac{\lambda}{2}\|\delta w\|^2`. We run
conjugate gradients on the normal equations :math:`(J^\top J + \lambda I)\,\delta w =
J^\top\varepsilon` from :math:`\delta w = 0` (CGLS), using only Jacobian-vector products
(``jvp``) and vector-Jacobian products (``vjp``) through the network. Started at zero, the
iterates stay in the row space of :math:`J`, so for :math:`\lambda = 0` the limit is the
minimum-norm stationary point :math:`J^+\varepsilon` (Eq. 31). Many noise draws are solved
at once, one column each.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from theorylab.gpu.adapter import FunctionalModel

__all__ = ["LinearisedFit", "jacobian_transpose_products", "jacobian_vector_products", "retrain"]


def jacobian_vector_products(
    functional: FunctionalModel, inputs: torch.Tensor, tangents: torch.Tensor
) -> torch.Tensor:
    r"""Columns :math:`J\,t_j` for tangents ``(p, R)``; returns ``(n K, R)`` (rows stacked)."""

    def push(tangent: torch.Tensor) -> torch.Tensor:
        _, change = torch.func.jvp(
            lambda theta: functional.outputs(theta, inputs), (functional.theta,), (tangent,)
        )
        return change.reshape(-1)

    return torch.func.vmap(push, in_dims=1, out_dims=1)(tangents)


def jacobian_transpose_products(
    functional: FunctionalModel, inputs: torch.Tensor, cotangents: torch.Tensor
) -> torch.Tensor:
    r"""Columns :math:`J^\top u_j` for cotangents ``(n K, R)``; returns ``(p, R)``."""
    _, pull = torch.func.vjp(lambda theta: functional.outputs(theta, inputs), functional.theta)
    sample_shape = (inputs.shape[0], -1)

    def pull_one(cotangent: torch.Tensor) -> torch.Tensor:
        return pull(cotangent.reshape(sample_shape))[0]

    return torch.func.vmap(pull_one, in_dims=1, out_dims=1)(cotangents)


@dataclass(frozen=True)
class LinearisedFit:
    r"""Result of :func:`retrain`: one parameter perturbation per noise column.

    ``relative_residual`` is :math:`\\max_j \\|J^\\top(\\varepsilon_j - J\\delta w_j) -
    \\lambda\\delta w_j\\| / \\|J^\\top\\varepsilon_j\\|` at the last iteration.
    """

    perturbations: torch.Tensor
    iterations: int
    relative_residual: float


def retrain(
    functional: FunctionalModel,
    train_inputs: torch.Tensor,
    label_noise: torch.Tensor,
    *,
    ridge: float = 0.0,
    tolerance: float = 1e-12,
    max_iterations: int | None = None,
) -> LinearisedFit:
    r"""Fit the linearised model to label noise ``(n K, R)`` by CGLS from :math:`\delta w = 0`.

    Stops when every column's normal-equation residual is below ``tolerance`` relative to
    :math:`\|J^\top\varepsilon\|`, or after ``max_iterations`` (default ``4 n K``).
    """
    rows = label_noise.shape[0]
    limit = max_iterations if max_iterations is not None else 4 * rows

    def normal_operator(vectors: torch.Tensor) -> torch.Tensor:
        forward = jacobian_vector_products(functional, train_inputs, vectors)
        return jacobian_transpose_products(functional, train_inputs, forward) + ridge * vectors

    right_side = jacobian_transpose_products(functional, train_inputs, label_noise)
    scale = torch.linalg.vector_norm(right_side, dim=0).clamp_min(
        torch.finfo(right_side.dtype).tiny
    )
    solution = torch.zeros_like(right_side)
    residual = right_side.clone()
    direction = residual.clone()
    residual_squared = torch.sum(residual * residual, dim=0)
    iterations = 0
    for iterations in range(1, limit + 1):  # noqa: B007 - the count is reported
        product = normal_operator(direction)
        curvature = torch.sum(direction * product, dim=0)
        step = torch.where(curvature > 0, residual_squared / curvature, torch.zeros_like(curvature))
        solution = solution + step * direction
        residual = residual - step * product
        new_squared = torch.sum(residual * residual, dim=0)
        if float(torch.max(torch.sqrt(new_squared) / scale)) < tolerance:
            residual_squared = new_squared
            break
        ratio = torch.where(
            residual_squared > 0, new_squared / residual_squared, torch.zeros_like(new_squared)
        )
        direction = residual + ratio * direction
        residual_squared = new_squared
    true_residual = right_side - normal_operator(solution)
    relative = float(torch.max(torch.linalg.vector_norm(true_residual, dim=0) / scale))
    return LinearisedFit(perturbations=solution, iterations=iterations, relative_residual=relative)
