r"""Simon's :math:`\omega` recurrence: when Lanczos must reorthogonalise to stay semi-orthogonal.

Partial reorthogonalisation (PRO) keeps the Lanczos basis semi-orthogonal,
:math:`|q_i^\top q_k| \le \sqrt\epsilon` for :math:`i \ne k`, which is all Lanczos needs for
Ritz values accurate to working precision and valid Ritz residual bounds (Simon 1984). The
inner products are not formed: they are estimated from :math:`\alpha, \beta` alone by the
recurrence below, :math:`O(j)` host floats per step, and the basis is read only when an
estimate passes :math:`\sqrt\epsilon`.

References
----------
H. D. Simon, "The Lanczos algorithm with partial reorthogonalization", Math. Comp. 42
(1984) 115-142; Z. Bai, J. Demmel, J. Dongarra, A. Ruhe, H. van der Vorst (eds.),
*Templates for the Solution of Algebraic Eigenvalue Problems*, SIAM 2000, Sec. 4.4
(Eq. (4.19) and the rounding estimate after it); R. M. Larsen, PROPACK (1998), whose
``update_mu``/``update_nu`` add the rounding term with the sign of the estimate.
"""

from __future__ import annotations

import math

import torch

from theorylab.errors import ParameterError

__all__ = [
    "PARTIAL_MIN_SIZE",
    "OmegaRecurrence",
    "resolve_reorthogonalization",
    "tridiagonal_scale",
]

PARTIAL_MIN_SIZE = 100_000
"""Smallest :math:`p` at which ``reorthogonalization=None`` picks partial reorthogonalisation.
Full reorthogonalisation reads the :math:`(j, p)` basis twice at step :math:`j`, about
:math:`m^2p` numbers a solve: below :math:`10^5` parameters that is under 4 GB (m = 100,
float32; well under a second at 10 GB/s), so full keeps its basis orthonormal to working
precision at little cost; at :math:`p = 999{,}879` (83 steps) it is 27 GB, measured at 2.66 s
= 37% of a top-5 solve on one thread."""


def resolve_reorthogonalization(mode: str | None, size: int, check_every: int,
                                device: torch.device) -> str:
    """Resolve ``reorthogonalization`` (None: partial on the CPU from :data:`PARTIAL_MIN_SIZE`).

    Off the CPU None stays full: the saving was measured on the CPU only, where the basis
    reads are a third of a solve; on a GPU both the reads and the host round trip per step
    that partial needs have not been measured.
    """
    if mode is None:
        partial = device.type == "cpu" and size >= PARTIAL_MIN_SIZE and check_every == 1
        return "partial" if partial else "full"
    if mode not in ("full", "partial"):
        raise ParameterError(f"reorthogonalization must be 'full', 'partial' or None, got "
                             f"{mode!r}")
    if mode == "partial" and check_every != 1:
        raise ParameterError(f"partial reorthogonalization reads the Lanczos scalars every "
                             f"step: it needs check_every=1, got {check_every}")
    return mode


def tridiagonal_scale(alphas: list[float], betas: list[float]) -> float:
    r""":math:`\max|\alpha| + \max\beta`, within a factor 2 of :math:`\|T\|` (Gershgorin)."""
    return max(abs(a) for a in alphas) + max(betas)


