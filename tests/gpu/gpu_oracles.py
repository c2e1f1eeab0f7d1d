"""Shared oracles and tolerances for the tests of theorylab.gpu.

The dense oracle differentiates the *whole batch* with ``torch.func.jacrev`` / ``hessian``
with respect to the parameter dict (no vmap, no chunking, no flat vector), so it shares as
little code as possible with the matrix-free operators under test.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from theorylab.gpu.linear_operator import CurvatureOperator

RTOL_FLOAT64 = 1e-10


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """Max-norm error relative to the max-norm of ``expected`` (absolute if that is 0)."""
    scale = float(expected.abs().max()) if expected.numel() else 0.0
    return float((actual - expected).abs().max()) / (scale if scale > 0 else 1.0)


def assert_close(actual: torch.Tensor, expected: torch.Tensor, rtol: float = RTOL_FLOAT64) -> None:
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    error = relative_error(actual.to(expected.dtype), expected)
    assert error <= rtol, f"relative error {error:.3e} > {rtol:.1e}"


def float64_copy(model: torch.nn.Module) -> torch.nn.Module:
    import copy

    return copy.deepcopy(model).double().eval()


def _params(model: torch.nn.Module, names: list[str] | None) -> dict[str, torch.Tensor]:
    return {n: p.detach() for n, p in model.named_parameters() if names is None or n in names}


def _flatten_jacobian(jac: dict[str, torch.Tensor], rows: int) -> torch.Tensor:
    return torch.cat([block.reshape(rows, -1) for block in jac.values()], dim=1)


def dense_jacobian(
    model: torch.nn.Module, inputs: torch.Tensor, names: list[str] | None = None
) -> torch.Tensor:
    """Oracle J of shape (n*K, p): jacrev of the batched output wrt the parameter dict."""
    model = float64_copy(model)
    params = _params(model, names)

    def outputs(p: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.func.functional_call(model, p, (inputs,)).reshape(-1)

    rows = outputs(params).numel()
    return _flatten_jacobian(torch.func.jacrev(outputs)(params), rows).detach()


def dense_hessian(
    model: torch.nn.Module,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    names: list[str] | None = None,
) -> torch.Tensor:
    """Oracle loss Hessian (p, p): plain double-reverse autograd (no vmap) of L(flat params).

    torch.autograd.functional.hessian, not torch.func.hessian: in torch 2.13 vmapped second
    derivatives through an affine nn.LayerNorm are wrong (found by these tests).
    """
    model = float64_copy(model)
    params = _params(model, names)
    keys = list(params)
    sizes = [params[k].numel() for k in keys]
    shapes = [params[k].shape for k in keys]

    def total(flat: torch.Tensor) -> torch.Tensor:
        views = (t.view(s) for t, s in zip(flat.split(sizes), shapes, strict=True))
        pieces = dict(zip(keys, views, strict=True))
        return loss(torch.func.functional_call(model, pieces, (inputs,)), targets)

    flat = torch.cat([params[k].reshape(-1) for k in keys])
    return torch.autograd.functional.hessian(total, flat).detach()


def random_matrix(rows: int, columns: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(rows, columns, generator=generator, dtype=torch.float64)


def dense_per_sample_gradients(
    model: torch.nn.Module,
    per_sample_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    inputs: torch.Tensor,
    targets: torch.Tensor,
) -> torch.Tensor:
    """Oracle G (n, p): jacrev of the vector of per-sample losses wrt the parameter dict."""
    model = float64_copy(model)
    params = _params(model, None)

    def losses(p: dict[str, torch.Tensor]) -> torch.Tensor:
        return per_sample_loss(torch.func.functional_call(model, p, (inputs,)), targets)

    return _flatten_jacobian(torch.func.jacrev(losses)(params), inputs.shape[0]).detach()


def mse_per_sample(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return 0.5 * (
        outputs.reshape(targets.shape[0], -1) - targets.reshape(targets.shape[0], -1)
    ).square().sum(1)


def cross_entropy_per_sample(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(outputs, targets, reduction="none")


def mean_of(per_sample: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Callable:
    return lambda outputs, targets: per_sample(outputs, targets).mean()


def classification_problem(
    samples: int = 12, inputs: int = 3, classes: int = 3
) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """The small tanh MLP, inputs and class labels that the estimator tests share (seeded)."""
    from theorylab.gpu import MLP

    model = MLP(inputs, width=5, depth=1, output_dim=classes, activation="tanh", seed=0)
    X = random_matrix(samples, inputs, seed=1)
    y = torch.randint(0, classes, (samples,), generator=torch.Generator().manual_seed(2))
    return model, X, y


class Diagonal(CurvatureOperator):
    """The operator ``diag(diagonal)``: exact spectra for the Lanczos tests."""

    def __init__(self, diagonal: torch.Tensor) -> None:
        size = diagonal.numel()
        super().__init__((size, size), diagonal.dtype, diagonal.device, symmetric=True)
        self.diagonal = diagonal

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        return self.diagonal * vector
