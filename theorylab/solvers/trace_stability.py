r"""TPV trace stability (paper 000, Theorem 2.1 / A.4): train-vs-test TPV gap and its bound.

For train and test Jacobians :math:`J_{tr}` (:math:`n_{tr}\times p`), :math:`J_{te}`
(:math:`n_{te}\times p`) and a perturbation covariance :math:`C \succeq 0`,

.. math::
    |\mathrm{TPV}_{tr} - \mathrm{TPV}_{te}|
    = |\mathrm{Tr}((H_{tr} - H_{te})\,C)|
    \le \|H_{tr} - H_{te}\|_{\mathrm{op}}\,\mathrm{Tr}(C)
    \quad\text{(App. A.3, trace inequality)},

with :math:`H_X = J_X^\top J_X / n_X` (Eq. 18) and :math:`\mathrm{TPV}_X = \mathrm{Tr}(H_X C)`
(Eq. 20). The operator norm is computed without forming :math:`p\times p` matrices when
:math:`p > n_{tr} + n_{te}`: with :math:`M = [J_{tr}; J_{te}]` and
:math:`D = \mathrm{diag}(1/n_{tr}, \dots, -1/n_{te}, \dots)`,
:math:`H_{tr} - H_{te} = M^\top D M`; a thin QR :math:`M^\top = QR` gives
:math:`M^\top D M = Q (R D R^\top) Q^\top`, whose nonzero eigenvalues are those of the small
symmetric matrix :math:`R D R^\top`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_psd, as_symmetric
from theorylab.errors import ShapeError
from theorylab.solvers.linalg import jacobian_rows

__all__ = [
    "CurvatureDifferenceSpectrum",
    "TraceInequalitySides",
    "TraceStabilityGap",
    "effective_curvature_difference",
    "trace_inequality_sides",
    "trace_stability_gap",
]


@dataclass(frozen=True)
class TraceInequalitySides:
    r"""The two sides of :math:`|\mathrm{Tr}(AB)| \le \|A\|_{\mathrm{op}}\mathrm{Tr}(B)`.

    Attributes
    ----------
    lhs
        :math:`|\mathrm{Tr}(AB)|`.
    rhs
        :math:`\|A\|_{\mathrm{op}}\,\mathrm{Tr}(B)`.
    operator_norm
        :math:`\|A\|_{\mathrm{op}} = \max_i |\mu_i(A)|`.
    trace_b
        :math:`\mathrm{Tr}(B)`.
    rounding_bound
        A float64 bound on :math:`|{\rm computed} - {\rm exact}|` of ``rhs - lhs``:
        :math:`8 n^2 \epsilon \max|A_{ij}| \sum|B_{ij}|`.
    """

    lhs: float
    rhs: float
    operator_norm: float
    trace_b: float
    rounding_bound: float

    @property
    def slack(self) -> float:
        """``rhs - lhs`` (non-negative when the inequality holds)."""
        return self.rhs - self.lhs


def trace_inequality_sides(symmetric: Any, psd: Any) -> TraceInequalitySides:
    r"""Both sides of the trace inequality of paper 000, App. A.3 (proof of Theorem A.4).

    .. math:: |\mathrm{Tr}(AB)| \le \|A\|_{\mathrm{op}}\,\mathrm{Tr}(B),
              \qquad A = A^\top,\ B \succeq 0.

    Parameters
    ----------
    symmetric
        :math:`A`, ``(n, n)`` symmetric (any signature).
    psd
        :math:`B`, ``(n, n)`` positive semi-definite (any rank).

    Raises
    ------
    NotSymmetricError
        If ``symmetric`` is not symmetric.
    NotPSDError
        If ``psd`` has a negative eigenvalue (the inequality's assumption).
    ShapeError
        If the sizes differ.

    Examples
    --------
    :math:`A = \mathrm{diag}(1, -2)`, :math:`B = \mathrm{diag}(3, 1)`:
    :math:`|3 - 2| = 1 \le 2 \cdot 4`.

    >>> sides = trace_inequality_sides([[1.0, 0.0], [0.0, -2.0]], [[3.0, 0.0], [0.0, 1.0]])
    >>> sides.lhs, sides.rhs
    (1.0, 8.0)
    """
    a_matrix = as_symmetric(symmetric, "symmetric")
    b_matrix = as_psd(psd, "psd")
    if a_matrix.shape != b_matrix.shape:
        raise ShapeError(
            f"symmetric and psd must have the same shape, got {a_matrix.shape} and {b_matrix.shape}"
        )
    size = a_matrix.shape[0]
    eigenvalues = np.linalg.eigvalsh(a_matrix)
    operator_norm = float(np.max(np.abs(eigenvalues)))
    trace_b = float(np.trace(b_matrix))
    lhs = abs(float(np.sum(a_matrix * b_matrix)))
    eps = float(np.finfo(np.float64).eps)
    rounding = (
        8.0 * size**2 * eps * float(np.max(np.abs(a_matrix))) * float(np.sum(np.abs(b_matrix)))
    )
    return TraceInequalitySides(
        lhs=lhs,
        rhs=operator_norm * trace_b,
        operator_norm=operator_norm,
        trace_b=trace_b,
        rounding_bound=rounding,
    )


@dataclass(frozen=True)
class CurvatureDifferenceSpectrum:
    r"""Nonzero spectrum of :math:`H_a - H_b = J_a^\top J_a/n_a - J_b^\top J_b/n_b`.

    Attributes
    ----------
    eigenvalues
        The eigenvalues of the reduced symmetric matrix, descending (they contain every
        nonzero eigenvalue of the :math:`p\times p` difference; the rest are zero).
    operator_norm
        :math:`\|H_a - H_b\|_{\mathrm{op}} = \max|\lambda|`.
    method
        ``"gram"``, ``"thin_qr"`` (reduced :math:`N\times N`, :math:`N = n_aK + n_bK`) or
        ``"dense"``.
    """

    eigenvalues: np.ndarray
    operator_norm: float
    method: str


def effective_curvature_difference(
    jacobian_a: Any, jacobian_b: Any, *, method: str = "auto"
) -> CurvatureDifferenceSpectrum:
    r"""Spectrum of :math:`H_{\mathrm{eff}}(X_a) - H_{\mathrm{eff}}(X_b)` (Eq. 18), no p x p matrix.

    With :math:`M = [J_a; J_b]` (rows stacked) and
    :math:`D = \mathrm{diag}(\mathbf 1/n_a, -\mathbf 1/n_b)`, :math:`H_a - H_b = M^\top D M`.
    A thin QR :math:`M^\top = Q R` (:math:`Q` is :math:`p\times N` with orthonormal columns)
    gives :math:`M^\top D M = Q\,(R D R^\top)\,Q^\top`, so the nonzero eigenvalues are those
    of the symmetric :math:`N\times N` matrix :math:`R D R^\top`. Cost :math:`O(pN^2)`, memory
    :math:`O(pN)`; no :math:`p\times p` matrix is formed.

    Parameters
    ----------
    jacobian_a, jacobian_b
        ``(n, p)`` or ``(n, K, p)`` Jacobians with the same ``p``.
    method
        ``"auto"`` (``"gram"`` when :math:`p > N`, else ``"dense"``), ``"gram"``,
        ``"thin_qr"`` or ``"dense"``. ``"gram"`` factors the Gram matrix
        :math:`K = MM^\top = V\Lambda V^\top` (one GEMM, :math:`O(pN^2)`) and uses
        :math:`F = \Lambda^{1/2}V^\top` in place of :math:`R` (:math:`K = F^\top F = R^\top R`,
        so :math:`FDF^\top` and :math:`RDR^\top` share the spectrum of :math:`DK`); absolute
        eigenvalue error :math:`O(N\epsilon\|M\|^2\max|D|)`. ``"thin_qr"`` is the slower,
        backward-stable variant.

    Raises
    ------
    ShapeError
        If the parameter counts differ or ``method`` is unknown.

    Examples
    --------
    :math:`J_a = [1, 0]`, :math:`J_b = [0, 1]`: :math:`H_a - H_b = \mathrm{diag}(1, -1)`.

    >>> effective_curvature_difference([[1.0, 0.0]], [[0.0, 1.0]], method="thin_qr").operator_norm
    1.0
    """
    rows_a, count_a = jacobian_rows(jacobian_a, "jacobian_a")
    rows_b, count_b = jacobian_rows(jacobian_b, "jacobian_b")
    if rows_a.shape[1] != rows_b.shape[1]:
        raise ShapeError(
            "jacobian_a and jacobian_b must have the same parameter count p, got "
            f"{rows_a.shape[1]} and {rows_b.shape[1]}"
        )
    if method not in ("auto", "gram", "thin_qr", "dense"):
        raise ShapeError(f"method must be 'auto', 'gram', 'thin_qr' or 'dense', got {method!r}")
    parameters = rows_a.shape[1]
    stacked = np.vstack([rows_a, rows_b])
    weights = np.concatenate(
        [np.full(rows_a.shape[0], 1.0 / count_a), np.full(rows_b.shape[0], -1.0 / count_b)]
    )
    if method == "auto":
        method = "gram" if parameters > stacked.shape[0] else "dense"
    if method == "gram":  # K = M M^T = F^T F with F = Λ^{1/2} V^T; eig(F D F^T) = eig(D K)
        gram_values, gram_vectors = np.linalg.eigh(stacked @ stacked.T)
        factor = np.sqrt(np.clip(gram_values, 0.0, None))[:, None] * gram_vectors.T
        reduced = (factor * weights) @ factor.T
    elif method == "thin_qr":
        _, triangular = np.linalg.qr(stacked.T, mode="reduced")  # M^T = Q R
        reduced = (triangular * weights) @ triangular.T
    else:
        reduced = (stacked.T * weights) @ stacked
    reduced = 0.5 * (reduced + reduced.T)
    eigenvalues = np.linalg.eigvalsh(reduced)[::-1]
    norm = float(np.max(np.abs(eigenvalues))) if eigenvalues.size else 0.0
    return CurvatureDifferenceSpectrum(eigenvalues=eigenvalues, operator_norm=norm, method=method)


@dataclass(frozen=True)
class TraceStabilityGap:
    r"""Train/test TPV gap and the trace-inequality bound of Theorem A.4's proof.

    Attributes
    ----------
    tpv_train, tpv_test
        :math:`\mathrm{Tr}(H_{tr}C)`, :math:`\mathrm{Tr}(H_{te}C)` (Eq. 20).
    gap
        :math:`|\mathrm{TPV}_{tr} - \mathrm{TPV}_{te}|`.
    operator_norm
        :math:`\|H_{tr} - H_{te}\|_{\mathrm{op}}`.
    covariance_trace
        :math:`\mathrm{Tr}(C)`.
    bound
        :math:`\|H_{tr} - H_{te}\|_{\mathrm{op}}\,\mathrm{Tr}(C)`.
    rounding_bound
        Float64 error bound on ``bound - gap``:
        :math:`16\,(N + p)\,\epsilon\,(\|H_{tr}\|_F + \|H_{te}\|_F)\sum|C_{ij}|`.
    method
        How the operator norm was computed (``"thin_qr"`` or ``"dense"``).
    """

    tpv_train: float
    tpv_test: float
    gap: float
    operator_norm: float
    covariance_trace: float
    bound: float
    rounding_bound: float
    method: str

    @property
    def relative_gap(self) -> float:
        """``gap / tpv_test`` (``inf`` if the test TPV is 0 and the gap is not)."""
        if self.tpv_test == 0:
            return 0.0 if self.gap == 0 else float("inf")
        return self.gap / self.tpv_test


def trace_stability_gap(
    jacobian_train: Any, jacobian_test: Any, covariance: Any, *, method: str = "auto"
) -> TraceStabilityGap:
    r"""TPV on train and test inputs, their gap and the bound of Theorem A.4 (paper 000).

    .. math::
        |\mathrm{Tr}(H_{tr}C) - \mathrm{Tr}(H_{te}C)|
        \le \|H_{tr} - H_{te}\|_{\mathrm{op}}\,\mathrm{Tr}(C),
        \qquad H_X = \tfrac{1}{n_X}J_X^\top J_X .

    The TPVs are :math:`\frac1{n_X}\sum_{ij}(J_X C)_{ij}(J_X)_{ij}` (no :math:`p\times p`
    curvature formed); the operator norm comes from :func:`effective_curvature_difference`.

    Parameters
    ----------
    jacobian_train, jacobian_test
        ``(n, p)`` or ``(n, K, p)`` Jacobians with the same ``p``.
    covariance
        :math:`C`, ``(p, p)`` positive semi-definite.
    method
        Passed to :func:`effective_curvature_difference`.

    Raises
    ------
    NotPSDError
        If ``covariance`` has a negative eigenvalue.
    ShapeError
        If ``p`` differs between the Jacobians and the covariance.

    Examples
    --------
    >>> result = trace_stability_gap([[1.0, 0.0]], [[0.0, 1.0]], [[2.0, 0.0], [0.0, 1.0]])
    >>> result.tpv_train, result.tpv_test, result.gap, result.bound
    (2.0, 1.0, 1.0, 3.0)
    """
    rows_train, count_train = jacobian_rows(jacobian_train, "jacobian_train")
    rows_test, count_test = jacobian_rows(jacobian_test, "jacobian_test")
    parameters = rows_train.shape[1]
    perturbation = as_psd(covariance, "covariance")
    if perturbation.shape != (parameters, parameters) or rows_test.shape[1] != parameters:
        raise ShapeError(
            f"jacobians have p = {parameters} and {rows_test.shape[1]}; covariance must be "
            f"({parameters}, {parameters}), got {perturbation.shape}"
        )
    tpv_train = float(np.sum((rows_train @ perturbation) * rows_train)) / count_train
    tpv_test = float(np.sum((rows_test @ perturbation) * rows_test)) / count_test
    spectrum = effective_curvature_difference(jacobian_train, jacobian_test, method=method)
    trace = float(np.trace(perturbation))
    eps = float(np.finfo(np.float64).eps)
    scale = float(np.sum(rows_train**2)) / count_train + float(np.sum(rows_test**2)) / count_test
    size = rows_train.shape[0] + rows_test.shape[0] + parameters
    return TraceStabilityGap(
        tpv_train=tpv_train,
        tpv_test=tpv_test,
        gap=abs(tpv_train - tpv_test),
        operator_norm=spectrum.operator_norm,
        covariance_trace=trace,
        bound=spectrum.operator_norm * trace,
        rounding_bound=16.0 * size * eps * scale * float(np.sum(np.abs(perturbation))),
        method=spectrum.method,
    )
