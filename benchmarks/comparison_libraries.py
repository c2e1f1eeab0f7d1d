"""Thin adapters around the comparison libraries used by ``benchmarks/compare.py``.

Each adapter takes a plain :class:`torch.nn.Module`, one batch ``(x, y)`` and the
cross-entropy loss with mean reduction -- the same empirical risk
:math:`L = \\frac1n\\sum_i \\ell_i` that :class:`theorylab.gpu.Objective` builds -- and
exposes the library's own public API only. None of these libraries is a dependency of
theorylab: they live in the separate bench venv (see ``benchmarks/README.md``), and every
adapter returns ``None`` (with a reason) when its library is missing or does not apply.
"""

from __future__ import annotations

import copy
import importlib
import importlib.metadata
import importlib.util
from collections.abc import Callable
from typing import Any

import torch

LIBRARIES = {
    "curvlinops": "curvlinops-for-pytorch",
    "backpack": "backpack-for-pytorch",
    "pyhessian": "pyhessian",
}


def library_version(module: str) -> str | None:
    """Return the installed version of a comparison library, or ``None`` if missing."""
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return importlib.metadata.version(LIBRARIES.get(module, module))
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def curvlinops_operators(
    model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor
) -> dict[str, Any] | None:
    """Return curvlinops' ``{"hessian": H, "ggn": G}`` on one batch (``H @ v`` on flat v)."""
    if library_version("curvlinops") is None:
        return None
    from curvlinops import GGNLinearOperator, HessianLinearOperator

    model = copy.deepcopy(model).eval()
    params = [p for p in model.parameters() if p.requires_grad]
    data = [(inputs, targets)]
    loss = torch.nn.CrossEntropyLoss()
    return {
        "hessian": HessianLinearOperator(model, loss, params, data, num_data=inputs.shape[0]),
        "ggn": GGNLinearOperator(model, loss, params, data, num_data=inputs.shape[0]),
    }


class PyHessianEigen:
    """PyHessian's deflated power iteration, counting its Hessian-vector products.

    PyHessian stops each eigenpair when the *eigenvalue* changes by less than ``tol``
    relatively between two iterations (not on the residual), so the benchmark tightens
    ``tol`` until the returned pairs meet the residual target.
    """

    def __init__(self, model: torch.nn.Module, inputs: torch.Tensor,
                 targets: torch.Tensor) -> None:
        # ``pyhessian.hessian`` the attribute is the class; the module is needed to count HVPs
        self._module = importlib.import_module("pyhessian.hessian")
        self.model = copy.deepcopy(model)
        self.data = (inputs, targets)
        self.cuda = inputs.is_cuda
        self.hvps = 0

    def eigenpairs(self, k: int, tol: float, max_iterations: int,
                   seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Return ``(eigenvalues (k,), eigenvectors (p, k), HVP count)``."""
        original = self._module.hessian_vector_product
        counter = {"hvps": 0}

        def counted(*args: Any) -> Any:
            counter["hvps"] += 1
            return original(*args)

        self._module.hessian_vector_product = counted
        try:
            torch.manual_seed(seed)
            self.model.zero_grad(set_to_none=True)
            engine = self._module.hessian(self.model, torch.nn.CrossEntropyLoss(),
                                          data=self.data, cuda=self.cuda)
            values, vectors = engine.eigenvalues(maxIter=max_iterations, tol=tol, top_n=k)
        finally:
            self._module.hessian_vector_product = original
        flat = torch.stack([torch.cat([t.reshape(-1) for t in v]) for v in vectors], dim=1)
        return torch.tensor(values, dtype=flat.dtype), flat.detach(), counter["hvps"]


def backpack_per_sample_gradients(
    model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor
) -> tuple[Callable[[], torch.Tensor] | None, str]:
    r"""Return ``(run, note)``: ``run()`` gives BackPACK's per-sample gradients ``(n, p)``.

    BackPACK's ``BatchGrad`` stores :math:`\nabla\ell_i/n` for a mean-reduced loss; ``run``
    rescales by :math:`n` so rows are :math:`g_i = \nabla_\theta\ell_i`. ``run`` is
    ``None`` when BackPACK is missing or does not support a layer of ``model``.
    """
    if library_version("backpack") is None:
        return None, "not installed"
    from backpack import backpack, extend
    from backpack.extensions import BatchGrad

    extended = extend(copy.deepcopy(model).eval())
    loss_function = extend(torch.nn.CrossEntropyLoss())
    params = [p for p in extended.parameters() if p.requires_grad]
    size = inputs.shape[0]

    def run() -> torch.Tensor:
        extended.zero_grad(set_to_none=True)
        with backpack(BatchGrad()):
            loss_function(extended(inputs), targets).backward()
        return size * torch.cat([p.grad_batch.reshape(size, -1) for p in params], dim=1)

    try:
        run()
    except Exception as error:  # BackPACK raises various types for unsupported layers
        return None, (f"not applicable, a layer without BatchGrad support "
                      f"({type(error).__name__}: {str(error)[:60]})")
    return run, "BatchGrad"
