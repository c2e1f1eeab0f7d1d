r"""Reference data: the synthetic teachers of paper 000 (App. F.1.1) and scikit-learn digits.

Teachers draw isotropic inputs :math:`x\sim\mathcal N(0, I_d)` and noiseless targets

* ``"linear"``: :math:`y = x^\top w_{\rm true}`, :math:`w_{\rm true}\sim\mathcal N(0, I_d/d)`;
* ``"relu"``: :math:`y = \mathrm{ReLU}(a^\top x)`, :math:`a\sim\mathcal N(0, I_d/d)`;
* ``"multi_relu"``: :math:`y = \sum_{k=1}^{10}\mathrm{ReLU}(a_k^\top x + b_k)`,
  :math:`a_k\sim\mathcal N(0, I_d/d)`, :math:`b_k\sim\mathcal N(0, 1)`.

The paper does not state the teacher weights' law; the :math:`1/d` variance (unit-variance
pre-activations) is our convention. Everything is drawn from ``torch.Generator(seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from theorylab.errors import BackendUnavailableError, ParameterError

__all__ = ["TEACHERS", "Teacher", "load_digits", "make_teacher"]

TEACHERS = ("linear", "relu", "multi_relu")


@dataclass(frozen=True)
class Teacher:
    """A fixed synthetic teacher; ``sample(n, seed)`` returns ``(x (n, d), y (n,))``."""

    kind: str
    weights: torch.Tensor
    biases: torch.Tensor

    @property
    def input_dim(self) -> int:
        """Input dimension :math:`d`."""
        return int(self.weights.shape[0])

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Return the noiseless targets for ``inputs`` of shape ``(n, d)``."""
        pre_activation = inputs @ self.weights.to(inputs.dtype) + self.biases.to(inputs.dtype)
        if self.kind == "linear":
            return pre_activation[:, 0]
        return torch.relu(pre_activation).sum(dim=1)

    def sample(
        self, n: int, seed: int, *, dtype: torch.dtype = torch.float32
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r"""Draw ``n`` inputs :math:`x\sim\mathcal N(0, I_d)` and their targets."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ParameterError(f"n must be a positive int, got {n!r}")
        generator = torch.Generator().manual_seed(seed)
        inputs = torch.randn(n, self.input_dim, generator=generator, dtype=torch.float64)
        return inputs.to(dtype), self(inputs).to(dtype)


def make_teacher(kind: str, input_dim: int, *, seed: int = 0, units: int = 10) -> Teacher:
    """Return the paper-000 teacher ``kind`` (``linear``, ``relu``, ``multi_relu``) in ``d``.

    Examples
    --------
    >>> teacher = make_teacher("linear", 3, seed=0)
    >>> x, y = teacher.sample(4, seed=1)
    >>> bool(torch.allclose(y, x @ teacher.weights[:, 0].float()))
    True
    """
    if kind not in TEACHERS:
        raise ParameterError(f"kind must be one of {TEACHERS}, got {kind!r}")
    if isinstance(input_dim, bool) or not isinstance(input_dim, int) or input_dim < 1:
        raise ParameterError(f"input_dim must be a positive int, got {input_dim!r}")
    generator = torch.Generator().manual_seed(seed)
    width = units if kind == "multi_relu" else 1
    weights = torch.randn(input_dim, width, generator=generator, dtype=torch.float64)
    weights /= input_dim**0.5
    biases = (torch.randn(width, generator=generator, dtype=torch.float64)
              if kind == "multi_relu" else torch.zeros(width, dtype=torch.float64))
    return Teacher(kind, weights, biases)


def load_digits(
    *, images: bool = False, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return scikit-learn's 8×8 digits (1797 samples, offline) as ``(inputs, labels)``.

    Pixels are scaled to :math:`[0, 1]` (divided by 16). ``inputs`` is ``(1797, 64)``, or
    ``(1797, 1, 8, 8)`` with ``images=True`` (for :class:`~theorylab.gpu.models.SmallCNN`);
    ``labels`` is an int64 tensor in ``0..9``.

    Raises
    ------
    BackendUnavailableError
        If scikit-learn is not installed (it is in the ``test`` extra).
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as exc:
        raise BackendUnavailableError(
            "load_digits needs scikit-learn; install it with `pip install theorylab[test]`"
        ) from exc
    bunch = sklearn_digits()
    inputs = torch.as_tensor(bunch.data, dtype=torch.float64) / 16.0
    if images:
        inputs = inputs.reshape(-1, 1, 8, 8)
    return inputs.to(dtype), torch.as_tensor(bunch.target, dtype=torch.long)
