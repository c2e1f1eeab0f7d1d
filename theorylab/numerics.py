r"""Roundoff margins: when a computed eigenvalue or residual is zero to working precision.

A backward-stable symmetric eigensolver returns the exact eigenvalues of :math:`A + E` with
:math:`\|E\|_2 \le p(n)\,\epsilon\,\|A\|_2` (Golub & Van Loan, *Matrix Computations*, 4th ed.,
Sec. 8.3-8.4; Weyl: :math:`|\hat\lambda_i-\lambda_i|\le\|E\|_2`). The LAPACK Users' Guide
(Sec. 4.7) states the approximate bound :math:`\epsilon\,\|A\|_2`, taking :math:`p(n)=1`
because the worst-case :math:`p(n)` is pessimistic. :func:`roundoff_tolerance` keeps the
factor :math:`n`: :math:`c\,n\,\epsilon\,\|A\|_2` with :math:`c = 1` is NumPy's
``matrix_rank`` rule, it is :math:`n` times LAPACK's estimate (so it also covers the rounding
in forming :math:`A`, e.g. a Hessian by double backward, whose entries are sums of
:math:`O(n)` products), and on the matrices of this project it sits orders of magnitude above
the observed rounding and below any eigenvalue that is not zero in exact arithmetic
(measured in :mod:`theorylab.gpu.subspace_language_model`). A value within the tolerance of
zero has no trustworthy sign: :func:`roundoff_sign` returns 0 for it and
:func:`classify_definiteness` calls such a smallest eigenvalue "singular within roundoff".
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "INDEFINITE",
    "POSITIVE_DEFINITE",
    "SINGULAR_WITHIN_ROUNDOFF",
    "classify_definiteness",
    "machine_epsilon",
    "roundoff_sign",
    "roundoff_tolerance",
]

POSITIVE_DEFINITE = "positive definite"
INDEFINITE = "indefinite"
SINGULAR_WITHIN_ROUNDOFF = "singular within roundoff"


def _is_torch(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "torch"


def machine_epsilon(dtype: Any = np.float64) -> float:
    r"""Machine epsilon :math:`\epsilon` of a NumPy or torch floating dtype.

    Examples
    --------
    >>> machine_epsilon(np.float64), machine_epsilon(np.float32) > 1e-7
    (2.220446049250313e-16, True)
    """
    if _is_torch(dtype):
        import torch

        return float(torch.finfo(dtype).eps)
    return float(np.finfo(dtype).eps)


def _spectral_norm_and_asymmetry(matrix: Any, symmetric: bool) -> tuple[float, float]:
    if _is_torch(matrix):
        import torch

        matrix = matrix.detach()
        if symmetric:
            part = 0.5 * (matrix + matrix.T)
            return (float(torch.linalg.eigvalsh(part).abs().max()),
                    float(torch.linalg.matrix_norm(0.5 * (matrix - matrix.T))))
        return float(torch.linalg.matrix_norm(matrix, ord=2)), 0.0
    array = np.asarray(matrix)
    if symmetric:
        part = 0.5 * (array + array.T)
        return (float(np.abs(np.linalg.eigvalsh(part)).max()),
                float(np.linalg.norm(0.5 * (array - array.T))))
    return float(np.linalg.norm(array, ord=2)), 0.0


def roundoff_tolerance(scale: Any, size: int | None = None, dtype: Any = None, *,
                       factor: float = 1.0, symmetric: bool = False) -> float:
    r"""The margin :math:`c\,n\,\epsilon\,\|A\|_2` below which a value is zero to working precision.

    Parameters
    ----------
    scale
        :math:`\|A\|_2` as a number, or the matrix :math:`A` itself (NumPy array or torch
        tensor; its spectral norm, size ``max(shape)`` and dtype are then the defaults).
    size
        :math:`n`, the dimension (required when ``scale`` is a number).
    dtype
        The working precision (default float64, or the matrix's dtype).
    factor
        :math:`c` (default 1, see the module docstring for why).
    symmetric
        ``A`` is symmetric in exact arithmetic (a Hessian): the norm is taken of
        :math:`\frac12(A+A^\top)` and the measured :math:`\|\frac12(A-A^\top)\|_F`, which is
        rounding already present in the computed entries, is added to the margin.

    Returns
    -------
    float
        :math:`c\,n\,\epsilon\,\|A\|_2` (plus the asymmetry when ``symmetric``).

    Examples
    --------
    >>> roundoff_tolerance(1.0, 100)  # 100 eps
    2.220446049250313e-14
    >>> matrix = np.diag([2.0, 1.0, 1e-17])  # the last eigenvalue is zero to working precision
    >>> tolerance = roundoff_tolerance(matrix, symmetric=True)
    >>> bool(tolerance == 3 * np.finfo(float).eps * 2.0), roundoff_sign(1e-17, tolerance)
    (True, 0)
    """
    asymmetry = 0.0
    if getattr(scale, "ndim", 0) == 0:
        norm = abs(float(scale))
        if size is None:
            raise ValueError("size is required when scale is a number")
    else:
        shape = tuple(scale.shape)
        norm, asymmetry = _spectral_norm_and_asymmetry(scale, symmetric)
        size = max(shape) if size is None else size
        dtype = scale.dtype if dtype is None else dtype
    epsilon = machine_epsilon(np.float64 if dtype is None else dtype)
    return factor * size * epsilon * norm + asymmetry


def roundoff_sign(value: float, tolerance: float) -> int:
    """Sign of ``value`` where it exceeds ``tolerance`` in magnitude, else 0 (zero within roundoff).

    Examples
    --------
    >>> [roundoff_sign(v, 1e-10) for v in (1e-13, -1e-13, 2e-10, -2e-10)]
    [0, 0, 1, -1]
    """
    if value > tolerance:
        return 1
    if value < -tolerance:
        return -1
    return 0


def classify_definiteness(smallest: float, tolerance: float) -> str:
    r"""Second-order class of a symmetric matrix from :math:`\lambda_{\min}` and a roundoff margin.

    ``"positive definite"`` when :math:`\lambda_{\min} > \text{tol}`, ``"indefinite"`` when
    :math:`\lambda_{\min} < -\text{tol}` (a negative eigenvalue beyond roundoff; the Hessians
    classified here have :math:`\lambda_{\max}>0`), else ``"singular within roundoff"``: the
    sign of :math:`\lambda_{\min}` is not determined by the computation.

    Examples
    --------
    >>> classify_definiteness(1e-13, 1e-10) == classify_definiteness(-1e-13, 1e-10)
    True
    >>> classify_definiteness(1e-13, 1e-10), classify_definiteness(3e-3, 1e-10)
    ('singular within roundoff', 'positive definite')
    >>> classify_definiteness(-0.1, 1e-10)
    'indefinite'
    """
    return {1: POSITIVE_DEFINITE, -1: INDEFINITE, 0: SINGULAR_WITHIN_ROUNDOFF}[
        roundoff_sign(smallest, tolerance)]
