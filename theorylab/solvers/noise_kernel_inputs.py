r"""Minibatch selection in paper 002: units of the batch size, Lemma A.1 moments, NTK rank.

Units. Paper 002 (Sec. 2.1 and App. A.7.1) writes the residual :math:`z` of ``n`` samples
with ``K`` outputs each as one vector of length :math:`D = nK`; the NTK
:math:`\hat\Theta` is :math:`nK\times nK` (sample-major rows: row :math:`iK + k` is output
``k`` of sample ``i``). A minibatch selects **samples**: :math:`P_t` keeps all ``K`` rows of
each of ``B`` samples, so ``batch_size`` counts samples and must lie in ``[1, n]``, never
in ``[1, nK]``. The solvers take ``outputs_per_sample=K`` (default 1: one kernel row per
sample, the paper's main text) and check that the kernel has a multiple of ``K`` rows.

Rank. :math:`\mathcal{K}` (Eq. 9) needs :math:`I - A` invertible; a null direction of the
NTK (:math:`\lambda_\alpha = 0`) has :math:`A_{\alpha\alpha} = 1`. :func:`numerical_rank`
names that case so the solvers can raise :class:`~theorylab.errors.RankDeficientError` with
the rank, the size and what to do.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from theorylab.arrays import as_matrix, as_psd, check_positive
from theorylab.errors import ParameterError, ShapeError, StabilityError
from theorylab.numerics import roundoff_tolerance

__all__ = [
    "batch_fractions",
    "check_batch_units",
    "enumerated_selection_moment",
    "kernel_samples",
    "minibatch_selection_moment",
    "numerical_rank",
    "rank_tolerance",
    "validate_sgd_problem",
]


def batch_fractions(batch_size: int, size: int) -> tuple[float, float]:
    r"""Return :math:`(\beta, \tilde\beta) = (B/n, (B-1)/(n-1))` (Sec. 2.2); ``n = 1``: ``(1, 1)``.

    ``batch_size`` (``B``) and ``size`` (``n``) both count samples.

    Raises
    ------
    ParameterError
        If ``batch_size`` is not an integer in ``[1, size]``.

    Examples
    --------
    >>> batch_fractions(2, 4)
    (0.5, 0.3333333333333333)
    """
    if isinstance(batch_size, bool) or not float(batch_size).is_integer():
        raise ParameterError(f"batch_size must be an integer, got {batch_size!r}")
    batch = int(batch_size)
    if not 1 <= batch <= size:
        raise ParameterError(
            f"batch_size counts samples and must be in [1, n={size}], got {batch}"
        )
    tilde = 1.0 if size == 1 else (batch - 1) / (size - 1)
    return batch / size, tilde


def kernel_samples(rows: int, outputs_per_sample: int) -> int:
    """Number of samples ``n = rows / K`` of an ``nK x nK`` kernel.

    Raises
    ------
    ParameterError
        If ``outputs_per_sample`` is not an integer ``>= 1``.
    ShapeError
        If ``rows`` is not a multiple of it.

    Examples
    --------
    >>> kernel_samples(1000, 10)
    100
    """
    per = outputs_per_sample
    if isinstance(per, bool) or not float(per).is_integer() or per < 1:
        raise ParameterError(f"outputs_per_sample must be an integer >= 1, got {per!r}")
    if rows % int(per):
        raise ShapeError(
            f"the kernel has {rows} rows, not a multiple of outputs_per_sample={int(per)} "
            "(rows must be samples x outputs per sample, sample-major)"
        )
    return rows // int(per)


def check_batch_units(batch_size: int, rows: int, outputs_per_sample: int) -> int:
    """Return ``n`` after checking ``1 <= batch_size <= n`` with both counted in samples."""
    samples = kernel_samples(rows, outputs_per_sample)
    try:
        batch_fractions(batch_size, samples)
    except ParameterError:
        if isinstance(batch_size, bool) or not float(batch_size).is_integer():
            raise
        per = int(outputs_per_sample)
        layout = f"{rows} rows = {samples} samples x {per} output{'s' if per > 1 else ''}"
        hint = "" if per > 1 else "; with K outputs per sample pass outputs_per_sample=K"
        raise ParameterError(
            f"batch_size counts samples and must be in [1, n={samples}] (the kernel has "
            f"{layout} per sample), got {batch_size}{hint}"
        ) from None
    return samples


def validate_sgd_problem(
    ntk: object,
    learning_rate: float,
    batch_size: int,
    *,
    check_stability: bool = True,
    outputs_per_sample: int = 1,
) -> tuple[np.ndarray, float, int]:
    r"""Validate ``(NTK, η, B)``: PSD finite NTK, :math:`\eta > 0`, :math:`1 \le B \le n`.

    ``B`` counts samples; the NTK has ``n * outputs_per_sample`` rows. With
    ``check_stability`` the learning rate must lie below the deterministic EOS
    :math:`2/\lambda_{\max}(\hat\Theta)` (Sec. 2.1), else :class:`StabilityError`.
    """
    rows = as_matrix(ntk, "ntk").shape[0]  # units first: cheap, before the O(D^3) PSD test
    check_batch_units(batch_size, rows, outputs_per_sample)
    matrix = as_psd(ntk, "ntk")
    eta = check_positive(learning_rate, "learning_rate")
    if check_stability:
        top = float(np.linalg.eigvalsh(matrix)[-1])
        if top > 0 and eta * top >= 2.0:
            raise StabilityError(
                f"learning_rate {eta:g} is at or past the deterministic EOS 2/lambda_max = "
                f"{2.0 / top:g}"
            )
    return matrix, eta, int(batch_size)


def minibatch_selection_moment(
    matrix: object, batch_size: int, *, outputs_per_sample: int = 1
) -> np.ndarray:
    r"""Closed form of :math:`\mathbb{E}[P M P]` (Lemma A.1, Eq. 19).

    .. math:: \mathbb{E}[PMP] = \beta\tilde\beta M + \beta(1-\tilde\beta)\,\mathrm{diag}(M)

    for ``P`` diagonal with exactly ``B`` ones drawn uniformly without replacement. With
    ``outputs_per_sample=K`` the ``nK`` rows form ``n`` samples, ``P`` keeps the ``K`` rows
    of each of ``B`` samples and ``diag`` is the ``K x K`` block diagonal (App. A.7.1).

    Examples
    --------
    >>> minibatch_selection_moment(np.ones((2, 2)), 1)
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    array = as_matrix(matrix, "matrix")
    if array.shape[0] != array.shape[1]:
        raise ShapeError(f"matrix must be square, got shape {array.shape}")
    samples = check_batch_units(batch_size, array.shape[0], outputs_per_sample)
    beta, tilde = batch_fractions(batch_size, samples)
    block = _same_sample(array.shape[0], samples)
    return beta * tilde * array + beta * (1.0 - tilde) * array * block


def _same_sample(rows: int, samples: int) -> np.ndarray:
    """0/1 mask of the ``K x K`` diagonal blocks (entries of one sample) of an ``nK`` kernel."""
    per = rows // samples
    return np.kron(np.eye(samples), np.ones((per, per)))


def enumerated_selection_moment(
    matrix: np.ndarray, batch_size: int, *, outputs_per_sample: int = 1
) -> np.ndarray:
    r"""Brute-force :math:`\mathbb{E}[PMP]`: the average over all ``C(n, B)`` batches (oracle)."""
    rows = matrix.shape[0]
    samples = kernel_samples(rows, outputs_per_sample)
    total = np.zeros_like(matrix, dtype=np.float64)
    count = 0
    for batch in combinations(range(samples), batch_size):
        mask = np.repeat(np.isin(np.arange(samples), batch), rows // samples).astype(float)
        total += mask[:, None] * matrix * mask[None, :]
        count += 1
    return total / count


def rank_tolerance(eigenvalues: np.ndarray) -> float:
    r"""Cut-off :math:`D\,\epsilon\,\lambda_{\max}` below which an NTK eigenvalue counts as 0.

    A backward-stable ``eigh`` of a ``D x D`` PSD matrix returns its eigenvalues to within
    about :math:`D\epsilon\|\hat\Theta\|`, so smaller ones are indistinguishable from 0
    (NumPy's ``matrix_rank`` rule; :func:`theorylab.numerics.roundoff_tolerance`).
    """
    top = float(np.max(eigenvalues)) if eigenvalues.size else 0.0
    return roundoff_tolerance(max(top, 0.0), max(eigenvalues.size, 1))


def numerical_rank(eigenvalues: np.ndarray) -> int:
    """Number of NTK eigenvalues above :func:`rank_tolerance`."""
    return int(np.count_nonzero(eigenvalues > rank_tolerance(eigenvalues)))
