r"""Lanczos with full reorthogonalisation for the top-:math:`k` eigenpairs of a symmetric operator.

The Krylov basis :math:`Q_m` and tridiagonal :math:`T_m = Q_m^\top A Q_m` are built one
product at a time; each new vector is orthogonalised against the whole basis twice
("twice is enough", Parlett 1998). Ritz pairs :math:`(\theta_i, Q_m s_i)` are accepted once
the Ritz residual bound :math:`|\beta_m s_{m,i}| \le \mathrm{tol}\,|\theta_i|` holds for
all :math:`k` wanted pairs; the reported residuals :math:`\|Av_i-\lambda_iv_i\|` are then
recomputed with :math:`k` explicit products.

References
----------
C. C. Paige, "The computation of eigenvalues and eigenvectors of very large sparse
matrices", PhD thesis, 1971; B. N. Parlett, *The Symmetric Eigenvalue Problem*, 1998.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from theorylab.errors import ParameterError, ShapeError

from .linear_operator import CurvatureOperator
from .probes import gaussian_probes
from .results import EigenResult

__all__ = ["KrylovBasis", "eigen_result", "lanczos_eigenpairs", "lanczos_iteration"]


@dataclass
class KrylovBasis:
    """Lanczos state: orthonormal basis ``(p, m)``, diagonal ``alphas`` and ``betas``."""

    basis: torch.Tensor
    alphas: list[float]
    betas: list[float]

    def tridiagonal(self) -> torch.Tensor:
        r"""Return :math:`T_m` (float64, on the CPU)."""
        steps = len(self.alphas)
        matrix = torch.diag(torch.tensor(self.alphas, dtype=torch.float64))
        if steps > 1:
            off = torch.tensor(self.betas[: steps - 1], dtype=torch.float64)
            matrix += torch.diag(off, 1) + torch.diag(off, -1)
        return matrix


def lanczos_iteration(
    operator: CurvatureOperator,
    start: torch.Tensor,
    steps: int,
    stop: object = None,
) -> KrylovBasis:
    r"""Run up to ``steps`` Lanczos steps from ``start`` with full reorthogonalisation.

    ``stop(state)`` (optional) is called after each step and ends the iteration when it
    returns true. The iteration also ends on an invariant subspace
    (:math:`\beta_j \le 10\,\epsilon\,\|T\|`).
    """
    size = operator.shape[0]
    vectors = torch.empty(size, steps, dtype=operator.dtype, device=operator.device)
    vectors[:, 0] = start / torch.linalg.vector_norm(start)
    state = KrylovBasis(vectors[:, :1], [], [])
    eps = torch.finfo(operator.dtype).eps
    for j in range(steps):
        current = vectors[:, : j + 1]
        w = operator @ vectors[:, j]
        alpha = float(vectors[:, j] @ w)
        for _ in range(2):
            w = w - current @ (current.T @ w)
        beta = float(torch.linalg.vector_norm(w))
        state = KrylovBasis(current, [*state.alphas, alpha], [*state.betas, beta])
        scale = max(abs(a) for a in state.alphas) + max(state.betas)
        if j + 1 == steps or beta <= 10 * eps * scale or (stop is not None and stop(state)):
            break
        vectors[:, j + 1] = w / beta
    return state


def eigen_result(
    operator: CurvatureOperator,
    eigenvalues: torch.Tensor,
    eigenvectors: torch.Tensor,
    matvecs: int,
    method: str,
    tolerance: float,
    seed: int | None,
) -> EigenResult:
    r"""Package eigenpairs with explicit residuals :math:`\|Av-\lambda v\|` (k products)."""
    order = torch.argsort(eigenvalues, descending=True)
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    residuals = torch.linalg.vector_norm(operator @ eigenvectors - eigenvectors * eigenvalues,
                                         dim=0)
    relative = residuals / eigenvalues.abs()
    return EigenResult(eigenvalues, eigenvectors, residuals, matvecs + eigenvalues.numel(),
                       method, bool((relative <= tolerance).all()), seed)


def _check_k(operator: CurvatureOperator, k: int) -> None:
    if operator.shape[0] != operator.shape[1] or not operator.symmetric:
        raise ShapeError(f"eigenpairs need a symmetric square operator, got {operator!r}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= operator.shape[0]:
        raise ParameterError(f"k must be an int in [1, {operator.shape[0]}], got {k!r}")


def lanczos_eigenpairs(
    operator: CurvatureOperator,
    k: int,
    *,
    tolerance: float = 1e-3,
    max_iterations: int | None = None,
    which: str = "largest",
    seed: int = 0,
) -> EigenResult:
    r"""Top-:math:`k` eigenpairs of a symmetric operator by Lanczos (full reorthogonalisation).

    Parameters
    ----------
    operator
        Symmetric :class:`CurvatureOperator` of size :math:`p`.
    k
        Number of eigenpairs.
    tolerance
        Target relative residual :math:`\|Av-\lambda v\|/|\lambda|`.
    max_iterations
        Krylov dimension cap (default :math:`\min(p, \max(20k, 100))`).
    which
        ``"largest"`` (algebraic, the default) or ``"magnitude"``.
    seed
        Seed of the Gaussian start vector.

    Returns
    -------
    EigenResult
        Descending eigenvalues, eigenvectors ``(p, k)`` and explicit residuals.

    Examples
    --------
    >>> from theorylab.gpu.operators import EffectiveCurvatureOperator
    >>> X = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    >>> H = EffectiveCurvatureOperator.from_model(torch.nn.Linear(2, 1, bias=False).double(), X)
    >>> [round(v, 10) for v in lanczos_eigenpairs(H, 2).eigenvalues.tolist()]  # X^T X / 2
    [2.0, 0.5]
    """
    _check_k(operator, k)
    if which not in ("largest", "magnitude"):
        raise ParameterError(f"which must be 'largest' or 'magnitude', got {which!r}")
    size = operator.shape[0]
    steps = min(size, max_iterations or max(20 * k, 100))

    def select(values: torch.Tensor) -> torch.Tensor:
        keys = values if which == "largest" else values.abs()
        return torch.argsort(keys, descending=True)[:k]

    def converged(state: KrylovBasis) -> bool:
        if len(state.alphas) < k:
            return False
        values, vectors = torch.linalg.eigh(state.tridiagonal())
        wanted = select(values)
        bounds = abs(state.betas[-1]) * vectors[-1, wanted].abs()
        return bool((bounds <= tolerance * values[wanted].abs()).all())

    start = gaussian_probes(size, 1, seed, dtype=operator.dtype, device=operator.device)[:, 0]
    state = lanczos_iteration(operator, start, steps, converged)
    values, vectors = torch.linalg.eigh(state.tridiagonal())
    wanted = select(values)[: min(k, len(state.alphas))]
    ritz = state.basis @ vectors[:, wanted].to(operator.dtype).to(operator.device)
    return eigen_result(operator, values[wanted].to(operator.dtype).to(operator.device), ritz,
                        len(state.alphas), "lanczos", tolerance, seed)
