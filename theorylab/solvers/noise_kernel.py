r"""Noise kernel norm :math:`\mathcal{K}` of minibatch SGD on MSE (paper 002, Sec. 2, App. A).

Convention (Sec. 2.1): residuals :math:`z \in \mathbb{R}^D`, NTK :math:`\hat\Theta = JJ^\top/D`,
SGD on the linearised model :math:`z_{t+1} = z_t - \frac{\eta}{B}JJ^\top P_t z_t
= (I - \eta\beta^{-1}\hat\Theta P_t)z_t`, :math:`P_t` diagonal with exactly ``B`` ones drawn
uniformly without replacement; :math:`\beta = B/D`, :math:`\tilde\beta = (B-1)/(D-1)`;
:math:`\hat\Theta = V\Lambda V^\top`, :math:`C_{\beta\mu} = \sum_\alpha V_{\alpha\beta}^2
V_{\alpha\mu}^2`.

The diagonal restriction of the second-moment operator acts on :math:`\tilde p =
\Lambda^+\mathrm{diag}(V^\top\mathbb{E}[zz^\top]V)` as :math:`A + B` (Eq. 8, 33). The paper
prints two versions of ``A`` and ``B`` (Eq. 8 and Eq. 33); ``reading`` selects one:

* ``"derived"`` — what Lemma A.1 and Eq. 32 give (checked by enumerating every batch):
  :math:`A = (I-\eta\Lambda)^2 + (\tilde\beta\beta^{-1}-1)\eta^2\Lambda^2`,
  :math:`B = (\beta^{-1}-\tilde\beta\beta^{-1})\eta^2\Lambda C\Lambda`;
* ``"eq8"`` — Eq. 8 as printed: no :math:`\eta^2` on the :math:`\Lambda^2` term of ``A``;
* ``"eq33"`` — Eq. 33 as printed: :math:`(\beta^{-1}-1)` in ``B``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np

from theorylab.arrays import as_matrix, as_psd, as_vector, check_positive
from theorylab.errors import NonFiniteError, ParameterError, StabilityError

__all__ = [
    "NoiseKernelMatrices",
    "NoiseKernelNorm",
    "batch_fractions",
    "enumerated_selection_moment",
    "minibatch_selection_moment",
    "noise_coupling",
    "noise_kernel_matrices",
    "noise_kernel_norm",
    "noise_kernel_norm_delocalised",
    "noise_kernel_norm_hd",
    "noise_kernel_norm_trace",
    "validate_sgd_problem",
]

Reading = Literal["derived", "eq8", "eq33"]


def batch_fractions(batch_size: int, size: int) -> tuple[float, float]:
    r"""Return :math:`(\beta, \tilde\beta) = (B/D, (B-1)/(D-1))` (Sec. 2.2); ``D = 1``: ``(1, 1)``.

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
        raise ParameterError(f"batch_size must be in [1, D={size}], got {batch}")
    tilde = 1.0 if size == 1 else (batch - 1) / (size - 1)
    return batch / size, tilde


def validate_sgd_problem(
    ntk: object, learning_rate: float, batch_size: int, *, check_stability: bool = True
) -> tuple[np.ndarray, float, int]:
    r"""Validate ``(NTK, η, B)``: PSD finite NTK, :math:`\eta > 0`, :math:`1 \le B \le D`.

    With ``check_stability`` the learning rate must lie below the deterministic EOS
    :math:`2/\lambda_{\max}(\hat\Theta)` (Sec. 2.1), else :class:`StabilityError`.
    """
    matrix = as_psd(ntk, "ntk")
    eta = check_positive(learning_rate, "learning_rate")
    batch_fractions(batch_size, matrix.shape[0])
    if check_stability:
        top = float(np.linalg.eigvalsh(matrix)[-1])
        if top > 0 and eta * top >= 2.0:
            raise StabilityError(
                f"learning_rate {eta:g} is at or past the deterministic EOS 2/lambda_max = "
                f"{2.0 / top:g}"
            )
    return matrix, eta, int(batch_size)


def minibatch_selection_moment(matrix: object, batch_size: int) -> np.ndarray:
    r"""Closed form of :math:`\mathbb{E}[P M P]` (Lemma A.1, Eq. 19).

    .. math:: \mathbb{E}[PMP] = \beta\tilde\beta M + \beta(1-\tilde\beta)\,\mathrm{diag}(M)

    for ``P`` diagonal with exactly ``B`` ones drawn uniformly without replacement.

    Examples
    --------
    >>> minibatch_selection_moment(np.ones((2, 2)), 1)
    array([[0.5, 0. ],
           [0. , 0.5]])
    """
    array = as_matrix(matrix, "matrix")
    if array.shape[0] != array.shape[1]:
        raise ParameterError(f"matrix must be square, got shape {array.shape}")
    beta, tilde = batch_fractions(batch_size, array.shape[0])
    return beta * tilde * array + beta * (1.0 - tilde) * np.diag(np.diag(array))


def enumerated_selection_moment(matrix: np.ndarray, batch_size: int) -> np.ndarray:
    r"""Brute-force :math:`\mathbb{E}[PMP]`: the average over all ``C(D, B)`` batches (oracle)."""
    size = matrix.shape[0]
    total = np.zeros_like(matrix, dtype=np.float64)
    count = 0
    for batch in combinations(range(size), batch_size):
        mask = np.zeros(size)
        mask[list(batch)] = 1.0
        total += mask[:, None] * matrix * mask[None, :]
        count += 1
    return total / count


def noise_coupling(eigenvectors: np.ndarray) -> np.ndarray:
    r"""Noise coupling (Eq. 8) :math:`C_{\beta\mu}=\sum_\alpha V_{\alpha\beta}^2V_{\alpha\mu}^2`."""
    squares = np.asarray(eigenvectors, dtype=np.float64) ** 2
    return squares.T @ squares


@dataclass(frozen=True)
class NoiseKernelMatrices:
    """``A``, ``B``, ``C`` of the diagonal restriction (Eq. 8/32/33), with the eigenbasis."""

    deterministic: np.ndarray
    """``A`` (diagonal, ``D x D``)."""
    stochastic: np.ndarray
    """``B`` (``D x D``)."""
    coupling: np.ndarray
    """``C`` (``D x D``)."""
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    learning_rate: float
    batch_size: int
    reading: str


def noise_kernel_matrices(
    ntk: object, learning_rate: float, batch_size: int, *, reading: Reading = "derived"
) -> NoiseKernelMatrices:
    r"""``A``, ``B``, ``C`` of the diagonal recursion :math:`\tilde p_{t+1} = (A+B)\tilde p_t`.

    ``reading="derived"`` (default) gives
    :math:`A = (I-\eta\Lambda)^2 + (\tilde\beta\beta^{-1}-1)\eta^2\Lambda^2`,
    :math:`B = (\beta^{-1}-\tilde\beta\beta^{-1})\eta^2\Lambda C\Lambda` (Eq. 32 after the
    :math:`\Lambda^+` similarity); ``"eq8"`` and ``"eq33"`` give the printed variants.

    Raises
    ------
    NotPSDError, ParameterError, StabilityError
        Non-PSD NTK, ``B`` outside ``[1, D]``, :math:`\eta \le 0`, :math:`\eta\lambda_{\max}\ge 2`.

    Examples
    --------
    Full batch (:math:`\beta = \tilde\beta = 1`) has no noise: ``B = 0``.

    >>> parts = noise_kernel_matrices(np.diag([1.0, 0.5]), 0.5, 2)
    >>> float(np.abs(parts.stochastic).max()), np.diag(parts.deterministic).tolist()
    (0.0, [0.5625, 0.25])
    """
    matrix, eta, batch = validate_sgd_problem(ntk, learning_rate, batch_size)
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    beta, tilde = batch_fractions(batch, matrix.shape[0])
    coupling = noise_coupling(eigenvectors)
    scaled = eta * eigenvalues
    if reading == "derived":
        a_diag = (1 - scaled) ** 2 + (tilde / beta - 1) * scaled**2
        noise = (1 / beta - tilde / beta) * eta**2
    elif reading == "eq8":
        a_diag = (1 - scaled) ** 2 + (tilde / beta - 1) * eigenvalues**2
        noise = (1 / beta - tilde / beta) * eta**2
    elif reading == "eq33":
        a_diag = (1 - scaled) ** 2 + (tilde / beta - 1) * scaled**2
        noise = (1 / beta - 1) * eta**2
    else:
        raise ParameterError(f"reading must be 'derived', 'eq8' or 'eq33', got {reading!r}")
    stochastic = noise * eigenvalues[:, None] * coupling * eigenvalues[None, :]
    return NoiseKernelMatrices(
        np.diag(a_diag), stochastic, coupling, eigenvalues, eigenvectors, eta, batch, reading
    )


@dataclass(frozen=True)
class NoiseKernelNorm:
    r""":math:`\mathcal{K}` (Eq. 9) with the quantities Theorem 2.1 compares it to."""

    value: float
    r""":math:`\mathcal{K} = \lambda_{\max}((I-A)^{-1}B)` (largest real part; 0 if ``B = 0``)."""
    symmetric_value: float
    r""":math:`\lambda_{\max}((I-A)^{-1/2}B(I-A)^{-1/2})` (second way, Eq. 50)."""
    imaginary_residual: float
    """Largest imaginary part among the eigenvalues of the non-symmetric product."""
    deterministic_norm: float
    r""":math:`\|A\|_{op}` (``inf`` never; ``A`` is diagonal)."""
    deterministic_max: float
    r""":math:`\lambda_{\max}(A)`."""
    diagonal_max: float
    r""":math:`\lambda_{\max}(A+B)` (symmetric)."""
    diagonal_spectral_radius: float
    r""":math:`\max|\lambda(A+B)|`."""


def noise_kernel_norm(
    ntk: object, learning_rate: float, batch_size: int, *, reading: Reading = "derived"
) -> NoiseKernelNorm:
    r"""Noise kernel norm :math:`\mathcal{K} = \max\lambda[(I-A)^{-1}B]` (Eq. 9, 45).

    Computed two ways: eigenvalues of the non-symmetric :math:`(I-A)^{-1}B`, and of the
    congruent symmetric :math:`(I-A)^{-1/2}B(I-A)^{-1/2}`. A third way (the stability
    boundary of the diagonal recursion) is :func:`noise_kernel_norm_by_boundary`.

    Raises
    ------
    StabilityError
        If :math:`I - A` is singular or indefinite (e.g. a zero NTK eigenvalue gives
        :math:`A_{\alpha\alpha} = 1`), so :math:`\mathcal{K}` is undefined.

    Examples
    --------
    Two samples, ``B = 1``, eigenvectors :math:`(1,\pm1)/\sqrt2` (``C = 11^T/2``),
    :math:`\hat\Theta` eigenvalues 1 and 3, :math:`\eta = 0.2`: here
    :math:`\mathcal{K} = \sum_\alpha \eta\lambda_\alpha/2 = 0.4`.

    >>> round(noise_kernel_norm([[2.0, 1.0], [1.0, 2.0]], 0.2, 1).value, 12)
    0.4
    """
    parts = noise_kernel_matrices(ntk, learning_rate, batch_size, reading=reading)
    gap = 1.0 - np.diag(parts.deterministic)
    if np.any(gap <= 0):
        raise StabilityError(
            "I - A is not positive definite (an NTK eigenvalue is 0 or eta*lambda too large): "
            "K is undefined"
        )
    product = parts.stochastic / gap[:, None]
    eigenvalues = np.linalg.eigvals(product)
    value = float(np.max(eigenvalues.real))
    root = 1.0 / np.sqrt(gap)
    symmetric = root[:, None] * parts.stochastic * root[None, :]
    symmetric_value = float(np.linalg.eigvalsh((symmetric + symmetric.T) / 2)[-1])
    total = parts.deterministic + parts.stochastic
    total_eigenvalues = np.linalg.eigvalsh((total + total.T) / 2)
    a_diag = np.diag(parts.deterministic)
    return NoiseKernelNorm(
        value=value,
        symmetric_value=symmetric_value,
        imaginary_residual=float(np.max(np.abs(eigenvalues.imag))),
        deterministic_norm=float(np.max(np.abs(a_diag))),
        deterministic_max=float(np.max(a_diag)),
        diagonal_max=float(total_eigenvalues[-1]),
        diagonal_spectral_radius=float(np.max(np.abs(total_eigenvalues))),
    )


def noise_kernel_norm_hd(ntk_eigenvalues: object, learning_rate: float, batch_size: int) -> float:
    r"""High-dimensional estimator, Eq. 10/51 as printed.

    .. math:: \hat{\mathcal{K}}_{HD} = \frac{\eta}{B}\sum_\alpha
       \frac{\lambda_\alpha}{2-\eta\lambda_\alpha}

    Raises
    ------
    NotPSDError, StabilityError, ParameterError
        Negative eigenvalue, :math:`\eta\lambda_{\max} \ge 2`, :math:`\eta \le 0`, ``B < 1``.

    Examples
    --------
    >>> noise_kernel_norm_hd([1.0, 1.0], 1.0, 2)
    1.0
    """
    eigenvalues = _spectrum(ntk_eigenvalues, learning_rate)
    batch = _positive_batch(batch_size)
    eta = float(learning_rate)
    return float(eta / batch * np.sum(eigenvalues / (2.0 - eta * eigenvalues)))


def noise_kernel_norm_trace(
    ntk: object,
    learning_rate: float,
    batch_size: int,
    *,
    printed: Literal["eq11", "eq52"] = "eq11",
) -> float:
    r"""Trace estimator :math:`\frac{\eta}{2B}\mathrm{tr}\hat\Theta` (Eq. 11); ``eq52``: no 2.

    Examples
    --------
    >>> noise_kernel_norm_trace(np.eye(4), 0.5, 1)
    1.0
    >>> noise_kernel_norm_trace(np.eye(4), 0.5, 1, printed="eq52")
    2.0
    """
    matrix = as_psd(ntk, "ntk")
    eta = check_positive(learning_rate, "learning_rate")
    batch_fractions(batch_size, matrix.shape[0])
    factor = {"eq11": 0.5, "eq52": 1.0}.get(printed)
    if factor is None:
        raise ParameterError(f"printed must be 'eq11' or 'eq52', got {printed!r}")
    return float(factor * eta / batch_size * np.trace(matrix))


def _spectrum(ntk_eigenvalues: object, learning_rate: float) -> np.ndarray:
    eigenvalues = as_vector(ntk_eigenvalues, "ntk_eigenvalues")
    eta = check_positive(learning_rate, "learning_rate")
    if np.any(eigenvalues < 0):
        from theorylab.errors import NotPSDError

        raise NotPSDError(f"NTK eigenvalues must be >= 0, got min {eigenvalues.min():.3g}")
    if eta * float(eigenvalues.max()) >= 2.0:
        raise StabilityError("learning_rate is at or past the deterministic EOS 2/lambda_max")
    if not np.all(np.isfinite(eigenvalues)):
        raise NonFiniteError("ntk_eigenvalues must be finite")
    return eigenvalues


def _positive_batch(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not float(batch_size).is_integer() or batch_size < 1:
        raise ParameterError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    return int(batch_size)


def noise_kernel_norm_delocalised(
    ntk_eigenvalues: object, learning_rate: float, batch_size: int, size: int
) -> float:
    r"""Exact :math:`\mathcal{K}` when :math:`C = 11^\top/D` (fully delocalised eigenvectors).

    .. math:: \mathcal{K}_{\rm deloc} = \frac{1-\tilde\beta}{B}\sum_\alpha
       \frac{\eta\lambda_\alpha}{2-\tilde\beta\beta^{-1}\eta\lambda_\alpha}

    (rank-one ``B``). Since :math:`C = W^\top W` with :math:`W_{\alpha\beta} = V_{\alpha\beta}^2`
    doubly stochastic, :math:`C \succeq 11^\top/D`, hence :math:`\mathcal{K} \ge
    \mathcal{K}_{\rm deloc}` for every eigenframe (the corrected ordering of Sec. 2.4).

    Examples
    --------
    >>> round(noise_kernel_norm_delocalised([1.0, 3.0], 0.2, 1, 2), 12)
    0.4
    """
    eigenvalues = _spectrum(ntk_eigenvalues, learning_rate)
    beta, tilde = batch_fractions(batch_size, size)
    scaled = float(learning_rate) * eigenvalues
    return float((1 - tilde) / batch_size * np.sum(scaled / (2 - tilde / beta * scaled)))
