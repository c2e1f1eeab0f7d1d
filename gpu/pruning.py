r"""Global output-channel pruning of :class:`~theorylab.gpu.models.SmallCNN` (paper 000, Sec. 5.3).

A *group* :math:`g` is one output channel of a convolution of ``model.features``: its filter
and bias, :math:`w_g = (W_{c,:,:,:}, b_c)` (disjoint groups, as Eq. 13-14 assume). Pruning a
group zeroes :math:`w_g`; the channel's activation is then identically zero (ReLU(0) = 0,
max-pool of zeros), so the downstream input-channel weights stop mattering and masking is
exactly structural removal (F.3.1's dependency groups only add a uniform factor 2 to
:math:`v_g` below, since scaling the outgoing slice scales the same activation).

The logit-space direction of a group, :math:`v_g(x) = J_g(x)w_g =
\frac{d}{dt}f(x; w + t\,w_g)|_{t=0}`, is computed for every group at once: the convolution
output :math:`z_c(x) = W_c * a(x) + b_c` is linear in :math:`w_g`, so
:math:`\frac{d}{dt}z_c = z_c` and :math:`v_{g,k}(x) = \sum_{\text{pixels}}
\partial f_k(x)/\partial z_c(x)\cdot z_c(x)` (``K`` backward passes; samples do not interact
in this network, so a summed backward gives per-sample gradients).
:func:`group_tangent` gives :math:`w_g` as a flat tangent for an independent
``torch.func.jvp`` oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from theorylab.errors import ParameterError

__all__ = [
    "ChannelGroup",
    "accuracy",
    "apply_mask",
    "channel_directions",
    "channel_groups",
    "filter_l1_norms",
    "group_tangent",
    "prune_lowest",
]


@dataclass(frozen=True)
class ChannelGroup:
    """Output channel ``channel`` of the convolution ``model.features[layer]``."""

    layer: int
    channel: int


def _convolutions(model: nn.Module) -> list[tuple[int, nn.Conv2d]]:
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Sequential):
        raise ParameterError("model must have a `features` nn.Sequential (SmallCNN)")
    found = [(index, module) for index, module in enumerate(features)
             if isinstance(module, nn.Conv2d)]
    if not found:
        raise ParameterError("model.features has no Conv2d layer")
    return found


def channel_groups(model: nn.Module) -> list[ChannelGroup]:
    """Every output channel of every convolution, layer-major.

    Examples
    --------
    >>> from theorylab.gpu.models import SmallCNN
    >>> len(channel_groups(SmallCNN(channels=3, seed=0)))
    6
    """
    return [ChannelGroup(index, channel) for index, conv in _convolutions(model)
            for channel in range(conv.out_channels)]


def apply_mask(model: nn.Module, pruned: set[ChannelGroup]) -> None:
    """Zero the filter and bias of every pruned group, in place."""
    layers = dict(_convolutions(model))
    with torch.no_grad():
        for group in pruned:
            conv = layers[group.layer]
            conv.weight[group.channel].zero_()
            if conv.bias is not None:
                conv.bias[group.channel].zero_()


def group_tangent(model: nn.Module, group: ChannelGroup) -> dict[str, torch.Tensor]:
    """The tangent :math:`w_g` (zero outside the group), keyed by parameter name."""
    tangent = {name: torch.zeros_like(value) for name, value in model.named_parameters()}
    prefix = f"features.{group.layer}."
    with torch.no_grad():
        tangent[prefix + "weight"][group.channel] = model.get_parameter(prefix + "weight")[
            group.channel
        ]
        if prefix + "bias" in tangent:
            tangent[prefix + "bias"][group.channel] = model.get_parameter(prefix + "bias")[
                group.channel
            ]
    return tangent


def channel_directions(
    model: nn.Module, inputs: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Directions :math:`v_g(x) = J_g(x)w_g`, shape ``(n, G, K)``, and the logits ``(n, K)``.

    Groups in :func:`channel_groups` order. See the module docstring for the method.
    """
    convolutions = dict(_convolutions(model))
    outputs: list[torch.Tensor] = []

    def keep(_: nn.Module, __: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        outputs.append(output)

    handles = [conv.register_forward_hook(keep) for conv in convolutions.values()]
    try:
        logits = model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    columns = []
    for k in range(logits.shape[1]):
        gradients = torch.autograd.grad(logits[:, k].sum(), outputs, retain_graph=True)
        columns.append(torch.cat([(grad * out).sum(dim=(2, 3)) for grad, out in
                                  zip(gradients, outputs, strict=True)], dim=1))
    return torch.stack(columns, dim=2).detach(), logits.detach()


def filter_l1_norms(model: nn.Module) -> torch.Tensor:
    r"""L1 norm of each filter (Li et al., 2017), divided by its layer's mean over live filters.

    Raw norms are not comparable across layers (different fan-in), so global ranking uses
    the per-layer mean normalisation of common global-pruning code; pruned filters score 0.
    """
    scores = []
    for _, conv in _convolutions(model):
        norms = conv.weight.detach().abs().flatten(1).sum(dim=1)
        live = norms > 0
        mean = norms[live].mean() if bool(live.any()) else torch.ones((), dtype=norms.dtype)
        scores.append(norms / mean)
    return torch.cat(scores)


def prune_lowest(
    scores: torch.Tensor,
    groups: list[ChannelGroup],
    pruned: set[ChannelGroup],
    count: int,
    *,
    minimum_per_layer: int = 1,
    tie_breaker: Callable[[int], float] | None = None,
) -> set[ChannelGroup]:
    """Add the ``count`` live groups of lowest score to ``pruned`` (a new set), globally.

    A layer never drops below ``minimum_per_layer`` live channels (no layer collapse).
    """
    order = sorted(
        (index for index, group in enumerate(groups) if group not in pruned),
        key=lambda index: (float(scores[index]), tie_breaker(index) if tie_breaker else index),
    )
    live: dict[int, int] = {}
    for group in groups:
        if group not in pruned:
            live[group.layer] = live.get(group.layer, 0) + 1
    chosen = set(pruned)
    for index in order:
        if len(chosen) - len(pruned) == count:
            break
        layer = groups[index].layer
        if live[layer] > minimum_per_layer:
            chosen.add(groups[index])
            live[layer] -= 1
    return chosen


def accuracy(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``inputs`` classified as ``labels``."""
    with torch.no_grad():
        return float((model(inputs).argmax(dim=1) == labels).double().mean())
