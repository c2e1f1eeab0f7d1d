r"""Lanczos with full reorthogonalisation for the top-:math:`k` eigenpairs of a symmetric operator.

The Krylov basis :math:`Q_m` (stored row-major: one contiguous row per vector) and the
tridiagonal :math:`T_m = Q_m^\top A Q_m` are built one product at a time; each new vector is
orthogonalised against the whole basis by block classical Gram-Schmidt, a second pass only
when the first cancelled (DGKS test; "twice is enough", Parlett 1998). Ritz pairs
:math:`(\theta_i, Q_m s_i)` are accepted once the Ritz residual bound
:math:`|\beta_m s_{m,i}| \le \mathrm{tol}\,|\theta_i|` holds for all :math:`k` wanted pairs;
the reported residuals :math:`\|Av_i-\lambda_iv_i\|` are then recomputed with :math:`k`
explicit products.

References
----------
C. C. Paige, "The computation of eigenvalues and eigenvectors of very large sparse
matrices", PhD thesis, 1971; B. N. Parlett, *The Symmetric Eigenvalue Problem*, 1998.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from theorylab.errors import NonFiniteError, ParameterError, ShapeError

from .linear_operator import CurvatureOperator
from .probes import gaussian_probes
from .results import EigenResult

__all__ = ["KrylovBasis", "eigen_result", "lanczos_eigenpairs", "lanczos_iteration"]


@dataclass
class KrylovBasis:
    """Lanczos state: basis, tridiagonal entries and reorthogonalisation passes.

    ``basis`` is ``(m, p)`` with one contiguous row per orthonormal vector; ``alphas`` is the
    diagonal of :math:`T_m`, ``betas`` the off-diagonal (``betas[m-1]`` the last residual
    norm); ``passes`` counts full reorthogonalisation passes (``m`` to ``2m``).
    """

    basis: torch.Tensor
    alphas: list[float]
    betas: list[float]
    passes: int = 0

    def tridiagonal(self) -> torch.Tensor:
        r"""Return :math:`T_m` (float64, on the CPU)."""
        steps = len(self.alphas)
        matrix = torch.diag(torch.tensor(self.alphas, dtype=torch.float64))
        if steps > 1:
            off = torch.tensor(self.betas[: steps - 1], dtype=torch.float64)
            matrix += torch.diag(off, 1) + torch.diag(off, -1)
        return matrix


_DGKS = 0.5**0.5
r"""Daniel-Gragg-Kaufman-Stewart (1976) threshold: a reorthogonalisation pass that keeps less
than :math:`1/\sqrt2` of the vector's norm lost digits to cancellation and is repeated."""


def lanczos_iteration(
    operator: CurvatureOperator,
    start: torch.Tensor,
    steps: int,
    stop: object = None,
) -> KrylovBasis:
    r"""Run up to ``steps`` Lanczos steps from ``start`` with full reorthogonalisation.

    The basis is a ``(steps, p)`` tensor whose rows, the Lanczos vectors, are contiguous (an
    operator product on a contiguous vector is up to twice as fast as on a strided column).
    Step :math:`j` forms :math:`w = Aq_j - \alpha_jq_j - \beta_{j-1}q_{j-1}` with
    :math:`\alpha_j = q_j^\top Aq_j` (the three-term recurrence), then reorthogonalises it
    against the whole basis by one classical Gram-Schmidt pass,
    :math:`w \leftarrow w - Q_j^\top(Q_jw)` (two matrix-vector products, one read of the basis
    each), written straight into the next basis row. The pass is repeated only when it
    cancelled more than the DGKS threshold allows, :math:`\|w_{\rm after}\| <
    \|w_{\rm before}\|/\sqrt2` ("twice is enough", Parlett 1998, Sec. 6.9). The step's
    scalars reach the host in one transfer, needed for the breakdown test and ``stop``.
    (Folding :math:`\alpha_j` into the Gram-Schmidt pass saves one vector pass but is
    unstable: the pass then cancels :math:`\alpha_jq_j` and nothing cleans the rounding it
    leaves; on a diagonal test matrix the recurrence diverged within 40 steps.)

    ``stop(state)`` (optional) is called after each step and ends the iteration when it
    returns true. The iteration also ends on an invariant subspace
    (:math:`\beta_j \le 10\,\epsilon\,\|T\|`).

    Raises
    ------
    NonFiniteError
        If a step produces NaN or infinite entries.
    """
    size = operator.shape[0]
    vectors = torch.empty(steps, size, dtype=operator.dtype, device=operator.device)
    vectors[0] = start / torch.linalg.vector_norm(start)
    alphas: list[float] = []
    betas: list[float] = []
    passes = 0
    state = KrylovBasis(vectors[:1], alphas, betas)
    eps = torch.finfo(operator.dtype).eps
    for j in range(steps):
        current = vectors[: j + 1]
        # basis rows are finite, contiguous and of the operator's dtype and device (beta is
        # checked each step), so the product skips ``@``'s input validation
        product = operator._matvec(vectors[j]).detach()
        alpha = torch.dot(vectors[j], product)
        w = torch.addcmul(product, vectors[j], alpha, value=-1)  # no host sync for alpha
        if j > 0:
            w.sub_(vectors[j - 1], alpha=betas[-1])
        before = torch.dot(w, w)  # squared norms by BLAS dot: one read, no reduction kernel
        # one classical Gram-Schmidt pass, written straight into the next basis row
        target = vectors[j + 1] if j + 1 < steps else torch.empty_like(w)
        w = torch.addmv(w, current.T, current @ w, alpha=-1, out=target)
        passes += 1
        alpha_value, before_squared, beta_squared = torch.stack(
            [alpha, before, torch.dot(w, w)]).tolist()
        beta = math.sqrt(beta_squared) if beta_squared >= 0 else math.nan
        if not math.isfinite(beta):
            raise NonFiniteError(f"Lanczos step {j + 1} produced a non-finite vector: the "
                                 f"operator returned NaN or infinite entries")
        if beta_squared < _DGKS**2 * before_squared:
            w.addmv_(current.T, current @ w, alpha=-1)
            passes += 1
            beta = float(torch.linalg.vector_norm(w))
        alphas.append(alpha_value)
        betas.append(beta)
        state = KrylovBasis(current, alphas, betas, passes)
        scale = max(abs(a) for a in alphas) + max(betas)
        if j + 1 == steps or beta <= 10 * eps * scale or (stop is not None and stop(state)):
            break
        w.div_(beta)
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
    # (k, m) @ (m, p): each Ritz vector is a contiguous row, returned as the (p, k) view
    ritz = (vectors[:, wanted].T.to(operator.dtype).to(operator.device) @ state.basis).T
    return eigen_result(operator, values[wanted].to(operator.dtype).to(operator.device), ritz,
                        len(state.alphas), "lanczos", tolerance, seed)
