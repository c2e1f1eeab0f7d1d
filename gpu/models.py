"""Reference networks for experiments and tests: an MLP, a small CNN and a tiny transformer.

All three are plain :class:`torch.nn.Module` subclasses with deterministic initialisation
from an explicit :class:`torch.Generator` (``seed=``), so no global random state is touched.
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from theorylab.errors import ParameterError

__all__ = ["MLP", "CausalSelfAttention", "SmallCNN", "TinyTransformer", "TransformerBlock"]

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
}


def _positive_int(value: int, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParameterError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _reinitialise(module: nn.Module, seed: int | None) -> None:
    r"""Redraw every weight with PyTorch's default fan-in uniform law from a seeded generator.

    Weights and biases of ``Linear``/``Conv`` layers get
    :math:`\mathcal{U}(-1/\sqrt{\text{fan\_in}}, 1/\sqrt{\text{fan\_in}})`; embeddings get
    :math:`\mathcal{N}(0, 1)`; normalisation layers keep ones and zeros.
    """
    if seed is None:
        return
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for submodule in module.modules():
            if isinstance(submodule, nn.Linear | nn.Conv1d | nn.Conv2d):
                fan_in = submodule.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                for tensor in (submodule.weight, submodule.bias):
                    if tensor is not None:
                        values = torch.rand(tensor.shape, generator=generator)
                        tensor.copy_((2 * values - 1) * bound)
            elif isinstance(submodule, nn.Embedding):
                submodule.weight.copy_(torch.randn(submodule.weight.shape, generator=generator))


class MLP(nn.Sequential):
    r"""Fully connected network with ``depth`` hidden layers of ``width`` units.

    .. math:: f(x) = W_{L+1}\,\sigma(W_L \cdots \sigma(W_1 x + b_1) \cdots + b_L) + b_{L+1},

    with :math:`L` = ``depth`` hidden layers, so there are ``depth + 1`` linear layers
    (``depth = 0`` is a linear model). This is the student family of paper 000, App. F.1.1
    (widths :math:`\{1, 256\}`, depths :math:`\{2, 3, 4\}`).

    Parameters
    ----------
    input_dim, width, output_dim
        Layer sizes (any width :math:`\ge 1`, including 1).
    depth
        Number of hidden layers (:math:`\ge 0`).
    activation
        One of ``relu``, ``tanh``, ``gelu``, ``sigmoid``, ``softplus``, ``identity``
        (``identity`` gives a deep linear network).
    bias
        Whether the linear layers have biases.
    seed
        Seed for a deterministic initialisation; ``None`` keeps PyTorch's default init.

    Raises
    ------
    ParameterError
        For non-positive sizes or an unknown activation.

    Examples
    --------
    >>> model = MLP(3, width=4, depth=2, seed=0)
    >>> sum(p.numel() for p in model.parameters())  # (3*4+4) + (4*4+4) + (4*1+1)
    41
    """

    def __init__(
        self,
        input_dim: int,
        width: int,
        depth: int,
        output_dim: int = 1,
        activation: str = "relu",
        *,
        bias: bool = True,
        seed: int | None = None,
    ) -> None:
        _positive_int(input_dim, "input_dim")
        _positive_int(width, "width")
        _positive_int(depth, "depth", minimum=0)
        _positive_int(output_dim, "output_dim")
        if activation not in _ACTIVATIONS:
            raise ParameterError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
            )
        sizes = [input_dim] + [width] * depth
        layers: list[nn.Module] = []
        for fan_in, fan_out in itertools.pairwise(sizes):
            layers += [nn.Linear(fan_in, fan_out, bias=bias), _ACTIVATIONS[activation]()]
        layers.append(nn.Linear(sizes[-1], output_dim, bias=bias))
        super().__init__(*layers)
        self.depth = depth
        _reinitialise(self, seed)


class SmallCNN(nn.Module):
    r"""Two 3×3 convolutions (ReLU, 2×2 max-pool after each) and a linear head.

    Input ``(n, channels, height, width)`` with height and width divisible by 4; output
    ``(n, num_classes)``. Sized for 8×8 digits (:func:`theorylab.gpu.data.load_digits`).

    Examples
    --------
    >>> SmallCNN(seed=0)(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        channels: int = 8,
        image_size: int = 8,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        _positive_int(channels, "channels")
        if _positive_int(image_size, "image_size") % 4:
            raise ParameterError(f"image_size must be divisible by 4, got {image_size}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Linear(channels * (image_size // 4) ** 2, num_classes)
        _reinitialise(self, seed)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Return class logits, shape ``(n, num_classes)``."""
        return self.head(self.features(images).flatten(1))


class CausalSelfAttention(nn.Module):
    r"""Multi-head causal self-attention written out with an explicit softmax.

    :math:`\mathrm{softmax}(QK^\top/\sqrt{d_h} + M)V` with :math:`M_{ts} = -\infty` for
    :math:`s > t`; written without fused kernels so that ``vmap``, ``jvp`` and double
    backward all work.
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Map ``(n, T, dim)`` to ``(n, T, dim)``."""
        n, length, dim = hidden.shape
        head_dim = dim // self.heads
        q, k, v = self.qkv(hidden).view(n, length, 3, self.heads, head_dim).unbind(2)
        scores = torch.einsum("nthd,nshd->nhts", q, k) / math.sqrt(head_dim)
        future = torch.ones(length, length, dtype=torch.bool, device=hidden.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
        mixed = torch.einsum("nhts,nshd->nthd", scores.softmax(-1), v)
        return self.out(mixed.reshape(n, length, dim))


class TransformerBlock(nn.Module):
    """Pre-norm block: ``h + attn(ln(h))`` then ``h + mlp(ln(h))`` with a GELU MLP."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(dim)
        self.attention = CausalSelfAttention(dim, heads)
        self.mlp_norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """Map ``(n, T, dim)`` to ``(n, T, dim)``."""
        hidden = hidden + self.attention(self.attention_norm(hidden))
        return hidden + self.mlp(self.mlp_norm(hidden))


class TinyTransformer(nn.Module):
    r"""A small decoder-only (causal) transformer returning next-token logits of the last token.

    Token + learned position embeddings, ``layers`` pre-norm blocks
    (:class:`TransformerBlock`), a final layer norm and a linear read-out. Input: integer
    tokens ``(n, T)`` with :math:`T \le` ``max_length``; output ``(n, vocab_size)``, the
    logits at the last position, so each sequence is one sample.

    Examples
    --------
    >>> model = TinyTransformer(vocab_size=5, seed=0)
    >>> model(torch.zeros(3, 4, dtype=torch.long)).shape
    torch.Size([3, 5])
    """

    def __init__(
        self,
        vocab_size: int = 16,
        dim: int = 16,
        heads: int = 2,
        layers: int = 1,
        max_length: int = 16,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__()
        for value, name in ((vocab_size, "vocab_size"), (dim, "dim"), (heads, "heads"),
                            (layers, "layers"), (max_length, "max_length")):
            _positive_int(value, name)
        if dim % heads:
            raise ParameterError(f"dim ({dim}) must be divisible by heads ({heads})")
        self.max_length = max_length
        self.token_embedding = nn.Embedding(vocab_size, dim)
        self.position_embedding = nn.Embedding(max_length, dim)
        self.blocks = nn.Sequential(*(TransformerBlock(dim, heads) for _ in range(layers)))
        self.norm = nn.LayerNorm(dim)
        self.readout = nn.Linear(dim, vocab_size)
        _reinitialise(self, seed)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Return last-position logits, shape ``(n, vocab_size)``."""
        length = tokens.shape[-1]
        if length > self.max_length:
            raise ParameterError(f"sequence length {length} exceeds max_length {self.max_length}")
        positions = torch.arange(length, device=tokens.device)
        hidden = self.token_embedding(tokens) + self.position_embedding(positions)
        return self.readout(self.norm(self.blocks(hidden)[:, -1, :]))