class OmegaRecurrence:
    r"""Estimates :math:`\omega_{i,k} \approx q_i^\top q_k` of the two newest Lanczos rows.

    From :math:`\beta_j q_{j+1} = Aq_j - \alpha_jq_j - \beta_{j-1}q_{j-1} + f_j` and the same
    relation for :math:`q_k`, the new row is, for :math:`k < j` (Templates Eq. (4.19)),

    .. math:: \omega_{j+1,k} = \bigl[\beta_k\omega_{j,k+1} + (\alpha_k-\alpha_j)\omega_{j,k}
              + \beta_{k-1}\omega_{j,k-1} - \beta_{j-1}\omega_{j-1,k}
              \pm \psi\bigr] / \beta_j ,

    where :math:`\pm\psi` stands for the unknown rounding :math:`q_j^\top f_k - q_k^\top f_j`:
    :math:`\psi = \epsilon\,(\max|\alpha| + \max\beta)` (:math:`\ge \epsilon\|T\|/2`; the
    Templates estimate :math:`\epsilon\|A\|`, with :math:`\|T\|` for :math:`\|A\|`), of the
    sign that maximises :math:`|\omega_{j+1,k}|`. The local term is
    :math:`\omega_{j+1,j} = \psi/\beta_j` (the recurrence's own rounding, relative to the
    new vector's norm) and :math:`\omega_{j+1,j+1} = 1`. When
    :math:`|\omega_{j+1,k}| > \sqrt\epsilon` for some :math:`k`, this vector and the next
    one (the recurrence carries row :math:`j` into row :math:`j+2`) are reorthogonalised
    against the basis rows around each such :math:`k` whose estimates exceed
    :math:`\eta = \sqrt\epsilon/4` (Larsen's intervals in PROPACK, there with
    :math:`\eta = \epsilon^{3/4}`; Simon 1984 reads the whole basis), and those entries are
    reset to :math:`\epsilon`. :math:`\eta` only sets the cost: every estimate left out stays
    below :math:`\sqrt\epsilon` and is carried on by the recurrence, so the basis stays
    semi-orthogonal for any :math:`\eta \le \sqrt\epsilon`. Measured on a float32 MLP Hessian
    at :math:`p = 999{,}879` (top-5, 84 steps): the passes read 3,570 rows for the whole basis,
    2,210 with :math:`\epsilon^{3/4}`, 851 with :math:`\sqrt\epsilon/4`
    (:attr:`~.lanczos.KrylovBasis.reads` counts them).

    The local values assume the caller keeps each new vector orthogonal to
    :math:`q_{j-1}, q_j` at rounding level (a local Gram-Schmidt pass over those two rows,
    as :func:`~.lanczos.lanczos_iteration` makes).

    ``levels`` collects :math:`\max_{k<i}|\omega_{i,k}|` for each row :math:`i` as used
    (after a reset), starting with 0 for row 0.
    """

    def __init__(self, eps: float) -> None:
        self.eps, self.threshold = eps, math.sqrt(eps)
        self.eta = self.threshold / 4
        self.rows: tuple[list[float], list[float]] = ([], [1.0])
        self.pending: list[tuple[int, int]] = []
        self.levels: list[float] = [0.0]

    def intervals(self, row: list[float]) -> list[tuple[int, int]]:
        r"""Row ranges ``[start, stop)`` around each :math:`|\omega_k| > \sqrt\epsilon`.

        Each is widened while :math:`|\omega_k| > \eta` (Larsen's intervals).
        """
        found: list[tuple[int, int]] = []
        k = 0
        while k < len(row):
            if abs(row[k]) > self.threshold:
                start, stop = k, k + 1
                while start > (found[-1][1] if found else 0) and abs(row[start - 1]) > self.eta:
                    start -= 1
                while stop < len(row) and abs(row[stop]) > self.eta:
                    stop += 1
                found.append((start, stop))
                k = stop
            else:
                k += 1
        return found

    def reorthogonalise(self, alphas: list[float], betas: list[float], alpha: float,
                        beta: float) -> list[tuple[int, int]]:
        r"""Advance to row :math:`j+1`; return the row ranges to reorthogonalise against.

        An empty list means no pass.

        ``alphas``, ``betas`` are the recorded steps :math:`< j`, ``alpha`` is
        :math:`\alpha_j` and ``beta`` the new vector's norm :math:`\beta_j` (a zero or
        non-finite one asks for a pass over the whole basis).
        """
        old, row = self.rows
        j = len(alphas)
        psi = self.eps * tridiagonal_scale([*alphas, alpha], [*betas, beta])
        if not (beta > 0 and math.isfinite(beta)):
            new, fresh = [self.eps] * (j + 1), [(0, j + 1)]
        else:
            new = []
            for k in range(j):
                total = (betas[k] * row[k + 1] + (alphas[k] - alpha) * row[k]
                         - betas[j - 1] * old[k] + (betas[k - 1] * row[k - 1] if k else 0.0))
                new.append((total + math.copysign(psi, total)) / beta)
            new.append(psi / beta)
            fresh = self.intervals(new)
        chosen = _union(self.pending, fresh)
        self.pending = fresh  # Simon: the next vector is reorthogonalised there too
        for start, stop in chosen:
            new[start:stop] = [self.eps] * (stop - start)
        self.rows = (row, [*new, 1.0])
        self.levels.append(max(map(abs, new)))
        return chosen


def _union(first: list[tuple[int, int]], second: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of two lists of ``[start, stop)`` ranges, overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(first + second):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged
