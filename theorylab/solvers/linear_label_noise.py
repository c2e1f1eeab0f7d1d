r"""Label-noise TPV of over-parameterised linear regression (paper 000, Remark 3.1, App. B).

For labels :math:`y = X\theta^* + \varepsilon`, :math:`X \in \mathbb{R}^{n\times d}` of full
row rank with :math:`d \ge n`, the minimum-norm least-squares fit (the minimiser reached by
(S)GD from :math:`w_0 = 0`) moves by :math:`\delta w = X^\top(XX^\top)^{-1}\varepsilon`, so
:math:`C = \sigma^2 X^\top(XX^\top)^{-2}X` and, for whitened test inputs
(:math:`H_{\mathrm{eff}} = \mathbb{E}_x[xx^\top] = I_d`),

.. math:: \mathrm{TPV}_{\mathrm{label}} = \mathrm{Tr}(C) = \sigma^2\,\mathrm{Tr}((XX^\top)^{-1})
          \qquad \text{(Eq. 9)}.

For Gaussian rows :math:`x \sim \mathcal{N}(0, I_d)`, :math:`XX^\top` is Wishart
:math:`W_n(d, I)` and the inverse-Wishart mean gives
:math:`\mathbb{E}\,\mathrm{Tr}((XX^\top)^{-1}) = n/(d-n-1)` for :math:`d \ge n+2` (infinite for
:math:`d \in \{n, n+1\}`); :func:`gaussian_expected_linear_label_noise_tpv` returns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from theorylab.arrays import as_matrix, as_psd, check_nonnegative
from theorylab.errors import (
    DtypeError,
    NonFiniteError,
    NotPSDError,
    NotSymmetricError,
    ParameterError,
    ShapeError,
)
from theorylab.numerics import _is_torch, machine_epsilon
from theorylab.solvers.linalg import default_rank_tolerance

EPS = float(np.finfo(np.float64).eps)

__all__ = [
    "GramLabelNoiseTPV",
    "LinearLabelNoiseTPV",
    "gaussian_expected_linear_label_noise_tpv",
    "gram_label_noise_tpv",
    "linear_label_noise_tpv",
]


@dataclass(frozen=True)
class LinearLabelNoiseTPV:
    r"""Result of :func:`linear_label_noise_tpv`.

    Attributes
    ----------
    value
        :math:`\sigma^2\,\mathrm{Tr}((XX^\top)^{-1})` (Eq. 9).
    gram_eigenvalues
        Eigenvalues of :math:`XX^\top` (ascending), i.e. the squared singular values of X.
    condition_number
        :math:`\lambda_{\max}/\lambda_{\min}` of :math:`XX^\top`.
    rank_tolerance
        Singular values of X at or below this count as zero (NumPy's ``matrix_rank`` rule,
        :math:`\max(n,d)\,\epsilon\,s_{\max}`).
    noise_std
        :math:`\sigma_\varepsilon`.
    """

    value: float
    gram_eigenvalues: np.ndarray
    condition_number: float
    rank_tolerance: float
    noise_std: float

    @property
    def samples(self) -> int:
        """:math:`n`."""
        return int(self.gram_eigenvalues.size)

    @property
    def inverse_gram_trace(self) -> float:
        r""":math:`\mathrm{Tr}((XX^\top)^{-1})`, the TPV per unit noise variance."""
        return float(np.sum(1.0 / self.gram_eigenvalues))


def linear_label_noise_tpv(inputs: Any, noise_std: float) -> LinearLabelNoiseTPV:
    r"""Label-noise TPV of min-norm linear regression, :math:`\sigma^2\mathrm{Tr}((XX^\top)^{-1})`.

    Paper 000, Remark 3.1 (Eq. 9), proof App. B, under its assumptions (i) :math:`d \ge n`
    and X of full row rank, (ii) whitened test inputs :math:`\mathbb{E}[xx^\top] = I_d`, so
    that TPV :math:`= \mathrm{Tr}(H_{\mathrm{eff}}C) = \mathrm{Tr}(C)`, (iii) :math:`\theta^*`
    in the row span of X. Computed as :math:`\mathrm{Tr}((XX^\top)^{-1}) =
    \sum_i 1/\lambda_i`.

    Parameters
    ----------
    inputs
        Training design matrix X, shape ``(n, d)``, rows are samples.
    noise_std
        :math:`\sigma_\varepsilon \ge 0`.

    Returns
    -------
    LinearLabelNoiseTPV

    Raises
    ------
    ShapeError
        If X is not 2-D, is empty, or has ``d < n`` (assumption (i)).
    ParameterError
        If X is not of full row rank: its smallest singular value is at or below
        :math:`\max(n,d)\,\epsilon\,s_{\max}` (assumption (i)).
    NonFiniteError
        On NaN or infinite entries.

    Examples
    --------
    Two orthogonal rows of squared norms 4 and 1, :math:`\sigma = 1`: the value is
    :math:`1/4 + 1`.

    >>> linear_label_noise_tpv([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]], noise_std=1.0).value
    1.25
    """
    design = as_matrix(inputs, "inputs")
    samples, dimension = design.shape
    if dimension < samples:
        raise ShapeError(
            f"Remark 3.1 (i) needs d >= n, got inputs of shape ({samples}, {dimension})"
        )
    std = check_nonnegative(noise_std, "noise_std")
    singular_values = np.linalg.svd(design, compute_uv=False)  # descending, n of them
    largest = float(singular_values[0])
    tolerance = default_rank_tolerance(singular_values, design.shape)
    smallest = float(singular_values[-1])
    if largest == 0.0 or smallest <= tolerance:
        raise ParameterError(
            f"Remark 3.1 (i) needs X of full row rank, got smallest singular value "
            f"{smallest:.3g} <= cut-off {tolerance:.3g}"
        )
    eigenvalues = singular_values[::-1] ** 2
    return LinearLabelNoiseTPV(
        value=std**2 * float(np.sum(1.0 / eigenvalues)),
        gram_eigenvalues=eigenvalues,
        condition_number=(largest / smallest) ** 2,
        rank_tolerance=tolerance,
        noise_std=std,
    )


def gaussian_expected_linear_label_noise_tpv(
    samples: int, dimension: int, noise_std: float
) -> float:
    r"""Exact Gaussian-design mean :math:`\mathbb{E}_X[\sigma^2\mathrm{Tr}((XX^\top)^{-1})]`.

    :math:`XX^\top \sim W_n(d, I_n)` and the inverse-Wishart mean is
    :math:`I_n/(d-n-1)` (Bartlett decomposition), so the expectation is
    :math:`\sigma^2 n/(d-n-1)` for :math:`d \ge n+2` and :math:`+\infty` for
    :math:`d \in \{n, n+1\}`. The paper's approximation :math:`\sigma^2 n/d` (Remark 3.1)
    underestimates it by the relative factor :math:`(d-n-1)/d`.

    Raises
    ------
    ParameterError
        If ``samples < 1``, ``dimension < samples`` or ``noise_std < 0``.

    Examples
    --------
    >>> gaussian_expected_linear_label_noise_tpv(2, 7, 1.0)  # 2 / (7 - 2 - 1)
    0.5
    >>> gaussian_expected_linear_label_noise_tpv(3, 4, 1.0)
    inf
    """
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 1:
        raise ParameterError(f"samples must be an int >= 1, got {samples!r}")
    if isinstance(dimension, bool) or not isinstance(dimension, int | np.integer):
        raise ParameterError(f"dimension must be an int, got {dimension!r}")
    if dimension < samples:
        raise ParameterError(f"dimension must be >= samples = {samples}, got {dimension}")
    std = check_nonnegative(noise_std, "noise_std")
    if dimension <= samples + 1:
        return float("inf") if std > 0 else 0.0
    return std**2 * samples / (dimension - samples - 1)


@dataclass(frozen=True)
class GramLabelNoiseTPV:
    r"""Result of :func:`gram_label_noise_tpv` (kernel form of Theorem 3.2 / App. C.3.2).

    Attributes
    ----------
    test, train
        :math:`\sigma^2\|K_{te,tr}\,M\|_F^2/n_{te}` and :math:`\sigma^2\|K\,M\|_F^2/n`,
        :math:`M = (K+\lambda I)^{-1}` (:math:`K^+` on its range when :math:`\lambda = 0`).
    gram_eigenvalues
        Retained eigenvalues :math:`s_i^2` of :math:`K = JJ^\top`, descending.
    rank
        :math:`r`.
    condition_number
        :math:`s_1^2/s_r^2` of the retained part (what App. C.3.3 reports as 1e6-1e8).
    noise_std, ridge
        :math:`\sigma_\varepsilon`, :math:`\lambda`.
    """

    test: float
    train: float
    gram_eigenvalues: np.ndarray
    rank: int
    condition_number: float
    noise_std: float
    ridge: float


def gram_label_noise_tpv(
    gram_train: Any,
    cross_gram: Any,
    noise_std: float,
    ridge: float = 0.0,
    rank_tolerance: float | None = None,
) -> GramLabelNoiseTPV:
    r"""Label-noise TPV from the :math:`n\times n` NTK Gram matrix instead of the Jacobian.

    With :math:`K = J J^\top` (train, :math:`n\times n`) and :math:`K_{te,tr} = J_{te}J^\top`
    (:math:`n_{te}\times n`), the min-norm / ridge fit :math:`\delta w =
    J^\top(K+\lambda I)^{-1}\varepsilon` (App. C.3.1-C.3.2, Eq. 40-41) moves test outputs by
    :math:`K_{te,tr}(K+\lambda I)^{-1}\varepsilon`, so

    .. math:: \mathrm{TPV}_{te} = \frac{\sigma^2}{n_{te}}\|K_{te,tr}(K+\lambda I)^{-1}\|_F^2
              = \sigma^2\sum_i B_{ii}\frac{s_i^2}{(s_i^2+\lambda)^2},

    Eq. 39 in kernel form; Eq. 9 is the case :math:`K = XX^\top`, whitened test law. Dense
    float64 symmetric eigendecomposition of :math:`K` (no CG): cost :math:`O(n^3 + n_{te}n^2)`,
    independent of the parameter count, so it works where App. C.3.3 found CG to fail.
    Eigenvalues :math:`\le n\,\epsilon\,s_1^2` count as zero unless ``rank_tolerance`` (on
    eigenvalues) is given.

    A torch ``gram_train`` is decomposed where it lives (``torch.linalg.eigh`` on its device,
    in its dtype, :math:`\epsilon` of that dtype), by the same formula, rank rule and ridge:
    on a GPU the :math:`n\times n` matrix never travels to the host, only :math:`r`
    eigenvalues and two sums do. Anything else goes through NumPy in float64.

    Parameters
    ----------
    gram_train
        :math:`K`, ``(n, n)`` symmetric PSD (array-like, or a torch tensor).
    cross_gram
        :math:`K_{te,tr}`, ``(n_te, n)`` (moved to ``gram_train``'s device when it is a
        tensor).
    noise_std, ridge
        :math:`\sigma \ge 0`, :math:`\lambda \ge 0`.
    rank_tolerance
        Optional eigenvalue cut-off.

    Raises
    ------
    ShapeError
        If the shapes do not match.
    NotPSDError, NotSymmetricError, NonFiniteError
        For an invalid Gram matrix.
    DtypeError
        For a complex tensor.
    ParameterError
        For negative ``noise_std``, ``ridge`` or ``rank_tolerance``.

    Examples
    --------
    One training point with :math:`J = [2, 0]`, one test point :math:`[3, 0]`:
    :math:`K = 4`, :math:`K_{te,tr} = 6`, test TPV :math:`= (6/4)^2 = 2.25`.

    >>> result = gram_label_noise_tpv([[4.0]], [[6.0]], noise_std=1.0)
    >>> result.test, result.train
    (2.25, 1.0)
    """
    std = check_nonnegative(noise_std, "noise_std")
    ridge_value = check_nonnegative(ridge, "ridge")
    if rank_tolerance is not None:
        rank_tolerance = check_nonnegative(rank_tolerance, "rank_tolerance")
    if _is_torch(gram_train):
        return _gram_tpv_torch(gram_train, cross_gram, std, ridge_value, rank_tolerance)
    kernel = as_psd(gram_train, "gram_train")
    cross = as_matrix(cross_gram, "cross_gram", columns=kernel.shape[0])
    eigenvalues, eigenvectors = np.linalg.eigh(kernel)
    return _gram_tpv_from_eigen(eigenvalues[::-1], eigenvectors[:, ::-1], cross, std,
                                ridge_value, rank_tolerance, EPS)


def _gram_tpv_from_eigen(
    eigenvalues: Any,
    eigenvectors: Any,
    cross: Any,
    std: float,
    ridge: float,
    rank_tolerance: float | None,
    eps: float,
) -> GramLabelNoiseTPV:
    r"""Eq. 39 in kernel form from :math:`K = U\,\mathrm{diag}(s^2)U^\top` (descending).

    Backend-neutral (NumPy arrays or torch tensors on any device): the rank rule
    (:math:`s_i^2 \le n\,\epsilon\,s_1^2` is zero unless ``rank_tolerance``), the ridge and
    the two sums are the same expressions for both; two scalars reach the host.
    """
    size = eigenvectors.shape[0]
    largest = max(float(eigenvalues[0]), 0.0)
    tolerance = size * eps * largest if rank_tolerance is None else rank_tolerance
    rank = int((eigenvalues > tolerance).sum())
    kept, basis = eigenvalues[:rank], eigenvectors[:, :rank]
    response = (cross @ basis) / (kept + ridge)  # K_te,tr U_r diag(1/(s^2+lambda))
    test = std**2 * float((response**2).sum()) / cross.shape[0]
    train = std**2 * float(((kept / (kept + ridge)) ** 2).sum()) / size
    kept_host = kept.cpu().numpy() if _is_torch(kept) else kept
    return GramLabelNoiseTPV(
        test=test,
        train=train,
        gram_eigenvalues=np.asarray(kept_host, dtype=np.float64),
        rank=rank,
        condition_number=float(kept_host[0] / kept_host[-1]) if rank else float("nan"),
        noise_std=std,
        ridge=ridge,
    )


def _torch_matrix(value: Any, name: str) -> Any:
    """A non-empty real 2-D tensor (integer and half precision promoted to float64)."""
    import torch

    if value.is_complex():
        raise DtypeError(f"{name} must be real, got complex dtype {value.dtype}")
    if value.dtype not in (torch.float32, torch.float64):
        value = value.to(torch.float64)
    if value.ndim != 2 or value.numel() == 0:
        raise ShapeError(f"{name} must be a non-empty 2-D array, got shape {tuple(value.shape)}")
    return value.detach()


def _gram_tpv_torch(
    gram_train: Any, cross_gram: Any, std: float, ridge: float, rank_tolerance: float | None
) -> GramLabelNoiseTPV:
    r""":func:`gram_label_noise_tpv` on a torch Gram matrix, on its device and in its dtype.

    The checks of :func:`theorylab.arrays.as_psd` (finite, square, symmetric and PSD within
    :math:`64\,n\,\epsilon\max|K_{ij}|`, :math:`\epsilon` of the tensor's dtype) are made on
    the device with one host read; the PSD test uses the eigenvalues of the decomposition
    itself, so :math:`K` is decomposed once.
    """
    import torch

    kernel = _torch_matrix(gram_train, "gram_train")
    if not _is_torch(cross_gram):
        cross_gram = torch.as_tensor(as_matrix(cross_gram, "cross_gram"))
    cross = _torch_matrix(cross_gram, "cross_gram")
    dtype = torch.promote_types(kernel.dtype, cross.dtype)
    kernel, cross = kernel.to(dtype), cross.to(device=kernel.device, dtype=dtype)
    size = kernel.shape[0]
    if kernel.shape[1] != size:
        raise ShapeError(f"gram_train must be square, got shape {tuple(kernel.shape)}")
    if cross.shape[1] != size:
        raise ShapeError(f"cross_gram must have {size} columns, got shape {tuple(cross.shape)}")
    scale, asymmetry, cross_scale = torch.stack(
        [kernel.abs().max(), (kernel - kernel.T).abs().max(), cross.abs().max()]).tolist()
    for name, value in (("gram_train", scale), ("cross_gram", cross_scale)):
        if not np.isfinite(value):
            raise NonFiniteError(f"{name} has NaN or infinite entries")
    eps = machine_epsilon(dtype)
    margin = 64.0 * size * eps * scale  # theorylab.arrays.symmetry_tolerance, this dtype
    if asymmetry > margin:
        raise NotSymmetricError(f"gram_train must be symmetric: max |A - A^T| = "
                                f"{asymmetry:.3g} exceeds tolerance {margin:.3g}")
    eigenvalues, eigenvectors = torch.linalg.eigh(0.5 * (kernel + kernel.T))
    smallest = float(eigenvalues[0])
    if smallest < -margin:
        raise NotPSDError(f"gram_train must be positive semi-definite: smallest eigenvalue "
                          f"{smallest:.3g} < 0")
    return _gram_tpv_from_eigen(eigenvalues.flip(0), eigenvectors.flip(1), cross, std, ridge,
                                rank_tolerance, eps)
