"""Models shared by several ``tpv.*`` claims (App. D.2 tanh-bilinear model, flat torch MLPs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import torch

    from theorylab.registry import CheckContext

__all__ = ["FlatMLP", "flat_model", "tanh_bilinear_model", "tanh_mlp", "zero_loss_tanh_instance"]


def tanh_bilinear_model(
    inputs: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Outputs, Jacobian and per-sample Hessians of :math:`f(x;u,v) = \tanh(u^\top x)\,v^\top x`.

    ``weights = (u, v)``; returns ``(n,)``, ``(n, 2d)``, ``(n, 2d, 2d)`` in closed form:
    :math:`\nabla_u f = (1-t^2)qx`, :math:`\nabla_v f = tx`, :math:`\nabla^2_{uu} f =
    -2t(1-t^2)q\,xx^\top`, :math:`\nabla^2_{uv} f = (1-t^2)xx^\top`, :math:`\nabla^2_{vv}f = 0`.
    """
    d = inputs.shape[1]
    u, v = weights[:d], weights[d:]
    t = np.tanh(inputs @ u)
    q = inputs @ v
    slope = 1.0 - t**2
    jacobian = np.hstack([(slope * q)[:, None] * inputs, t[:, None] * inputs])
    outer = np.einsum("ni,nj->nij", inputs, inputs)
    hessians = np.zeros((inputs.shape[0], 2 * d, 2 * d))
    hessians[:, :d, :d] = (-2.0 * t * slope * q)[:, None, None] * outer
    hessians[:, :d, d:] = slope[:, None, None] * outer
    hessians[:, d:, :d] = slope[:, None, None] * outer
    return t * q, jacobian, hessians


def flat_model(model: torch.nn.Module):
    """``(theta*, f(theta, x))`` with ``theta`` the flat float64 parameter vector."""
    import torch

    names = [name for name, _ in model.named_parameters()]
    shapes = [parameter.shape for _, parameter in model.named_parameters()]
    sizes = [parameter.numel() for _, parameter in model.named_parameters()]
    theta = torch.cat([parameter.detach().reshape(-1) for parameter in model.parameters()])

    def forward(flat: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        pieces = torch.split(flat, sizes)
        params = {name: piece.reshape(shape) for name, piece, shape in
                  zip(names, pieces, shapes, strict=True)}
        return torch.func.functional_call(model, params, (inputs,)).reshape(-1)

    return theta, forward


class FlatMLP(NamedTuple):
    """A float64 tanh MLP as a flat parameter vector, with its device, RNG and inputs."""

    device: Any
    generator: Any
    model: Any
    theta: Any
    forward: Any
    inputs: Any


def tanh_mlp(context: CheckContext, width: int, samples: int, input_dim: int) -> FlatMLP:
    """A depth-2 tanh MLP (seeded by ``context.seed``) and ``samples`` Gaussian inputs.

    The inputs are the first draw of the returned generator (seeded by ``context.seed``).
    """
    import torch

    from theorylab.gpu.models import MLP

    device = torch.device(context.device)
    generator = torch.Generator().manual_seed(context.seed)
    model = MLP(input_dim, width=width, depth=2, activation="tanh", seed=context.seed).to(
        device=device, dtype=torch.float64)
    theta, forward = flat_model(model)
    inputs = torch.randn(samples, input_dim, generator=generator, dtype=torch.float64).to(device)
    return FlatMLP(device, generator, model, theta, forward, inputs)


def zero_loss_tanh_instance(
    rng: np.random.Generator, samples: int, dimension: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and weights ``w*`` of :func:`tanh_bilinear_model`, drawn in that order.

    Targets ``f(x; w*)`` make ``w*`` a zero-training-loss minimiser.
    """
    inputs = rng.standard_normal((samples, dimension))
    return inputs, rng.standard_normal(2 * dimension)
