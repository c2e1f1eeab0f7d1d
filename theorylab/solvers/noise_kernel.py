r"""Noise kernel norm :math:`\mathcal{K}` of minibatch SGD on MSE (paper 002, Sec. 2, App. A).

Convention (Sec. 2.1): residuals :math:`z \in \mathbb{R}^D`, NTK :math:`\hat\Theta = JJ^\top/D`,
SGD on the linearised model :math:`z_{t+1} = z_t - \frac{\eta}{B}JJ^\top P_t z_t
= (I - \eta\beta^{-1}\hat\Theta P_t)z_t`, :math:`P_t` diagonal with exactly ``B`` ones drawn
uniformly without replacement; :math:`\beta = B/D`, :math:`\tilde\beta = (B-1)/(D-1)`;
:math:`\hat\Theta = V\Lambda V^\top`, :math:`C_{\beta\mu} = \sum_\alpha V_{\alpha\beta}^2
V_{\alpha\mu}^2`.

Units: ``batch_size`` counts **samples**. With ``K`` outputs per sample (App. A.7.1) the
kernel has :math:`D = nK` rows, sample-major; pass ``outputs_per_sample=K``. A batch then
keeps whole samples, :math:`\beta = B/n`, :math:`\tilde\beta = (B-1)/(n-1)`, ``diag`` in
Lemma A.1 becomes the ``K x K`` block diagonal and
:math:`C_{\beta\mu} = \sum_i (V_{i\cdot\beta}^\top V_{i\cdot\mu})^2` over the samples'
blocks (equal to the formula above for ``K = 1``); see :mod:`.noise_kernel_inputs`.

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

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from theorylab.arrays import as_matrix, as_psd, as_vector, check_positive
from theorylab.errors import NonFiniteError, ParameterError, SingularKernelError, StabilityError
from theorylab.numerics import roundoff_tolerance
from theorylab.solvers.noise_kernel_inputs import (
    batch_fractions,
    check_batch_units,
    enumerated_selection_moment,
    kernel_samples,
    minibatch_selection_moment,
    numerical_rank,
    rank_tolerance,
    validate_sgd_problem,
)

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


def noise_coupling(eigenvectors: np.ndarray, *, outputs_per_sample: int = 1) -> np.ndarray:
    r"""Noise coupling (Eq. 8) :math:`C_{\beta\mu}=\sum_\alpha V_{\alpha\beta}^2V_{\alpha\mu}^2`.

    With ``outputs_per_sample=K``: :math:`C_{\beta\mu} = \sum_i (V_{i\cdot\beta}^\top
    V_{i\cdot\mu})^2`, ``V_{i.}`` the ``K`` rows of sample ``i`` (App. A.7.1).
    """
    frame = np.asarray(eigenvectors, dtype=np.float64)
    per = int(outputs_per_sample)
    if per == 1:
        squares = frame**2
        return squares.T @ squares
    coupling = np.zeros((frame.shape[1], frame.shape[1]))
    for start in range(0, frame.shape[0], per):
        block = frame[start : start + per]
        overlap = block.T @ block
        coupling += overlap * overlap
    return coupling


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
    ntk: object,
    learning_rate: float,
    batch_size: int,
    *,
    reading: Reading = "derived",
    outputs_per_sample: int = 1,
) -> NoiseKernelMatrices:
    r"""``A``, ``B``, ``C`` of the diagonal recursion :math:`\tilde p_{t+1} = (A+B)\tilde p_t`.

    ``reading="derived"`` (default) gives
    :math:`A = (I-\eta\Lambda)^2 + (\tilde\beta\beta^{-1}-1)\eta^2\Lambda^2`,
    :math:`B = (\beta^{-1}-\tilde\beta\beta^{-1})\eta^2\Lambda C\Lambda` (Eq. 32 after the
    :math:`\Lambda^+` similarity); ``"eq8"`` and ``"eq33"`` give the printed variants.

    Parameters
    ----------
    ntk
        :math:`\hat\Theta`, ``nK x nK`` PSD, sample-major rows.
    learning_rate
        :math:`\eta > 0`, below the deterministic EOS :math:`2/\lambda_{\max}`.
    batch_size
        ``B``, in **samples**: ``1 <= B <= n``.
    reading
        ``"derived"``, ``"eq8"`` or ``"eq33"`` (module docstring).
    outputs_per_sample
        ``K``, kernel rows per sample (default 1); the kernel must have ``n * K`` rows.

    Raises
    ------
    NotPSDError, ParameterError, ShapeError, StabilityError
        Non-PSD NTK, ``B`` outside ``[1, n]`` samples, rows not a multiple of ``K``,
        :math:`\eta \le 0`, :math:`\eta\lambda_{\max}\ge 2`.

    Examples
    --------
    Full batch (:math:`\beta = \tilde\beta = 1`) has no noise: ``B = 0``.

    >>> parts = noise_kernel_matrices(np.diag([1.0, 0.5]), 0.5, 2)
    >>> float(np.abs(parts.stochastic).max()), np.diag(parts.deterministic).tolist()
    (0.0, [0.5625, 0.25])
    """
    matrix, eta, batch = validate_sgd_problem(
        ntk, learning_rate, batch_size, outputs_per_sample=outputs_per_sample
    )
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    beta, tilde = batch_fractions(batch, kernel_samples(matrix.shape[0], outputs_per_sample))
    coupling = noise_coupling(eigenvectors, outputs_per_sample=outputs_per_sample)
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
    ntk: object,
    learning_rate: float,
    batch_size: int,
    *,
    reading: Reading = "derived",
    outputs_per_sample: int = 1,
    restrict_to_range: bool = False,
) -> NoiseKernelNorm:
    r"""Noise kernel norm :math:`\mathcal{K} = \max\lambda[(I-A)^{-1}B]` (Eq. 9, 45).

    Computed two ways: eigenvalues of the non-symmetric :math:`(I-A)^{-1}B`, and of the
    congruent symmetric :math:`(I-A)^{-1/2}B(I-A)^{-1/2}`. A third way (the stability
    boundary of the diagonal recursion) is :func:`noise_kernel_norm_by_boundary`.

    Arguments are those of :func:`noise_kernel_matrices` (``batch_size`` in samples, the
    kernel ``n * outputs_per_sample`` rows). A null direction of the NTK
    (:math:`\lambda_\alpha \le` :func:`~.noise_kernel_inputs.rank_tolerance`) has
    :math:`A_{\alpha\alpha} = 1` and a zero row and column in ``B``: it is frozen, carries
    no noise, and makes :math:`I - A` singular. ``restrict_to_range=True`` computes
    :math:`\mathcal{K}` on the NTK's range (the limit :math:`\lambda_\alpha \to 0`, where a
    mode contributes :math:`O(\lambda_\alpha)`); otherwise such a kernel is refused.

    Raises
    ------
    SingularKernelError
        If the NTK is numerically rank-deficient and ``restrict_to_range`` is False.
    StabilityError
        If :math:`I - A` is otherwise singular or indefinite, so :math:`\mathcal{K}` is
        undefined.

    Examples
    --------
    Two samples, ``B = 1``, eigenvectors :math:`(1,\pm1)/\sqrt2` (``C = 11^T/2``),
    :math:`\hat\Theta` eigenvalues 1 and 3, :math:`\eta = 0.2`: here
    :math:`\mathcal{K} = \sum_\alpha \eta\lambda_\alpha/2 = 0.4`.

    >>> round(noise_kernel_norm([[2.0, 1.0], [1.0, 2.0]], 0.2, 1).value, 12)
    0.4
    """
    parts = noise_kernel_matrices(
        ntk, learning_rate, batch_size, reading=reading, outputs_per_sample=outputs_per_sample
    )
    parts = _on_range(parts, restrict_to_range)
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


def _on_range(parts: NoiseKernelMatrices, restrict: bool) -> NoiseKernelMatrices:
    """``parts`` on the NTK's numerical range; a SingularKernelError unless ``restrict``."""
    size = parts.eigenvalues.size
    rank = numerical_rank(parts.eigenvalues)
    if rank == size:
        return parts
    if not restrict:
        raise SingularKernelError(
            f"the NTK is rank-deficient: numerical rank {rank} of {size} (eigenvalues <= "
            f"{rank_tolerance(parts.eigenvalues):.2g} count as 0), so I - A is singular and K "
            "(Eq. 9) is undefined; pass restrict_to_range=True to compute K on the NTK's "
            "range (null directions are frozen and carry no noise), or use fewer samples than "
            "parameters / drop duplicated inputs"
        )
    if rank == 0:
        raise SingularKernelError(f"the NTK is numerically zero ({size} x {size}): K undefined")
    keep = parts.eigenvalues > rank_tolerance(parts.eigenvalues)
    return replace(
        parts,
        deterministic=parts.deterministic[np.ix_(keep, keep)],
        stochastic=parts.stochastic[np.ix_(keep, keep)],
        coupling=parts.coupling[np.ix_(keep, keep)],
        eigenvalues=parts.eigenvalues[keep],
        eigenvectors=parts.eigenvectors[:, keep],
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
    outputs_per_sample: int = 1,
) -> float:
    r"""Trace estimator :math:`\frac{\eta}{2B}\mathrm{tr}\hat\Theta` (Eq. 11); ``eq52``: no 2.

    ``B`` counts samples (Eq. 87 for ``K = outputs_per_sample`` outputs per sample).

    Examples
    --------
    >>> noise_kernel_norm_trace(np.eye(4), 0.5, 1)
    1.0
    >>> noise_kernel_norm_trace(np.eye(4), 0.5, 1, printed="eq52")
    2.0
    """
    check_batch_units(batch_size, as_matrix(ntk, "ntk").shape[0], outputs_per_sample)
    matrix = as_psd(ntk, "ntk")
    eta = check_positive(learning_rate, "learning_rate")
    factor = {"eq11": 0.5, "eq52": 1.0}.get(printed)
    if factor is None:
        raise ParameterError(f"printed must be 'eq11' or 'eq52', got {printed!r}")
    return float(factor * eta / batch_size * np.trace(matrix))


def _spectrum(ntk_eigenvalues: object, learning_rate: float) -> np.ndarray:
    eigenvalues = as_vector(ntk_eigenvalues, "ntk_eigenvalues")
    eta = check_positive(learning_rate, "learning_rate")
    # eigenvalues of a singular PSD NTK come out of an eigensolver as +-(n eps lambda_max):
    # negative only beyond that roundoff margin is not PSD; within it they are zero
    margin = roundoff_tolerance(float(np.max(np.abs(eigenvalues), initial=0.0)),
                                eigenvalues.size)
    if np.any(eigenvalues < -margin):
        from theorylab.errors import NotPSDError

        raise NotPSDError(f"NTK eigenvalues must be >= 0 (up to the roundoff margin "
                          f"{margin:.2g}), got min {eigenvalues.min():.3g}")
    eigenvalues = np.maximum(eigenvalues, 0.0)
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
