r"""Lanczos with full or partial reorthogonalisation for the top-:math:`k` eigenpairs.

The Krylov basis :math:`Q_m` (stored row-major: one contiguous row per vector) and the
tridiagonal :math:`T_m = Q_m^\top A Q_m` are built one product at a time. With full
reorthogonalisation each new vector is orthogonalised against the whole basis by block
classical Gram-Schmidt, a second pass only when the first cancelled (DGKS test; "twice is
enough", Parlett 1998). With partial reorthogonalisation (Simon 1984) the basis is read only
when Simon's :math:`\omega` recurrence estimates that :math:`\max_k|q_{j+1}^\top q_k|` has
passed :math:`\sqrt\epsilon`: semi-orthogonality is all Lanczos needs for Ritz values
accurate to working precision and valid residual bounds (Simon 1984). Ritz pairs
:math:`(\theta_i, Q_m s_i)` are accepted once the Ritz residual bound
:math:`|\beta_m s_{m,i}| \le \mathrm{tol}\,|\theta_i|` holds for all :math:`k` wanted pairs;
the reported residuals :math:`\|Av_i-\lambda_iv_i\|` are then recomputed with :math:`k`
explicit products.

References
----------
C. C. Paige, "The computation of eigenvalues and eigenvectors of very large sparse
matrices", PhD thesis, 1971; B. N. Parlett, *The Symmetric Eigenvalue Problem*, 1998;
H. D. Simon, "The Lanczos algorithm with partial reorthogonalization", Math. Comp. 42
(1984) 115-142.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from theorylab.errors import NonFiniteError, ParameterError, ShapeError

from .linear_operator import CurvatureOperator
from .partial_reorthogonalization import (
    PARTIAL_MIN_SIZE,
    OmegaRecurrence,
    resolve_reorthogonalization,
    tridiagonal_scale,
)
from .probes import gaussian_probes
from .results import EigenResult

__all__ = [
    "DEVICE_CHECK_EVERY",
    "PARTIAL_MIN_SIZE",
    "KrylovBasis",
    "default_check_every",
    "eigen_result",
    "lanczos_eigenpairs",
    "lanczos_iteration",
    "resolve_reorthogonalization",
]


@dataclass
class KrylovBasis:
    r"""Lanczos state: basis, tridiagonal entries and reorthogonalisation passes.

    ``basis`` is ``(m, p)`` with one contiguous row per orthonormal vector; ``alphas`` is the
    diagonal of :math:`T_m`, ``betas`` the off-diagonal (``betas[m-1]`` the last residual
    norm); ``passes`` counts Gram-Schmidt passes (``m`` to ``2m`` with full
    reorthogonalisation) and ``reads`` the basis rows they projected out (each read twice;
    :math:`\sum_j (j+1)` to twice that with full, far fewer with partial); ``products``
    counts operator products formed (``m``, or up to ``check_every - 1`` more when the host
    read the scalars only every few steps, see :func:`lanczos_iteration`). ``omega`` (partial
    reorthogonalisation only) holds Simon's estimate of :math:`\max_{k<i}|q_i^\top q_k|` for
    each row :math:`i` (0 for row 0).
    """

    basis: torch.Tensor
    alphas: list[float]
    betas: list[float]
    passes: int = 0
    products: int = 0
    omega: list[float] = field(default_factory=list)
    reads: int = 0

    def tridiagonal(self) -> torch.Tensor:
        r"""Return :math:`T_m` (float64, on the CPU)."""
        steps = len(self.alphas)
        matrix = torch.diag(torch.tensor(self.alphas, dtype=torch.float64))
        if steps > 1:
            off = torch.tensor(self.betas[: steps - 1], dtype=torch.float64)
            matrix += torch.diag(off, 1) + torch.diag(off, -1)
        return matrix


DEVICE_CHECK_EVERY = 1
"""Default host-read interval off the CPU. Measured on an H200 (top-5 at p = 999,879,
n = 512, ``benchmarks/scaling.py --sections lanczos``, best of 3): reading every step 0.245 s
(88 products of 1.32 ms), every 8 steps 0.308 s (93 products of 1.68 ms): the always-made
second Gram-Schmidt pass and the overshoot cost more than the host reads saved, so reads stay
per step; ``check_every`` remains for devices where a read costs more."""


def default_check_every(device: torch.device | str) -> int:
    """1 on the CPU (a host read there costs nothing), :data:`DEVICE_CHECK_EVERY` elsewhere."""
    return 1 if torch.device(device).type == "cpu" else DEVICE_CHECK_EVERY


class _HostRecord:
    r"""The host's side of the iteration: tridiagonal entries, tests and the stop rule.

    Both schedules feed it the same device scalars of step ``j`` in step order (``alpha``,
    the squared norm of :math:`w` before and after the first Gram-Schmidt pass, and after the
    second); it decides DGKS with the same exact comparison :math:`2\|w_{\rm after}\|^2 <
    \|w_{\rm before}\|^2` the device uses, so both schedules build the same :math:`T_m`.
    """

    def __init__(self, vectors: torch.Tensor, steps: int, stop: object) -> None:
        self.vectors, self.steps, self.stop = vectors, steps, stop
        self.alphas: list[float] = []
        self.betas: list[float] = []
        self.omega: list[float] = []  # OmegaRecurrence.levels under partial
        self.passes = self.reads = 0
        self.eps = torch.finfo(vectors.dtype).eps
        self.state = KrylovBasis(vectors[:1], self.alphas, self.betas)

    def accept(self, j: int, alpha: float, before: float, after: float, final: float,
               products: int, rows: int | None = None) -> bool:
        """Record step ``j``; True when the iteration ends there (raises on NaN/inf).

        ``rows`` is the number of basis rows the step's Gram-Schmidt pass read (None: the
        whole basis, ``j + 1``; 0 when partial reorthogonalisation skipped the pass).
        """
        if not all(math.isfinite(value) for value in (alpha, before, after)):
            raise NonFiniteError(f"Lanczos step {j + 1} produced a non-finite vector: the "
                                 f"operator returned NaN or infinite entries")
        redo = 2 * after < before
        beta = math.sqrt(final if redo else after)
        rows = j + 1 if rows is None else rows
        self.passes += (2 if redo else 1) if rows else 0
        self.reads += rows * (2 if redo else 1)
        self.alphas.append(alpha)
        self.betas.append(beta)
        self.state = KrylovBasis(self.vectors[: j + 1], self.alphas, self.betas, self.passes,
                                 products, self.omega[: j + 1], self.reads)
        scale = tridiagonal_scale(self.alphas, self.betas)
        return (j + 1 == self.steps or beta <= 10 * self.eps * scale
                or (self.stop is not None and bool(self.stop(self.state))))


def _project_out(w: torch.Tensor, vectors: torch.Tensor, blocks: list[tuple[int, int]]) -> None:
    """One Gram-Schmidt pass of ``w`` against the basis rows ``[start, stop)`` of each block."""
    for start, stop in blocks:
        rows = vectors[start:stop]
        w.addmv_(rows.T, rows @ w, alpha=-1)


def lanczos_iteration(
    operator: CurvatureOperator,
    start: torch.Tensor,
    steps: int,
    stop: object = None,
    *,
    check_every: int | None = None,
    reorthogonalization: str | None = None,
) -> KrylovBasis:
    r"""Run up to ``steps`` Lanczos steps from ``start`` with full or partial reorthogonalisation.

    The basis is a ``(steps, p)`` tensor whose rows, the Lanczos vectors, are contiguous (an
    operator product on a contiguous vector is up to twice as fast as on a strided column).
    Step :math:`j` forms :math:`w = Aq_j - \alpha_jq_j - \beta_{j-1}q_{j-1}` with
    :math:`\alpha_j = q_j^\top Aq_j` (the three-term recurrence), then reorthogonalises it
    against the whole basis by one classical Gram-Schmidt pass,
    :math:`w \leftarrow w - Q_j^\top(Q_jw)` (two matrix-vector products, one read of the basis
    each), written straight into the next basis row. The pass is repeated only when it
    cancelled more than the DGKS threshold allows, :math:`\|w_{\rm after}\|^2 <
    \|w_{\rm before}\|^2/2` ("twice is enough", Parlett 1998, Sec. 6.9). (Folding
    :math:`\alpha_j` into the Gram-Schmidt pass saves one vector pass but is unstable: the
    pass then cancels :math:`\alpha_jq_j` and nothing cleans the rounding it leaves; on a
    diagonal test matrix the recurrence diverged within 40 steps.)

    ``reorthogonalization="partial"`` (Simon 1984) makes that pass only when
    :class:`~.partial_reorthogonalization.OmegaRecurrence`, Simon's :math:`\omega`
    recurrence run on the host from :math:`\alpha, \beta` alone (:math:`O(j)` floats per
    step), estimates :math:`\max_k|q_{j+1}^\top q_k| > \sqrt\epsilon`,
    and then for this vector and the next; otherwise the recurrence is written straight into
    the next basis row and the basis is not read. Every step first reorthogonalises
    :math:`w` locally against :math:`q_{j-1}, q_j` (one small Gram-Schmidt pass over two
    rows; :math:`\alpha_j` takes the :math:`q_j` coefficient; cf. PROPACK's option ``elr``):
    the recurrence assumes local orthogonality at rounding level, but :math:`\alpha_j` and
    :math:`\beta_j^2` are sums of mostly like-signed terms whose rounding exceeds
    :math:`\epsilon\|T\|`; without it a spectrum with one outlier reached
    :math:`2.7\sqrt\epsilon` with the estimate 280 times too low. The basis is then only
    semi-orthogonal (:math:`|q_i^\top q_k| \lesssim \sqrt\epsilon`), which keeps
    :math:`T_m`'s Ritz values accurate to working precision and the Ritz residual bound valid
    (Simon 1984);
    :func:`lanczos_eigenpairs` normalises the Ritz vectors and :func:`eigen_result` recomputes
    the :math:`k` residuals with explicit products anyway. ``"full"`` is the pass every step;
    None (the default) picks partial when the operator is on the CPU, :math:`p \ge`
    :data:`PARTIAL_MIN_SIZE` and ``check_every == 1``, else full. ``passes`` and ``reads``
    then count only the passes made.

    The step's scalars stay on the operator's device: :math:`\beta_j` is used there, and the
    host reads them once every ``check_every`` steps (default: every step on the CPU,
    :data:`DEVICE_CHECK_EVERY` on a GPU, where each read drains the queue). With
    ``check_every > 1`` the DGKS second pass is applied on the device by a 0/1 factor (its two
    basis reads are always made), and the host then replays the unread steps in order:
    NaN/inf, breakdown and ``stop`` are tested at every step, and the state is cut at the
    first step that ends the iteration, so the basis, :math:`T_m` and every result are
    identical to ``check_every = 1``; only ``products`` can exceed :math:`m` (by at most
    ``check_every - 1``). This deferred path always reorthogonalises fully: partial needs
    the scalars on the host every step.

    ``stop(state)`` (optional) is called after each step and ends the iteration when it
    returns true. The iteration also ends on an invariant subspace
    (:math:`\beta_j \le 10\,\epsilon\,\|T\|`).

    Raises
    ------
    NonFiniteError
        If a step produces NaN or infinite entries.
    ParameterError
        If ``check_every`` is not a positive int, or ``reorthogonalization`` is not
        ``"full"``, ``"partial"`` or None, or is ``"partial"`` with ``check_every > 1``.
    """
    if check_every is None:
        check_every = default_check_every(operator.device)
    if isinstance(check_every, bool) or not isinstance(check_every, int) or check_every < 1:
        raise ParameterError(f"check_every must be a positive int, got {check_every!r}")
    size = operator.shape[0]
    mode = resolve_reorthogonalization(reorthogonalization, size, check_every,
                                       torch.device(operator.device))
    vectors = torch.empty(steps, size, dtype=operator.dtype, device=operator.device)
    vectors[0] = start / torch.linalg.vector_norm(start)
    # per step on the device: alpha, |w|^2 before and after the first pass, after the second
    record = torch.empty(steps, 4, dtype=operator.dtype, device=operator.device)
    host = _HostRecord(vectors, steps, stop)
    omega = OmegaRecurrence(host.eps) if mode == "partial" else None
    if omega is not None:
        host.omega = omega.levels
    beta = torch.zeros((), dtype=operator.dtype, device=operator.device)
    unread = 0  # the first step whose scalars the host has not read
    for j in range(steps):
        current = vectors[: j + 1]
        # basis rows are contiguous and of the operator's dtype and device, so the product
        # skips ``@``'s input validation (non-finite entries are caught from the scalars)
        product = operator._matvec(vectors[j]).detach()
        alpha = torch.dot(vectors[j], product)
        target = vectors[j + 1] if j + 1 < steps else torch.empty_like(product)
        # partial: the recurrence is written straight into the next basis row
        w = torch.addcmul(product, vectors[j], alpha, value=-1,
                          out=None if omega is None else target)
        if j > 0:
            w.addcmul_(vectors[j - 1], beta, value=-1)
        if omega is not None:  # local reorthogonalisation against q_{j-1}, q_j
            local = vectors[max(j - 1, 0) : j + 1]
            correction = local @ w
            w.addmv_(local.T, correction, alpha=-1)
            alpha = alpha + correction[-1]
        before = torch.dot(w, w)  # squared norms by BLAS dot: one read, no reduction kernel
        blocks = [(0, j + 1)]  # the basis rows a Gram-Schmidt pass reads
        if omega is not None:
            values = torch.stack([alpha, before]).tolist()
            blocks = omega.reorthogonalise(host.alphas, host.betas, values[0],
                                           math.sqrt(values[1]))
        passed = bool(blocks)  # whether this step makes a Gram-Schmidt pass
        # one classical Gram-Schmidt pass, written straight into the next basis row
        if omega is None:
            w = torch.addmv(w, current.T, current @ w, alpha=-1, out=target)
        else:
            _project_out(w, vectors, blocks)
        after = torch.dot(w, w) if passed else before
        if check_every == 1:
            if omega is None:
                values = torch.stack([alpha, before, after]).tolist()
            else:
                values.append(float(after) if passed else values[1])
            final, final_value = after, values[2]
            if passed and 2 * values[2] < values[1] and math.isfinite(values[2]):  # DGKS
                _project_out(w, vectors, blocks)
                final = torch.dot(w, w)
                final_value = float(final)
            rows = sum(stop - start for start, stop in blocks)
            if host.accept(j, *values, final_value, j + 1, rows):
                return host.state
        else:
            redo = 2 * after < before  # exact in any dtype: the host's test, on the device
            w.addmv_(current.T, (current @ w) * redo, alpha=-1)  # + 0 exactly when not redo
            final = torch.dot(w, w)
            record[j] = torch.stack([alpha, before, after, final])
            final = torch.where(redo, final, after)
            if (j + 1) % check_every == 0 or j + 1 == steps:
                for i, values in enumerate(record[unread : j + 1].tolist(), start=unread):
                    if host.accept(i, *values, j + 1):
                        return host.state
                unread = j + 1
        beta = torch.sqrt(final)
        w.div_(beta)
    return host.state


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
    check_every: int | None = None,
    reorthogonalization: str | None = None,
) -> EigenResult:
    r"""Top-:math:`k` eigenpairs of a symmetric operator by Lanczos.

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
    check_every
        Steps between host reads of the Lanczos scalars (default: 1 on the CPU,
        :data:`DEVICE_CHECK_EVERY` on a GPU); the eigenpairs do not depend on it, see
        :func:`lanczos_iteration`.
    reorthogonalization
        ``"full"``, ``"partial"`` (Simon's semi-orthogonal basis; the Ritz vectors are then
        normalised) or None: partial on the CPU from :data:`PARTIAL_MIN_SIZE` parameters on
        when ``check_every`` is 1, see :func:`lanczos_iteration`.

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
    state = lanczos_iteration(operator, start, steps, converged, check_every=check_every,
                              reorthogonalization=reorthogonalization)
    values, vectors = torch.linalg.eigh(state.tridiagonal())
    wanted = select(values)[: min(k, len(state.alphas))]
    # (k, m) @ (m, p): each Ritz vector is a contiguous row, returned as the (p, k) view
    ritz = vectors[:, wanted].T.to(operator.dtype).to(operator.device) @ state.basis
    if state.omega:  # a semi-orthogonal basis: ||Q s|| = 1 only to ~sqrt(eps)
        ritz /= torch.linalg.vector_norm(ritz, dim=1, keepdim=True)
    ritz = ritz.T
    method = f"lanczos ({'partial' if state.omega else 'full'} reorthogonalisation)"
    return eigen_result(operator, values[wanted].to(operator.dtype).to(operator.device), ritz,
                        state.products, method, tolerance, seed)
