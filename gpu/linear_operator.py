r"""Base class for matrix-free operators on flat parameter (or output) vectors.

Subclasses implement ``_matvec`` (and ``_rmatvec`` when not symmetric); the base class adds

* ``A @ v`` for a vector ``(columns,)`` or a matrix of column vectors ``(columns, m)``;
* ``A.T`` (the adjoint), ``A.shape``, ``A.dtype``, ``A.device``;
* :meth:`CurvatureOperator.to_scipy` — a :class:`scipy.sparse.linalg.LinearOperator` with
  float64 NumPy input and output;
* :meth:`CurvatureOperator.to_dense` — the dense matrix, for small cases, under a memory
  budget (:class:`theorylab.errors.MemoryBudgetError` otherwise).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from theorylab.errors import NonFiniteError, ShapeError

from .memory import check_memory

__all__ = ["CurvatureOperator"]


class CurvatureOperator:
    r"""A linear map :math:`\mathbb{R}^{c} \to \mathbb{R}^{r}` given by products only.

    Parameters
    ----------
    shape
        ``(rows, columns)``.
    dtype, device
        Of the vectors it accepts and returns.
    symmetric
        Whether the operator is self-adjoint (then ``_rmatvec`` defaults to ``_matvec``).
    """

    def __init__(
        self,
        shape: tuple[int, int],
        dtype: torch.dtype,
        device: torch.device,
        *,
        symmetric: bool,
    ) -> None:
        self.shape = (int(shape[0]), int(shape[1]))
        self.dtype = dtype
        self.device = device
        self.symmetric = symmetric

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _rmatvec(self, vector: torch.Tensor) -> torch.Tensor:
        if self.symmetric:
            return self._matvec(vector)
        raise NotImplementedError(f"{type(self).__name__} has no adjoint product")

    def _apply(self, other: Any, columns: int, product: Any) -> torch.Tensor:
        if not isinstance(other, torch.Tensor):
            other = torch.as_tensor(np.asarray(other))
        if other.ndim not in (1, 2) or other.shape[0] != columns:
            raise ShapeError(f"{type(self).__name__} of shape {self.shape} acts on ({columns},) "
                             f"or ({columns}, m) tensors, got shape {tuple(other.shape)}")
        other = other.to(device=self.device, dtype=self.dtype)
        # one reduction, no boolean copy of the input: NaN and inf propagate through max |x|
        if not bool(torch.isfinite(torch.linalg.vector_norm(other, ord=float("inf")))):
            raise NonFiniteError("the vector passed to the operator has NaN or infinite entries")
        if other.ndim == 1:
            return product(other.contiguous()).detach()
        # one contiguous row per column: a product on a strided column costs up to 2x
        return torch.stack([product(column).detach() for column in other.T.contiguous()], dim=1)

    def __matmul__(self, other: Any) -> torch.Tensor:
        """Return :math:`A v` (``(rows,)``) or :math:`A V` (``(rows, m)``)."""
        return self._apply(other, self.shape[1], self._matvec)

    def rmatmul(self, other: Any) -> torch.Tensor:
        r"""Return :math:`A^\top u` (``(columns,)``) or :math:`A^\top U`."""
        return self._apply(other, self.shape[0], self._rmatvec)

    @property
    def T(self) -> CurvatureOperator:  # noqa: N802 - the matrix transpose, as in NumPy
        r"""The adjoint operator :math:`A^\top`."""
        return _Adjoint(self)

    def to_scipy(self) -> Any:
        """Return a :class:`scipy.sparse.linalg.LinearOperator` (float64 NumPy in and out)."""
        from scipy.sparse.linalg import LinearOperator

        def as_numpy(product: Any) -> Any:
            def wrapped(vector: np.ndarray) -> np.ndarray:
                result = product(torch.as_tensor(np.asarray(vector, dtype=np.float64)))
                return result.detach().cpu().to(torch.float64).numpy()

            return wrapped

        return LinearOperator(
            self.shape, matvec=as_numpy(self.__matmul__), rmatvec=as_numpy(self.rmatmul),
            matmat=as_numpy(self.__matmul__), rmatmat=as_numpy(self.rmatmul), dtype=np.float64,
        )

    def to_dense(self, *, memory_budget: int | None = None, block: int = 64) -> torch.Tensor:
        """Return the dense matrix, built from products with identity columns in blocks.

        Raises
        ------
        MemoryBudgetError
            If ``rows * columns`` entries exceed ``memory_budget`` (default 2 GiB).
        """
        rows, columns = self.shape
        itemsize = torch.empty((), dtype=self.dtype).element_size()
        check_memory(rows * columns * itemsize, f"dense {type(self).__name__} {self.shape}",
                     memory_budget)
        dense = torch.empty(rows, columns, dtype=self.dtype, device=self.device)
        for start in range(0, columns, block):
            stop = min(columns, start + block)
            identity = torch.zeros(columns, stop - start, dtype=self.dtype, device=self.device)
            identity[torch.arange(start, stop), torch.arange(stop - start)] = 1
            dense[:, start:stop] = self @ identity
        return dense

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(shape={self.shape}, dtype={self.dtype}, device={self.device})"


class _Adjoint(CurvatureOperator):
    def __init__(self, operator: CurvatureOperator) -> None:
        rows, columns = operator.shape
        super().__init__((columns, rows), operator.dtype, operator.device,
                         symmetric=operator.symmetric)
        self.operator = operator

    def _matvec(self, vector: torch.Tensor) -> torch.Tensor:
        return self.operator._rmatvec(vector)

    def _rmatvec(self, vector: torch.Tensor) -> torch.Tensor:
        return self.operator._matvec(vector)
