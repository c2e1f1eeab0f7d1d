r"""The full second-moment operator ``T`` of minibatch SGD (paper 002, Eq. 7, 26, 30).

:math:`\Sigma_{t+1} = \mathbb{E}_P[\Sigma]` update of :math:`\Sigma_t = \mathbb{E}[z_tz_t^\top]`:

.. math:: T(\Sigma) = \Sigma - \eta(\hat\Theta\Sigma + \Sigma\hat\Theta)
   + \tilde\beta\beta^{-1}\eta^2\hat\Theta\Sigma\hat\Theta
   + (\beta^{-1}-\tilde\beta\beta^{-1})\eta^2\hat\Theta\,\mathrm{diag}(\Sigma)\,\hat\Theta .

Dense :math:`D^2\times D^2` matrices (row-major ``vec``) are built from the formula and,
as an oracle, by enumerating every batch; :func:`second_moment_spectral_radius` finds
:math:`\max|\lambda(T)|` matrix-free (ARPACK on :math:`S \mapsto T(S)` in the NTK eigenbasis,
:math:`O(D^3)` per application), the route that works for ``D`` in the thousands.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigs

from theorylab.arrays import as_matrix
from theorylab.errors import ParameterError, ProblemTooLargeError
from theorylab.solvers.noise_kernel import batch_fractions, validate_sgd_problem

__all__ = [
    "ARNOLDI_MAX_SIZE",
    "DENSE_MAX_SIZE",
    "SecondMomentSpectrum",
    "enumerated_second_moment_operator",
    "noise_kernel_norm_full",
    "second_moment_apply",
    "second_moment_operator",
    "second_moment_spectral_radius",
]


ARNOLDI_MAX_SIZE = 200
r"""Largest ``D`` :func:`second_moment_spectral_radius` runs Arnoldi on without ``allow_large``.

Cost law, measured on one core (OpenBLAS, one thread; NTK
:math:`V\,\mathrm{diag}(1/(\alpha^2+1))V^\top`, Haar ``V``, :math:`\eta = 1`,
``B = D/20``, the dispersed setting of Fig. 7): one application of ``T`` costs
:math:`O(D^3)` (1.6 ms at ``D = 160``, about :math:`3.8\times10^{-10}D^3` s), and ARPACK
needed :math:`\approx 0.63\,D^2` applications (3714, 9041, 16263 at ``D`` = 80, 120, 160:
the :math:`D^2` eigenvalues of ``T`` cluster near 1), i.e. :math:`O(D^5)` in all: 25 s at
``D = 160``, about a minute at 200 (extrapolated; ``D = 240`` did not finish within 300 s on
a shared core), days at 1000. A flat spectrum converges in ~40
applications, so larger ``D`` can be fine: pass ``allow_large=True`` to run anyway."""

DENSE_MAX_SIZE = 50
r"""Largest ``D`` for ``method="dense"``: :math:`D^2\times D^2` float64 is :math:`8D^4` bytes
(50 MB at ``D = 50``) and ``numpy.linalg.eig`` costs :math:`O(D^6)`."""

_SECONDS_PER_CUBE = 3.8e-10
_MATVECS_PER_SQUARE = 0.63


def _check_size(size: int, method: str, allow_large: bool) -> None:
    """Refuse (ProblemTooLargeError) a size past the documented limit unless ``allow_large``."""
    limit = DENSE_MAX_SIZE if method == "dense" else ARNOLDI_MAX_SIZE
    if allow_large or size <= limit:
        return
    if method == "dense":
        raise ProblemTooLargeError(
            f"method='dense' forms the D^2 x D^2 operator T: D = {size} needs "
            f"{8 * size**4 / 1e9:.3g} GB and O(D^6) time (limit D <= {DENSE_MAX_SIZE}); use "
            "method='arnoldi' (matrix-free) or pass allow_large=True"
        )
    worst = _MATVECS_PER_SQUARE * size**2 * _SECONDS_PER_CUBE * size**3
    raise ProblemTooLargeError(
        f"D = {size} is past the Arnoldi limit D <= {ARNOLDI_MAX_SIZE} for max|lambda(T)|: T "
        f"acts on D^2 = {size * size} unknowns at O(D^3) per product, and dispersed spectra "
        f"need ~0.63 D^2 products (worst case ~{worst:.2g} s on one core); use "
        "noise_kernel_norm (Theorem 2.1's D x D kernel, one O(D^3) eigensolve) or pass "
        "allow_large=True to run anyway"
    )


def _coefficients(ntk: np.ndarray, eta: float, batch: int) -> tuple[float, float]:
    beta, tilde = batch_fractions(batch, ntk.shape[0])
    return tilde / beta * eta**2, (1.0 / beta - tilde / beta) * eta**2


def second_moment_operator(ntk: object, learning_rate: float, batch_size: int) -> np.ndarray:
    r"""Dense ``T`` of Eq. 26 on row-major :math:`\mathrm{vec}\,\Sigma` (:math:`D^2\times D^2`).

    .. math:: T = I - \eta(\hat\Theta\otimes I + I\otimes\hat\Theta)
       + \tilde\beta\beta^{-1}\eta^2\,\hat\Theta\otimes\hat\Theta
       + (\beta^{-1}-\tilde\beta\beta^{-1})\eta^2\,(\hat\Theta\otimes\hat\Theta)E_{\rm diag}

    Examples
    --------
    ``D = 1``: :math:`T = (1-\eta\lambda)^2`.

    >>> second_moment_operator([[1.0]], 0.5, 1)
    array([[0.25]])
    """
    ntk_matrix, eta, batch = validate_sgd_problem(ntk, learning_rate, batch_size)
    size = ntk_matrix.shape[0]
    same, noise = _coefficients(ntk_matrix, eta, batch)
    identity = np.eye(size)
    kron = np.kron(ntk_matrix, ntk_matrix)
    selector = np.eye(size).ravel()
    return (
        np.eye(size * size)
        - eta * (np.kron(ntk_matrix, identity) + np.kron(identity, ntk_matrix))
        + same * kron
        + noise * kron * selector[None, :]
    )


def enumerated_second_moment_operator(
    ntk: np.ndarray, learning_rate: float, batch_size: int
) -> np.ndarray:
    r"""Oracle: :math:`T = \binom{D}{B}^{-1}\sum_P M_P\otimes M_P` with :math:`M_P` of Eq. 5."""
    size = ntk.shape[0]
    scale = learning_rate * size / batch_size
    total = np.zeros((size * size, size * size))
    count = 0
    for batch in combinations(range(size), batch_size):
        mask = np.zeros(size)
        mask[list(batch)] = 1.0
        update = np.eye(size) - scale * ntk * mask[None, :]
        total += np.kron(update, update)
        count += 1
    return total / count


def second_moment_apply(
    ntk_eigenvalues: np.ndarray,
    ntk_eigenvectors: np.ndarray,
    learning_rate: float,
    batch_size: int,
    rotated: np.ndarray,
) -> np.ndarray:
    r"""Matrix-free :math:`S \mapsto T(S)` in the NTK eigenbasis (Eq. 28-30), :math:`O(D^3)`.

    .. math:: T(S)_{\mu\nu} = g_{\mu\nu}S_{\mu\nu} + c\,\lambda_\mu\lambda_\nu
       [V^\top\mathrm{diag}(VSV^\top)V]_{\mu\nu},\quad
       g_{\mu\nu} = 1-\eta(\lambda_\mu+\lambda_\nu)
       +\tilde\beta\beta^{-1}\eta^2\lambda_\mu\lambda_\nu .

    ``rotated`` is ``S`` (``D x D``) or a stack ``(D, D, k)``-free flat vector of length ``D^2``.
    """
    size = ntk_eigenvalues.shape[0]
    beta, tilde = batch_fractions(batch_size, size)
    eta = learning_rate
    scaled = eta * ntk_eigenvalues
    gain = 1.0 - scaled[:, None] - scaled[None, :] + tilde / beta * np.outer(scaled, scaled)
    noise = 1.0 / beta - tilde / beta
    matrix = rotated.reshape(size, size)
    diagonal = np.einsum("ab,ab->a", ntk_eigenvectors @ matrix, ntk_eigenvectors)
    coupled = (ntk_eigenvectors.T * diagonal[None, :]) @ ntk_eigenvectors
    result = gain * matrix + noise * np.outer(scaled, scaled) * coupled
    return result.reshape(rotated.shape)


@dataclass(frozen=True)
class SecondMomentSpectrum:
    r""":math:`\max|\lambda(T)|` with its eigenvector residual and cost."""

    spectral_radius: float
    eigenvalue: complex
    residual: float
    r""":math:`\|T(S) - \lambda S\|_F / \|S\|_F` for the returned eigenvector."""
    matvecs: int
    seconds: float
    method: str


def second_moment_spectral_radius(
    ntk: object,
    learning_rate: float,
    batch_size: int,
    *,
    tolerance: float = 1e-10,
    method: str = "arnoldi",
    rng: np.random.Generator | None = None,
    allow_large: bool = False,
) -> SecondMomentSpectrum:
    r""":math:`\max|\lambda(T)|` of Eq. 30, matrix-free (Arnoldi/ARPACK on :math:`S\mapsto T(S)`).

    ``method="dense"`` forms the :math:`D^2\times D^2` matrix (``D`` up to ~40) for reference.
    The start vector is a random PSD matrix (``T`` maps the PSD cone into itself, so its
    spectral radius is an eigenvalue with a PSD eigenvector). ``batch_size`` counts samples,
    one kernel row each.

    Sizes past :data:`ARNOLDI_MAX_SIZE` (Arnoldi, worst case :math:`O(D^5)`) or
    :data:`DENSE_MAX_SIZE` (dense, :math:`O(D^6)`) raise :class:`ProblemTooLargeError`
    before any work, unless ``allow_large=True``.

    Examples
    --------
    ``D = 1``: :math:`(1-\eta\lambda)^2`.

    >>> round(second_moment_spectral_radius([[1.0]], 0.5, 1).spectral_radius, 12)
    0.25
    """
    if method not in ("arnoldi", "dense"):
        raise ParameterError(f"method must be 'arnoldi' or 'dense', got {method!r}")
    _check_size(as_matrix(ntk, "ntk").shape[0], method, allow_large)  # before any O(D^3) work
    ntk_matrix, eta, batch = validate_sgd_problem(ntk, learning_rate, batch_size)
    size = ntk_matrix.shape[0]
    start_time = time.perf_counter()
    eigenvalues, eigenvectors = np.linalg.eigh(ntk_matrix)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    counter = [0]

    def apply(vector: np.ndarray) -> np.ndarray:
        counter[0] += 1
        return second_moment_apply(eigenvalues, eigenvectors, eta, batch, np.asarray(vector).real)

    if method == "dense" or size <= 2:
        dense = second_moment_operator(ntk_matrix, eta, batch)
        values, vectors = np.linalg.eig(dense)
        index = int(np.argmax(np.abs(values)))
        value, vector = values[index], vectors[:, index]
        rotated = (eigenvectors.T @ vector.real.reshape(size, size) @ eigenvectors).ravel()
        label = "dense"
    elif method == "arnoldi":
        generator = rng if rng is not None else np.random.default_rng(0)
        factor = generator.standard_normal((size, size))
        start = (factor @ factor.T).ravel()
        operator = LinearOperator((size * size, size * size), matvec=apply, dtype=np.float64)
        try:
            values, vectors = eigs(
                operator, k=1, which="LM", v0=start, tol=tolerance, ncv=min(size * size - 1, 24)
            )
        except ArpackNoConvergence as error:  # pragma: no cover - reported, not hidden
            raise ParameterError(f"ARPACK did not converge: {error}") from error
        value, rotated = values[0], vectors[:, 0].real
        label = "arnoldi"
    else:
        raise ParameterError(f"method must be 'arnoldi' or 'dense', got {method!r}")
    image = apply(rotated)
    norm = float(np.linalg.norm(rotated))
    residual = float(np.linalg.norm(image - value.real * rotated) / norm) if norm else 0.0
    return SecondMomentSpectrum(
        spectral_radius=float(abs(value)),
        eigenvalue=complex(value),
        residual=residual,
        matvecs=counter[0],
        seconds=time.perf_counter() - start_time,
        method=label,
    )


def noise_kernel_norm_full(ntk: object, learning_rate: float, batch_size: int) -> float:
    r"""Full-dynamics noise kernel norm: :math:`\max|\lambda(T)|<1 \iff \mathcal{K}_{\rm full}<1`.

    Writing :math:`T(S) = g\odot S + c\,\Lambda V^\top\mathrm{diag}(VSV^\top)V\Lambda`
    (Eq. 30, :math:`g_{\mu\nu} = 1-x_\mu-x_\nu+\tilde\beta\beta^{-1}x_\mu x_\nu`,
    :math:`c = \beta^{-1}-\tilde\beta\beta^{-1}`), an eigenpair :math:`T(S) = \rho S` with
    :math:`\rho > \max g` reduces to :math:`d = K(\rho)d` for :math:`d = \mathrm{diag}(VSV^\top)`,

    .. math:: K(\rho) = \sum_{\mu\nu}\frac{c\,x_\mu x_\nu}{\rho-g_{\mu\nu}}
       \,u_{\mu\nu}u_{\mu\nu}^\top,
       \quad (u_{\mu\nu})_\alpha = V_{\alpha\mu}V_{\alpha\nu},

    PSD and decreasing in :math:`\rho`; so (for :math:`\max g < 1`) :math:`\max|\lambda(T)| < 1`
    iff :math:`\mathcal{K}_{\rm full} = \lambda_{\max}(K(1)) < 1`. Keeping only
    :math:`\mu = \nu` gives Theorem 2.1's :math:`\mathcal{K}`, hence
    :math:`\mathcal{K} \le \mathcal{K}_{\rm full}`. Cost :math:`O(D^4)` time, :math:`O(D^3)` memory.

    Examples
    --------
    Full batch has no noise:

    >>> noise_kernel_norm_full(np.eye(3), 0.5, 3)
    0.0
    """
    matrix, eta, batch = validate_sgd_problem(ntk, learning_rate, batch_size)
    size = matrix.shape[0]
    beta, tilde = batch_fractions(batch, size)
    eigenvalues, frame = np.linalg.eigh(matrix)
    scaled = eta * np.clip(eigenvalues, 0.0, None)
    gain = 1.0 - scaled[:, None] - scaled[None, :] + tilde / beta * np.outer(scaled, scaled)
    if float(gain.max()) >= 1.0:
        raise ParameterError("max g >= 1 (a zero NTK eigenvalue): the criterion does not apply")
    weights = ((1.0 / beta - tilde / beta) * np.outer(scaled, scaled) / (1.0 - gain)).ravel()
    pairs = (frame[:, :, None] * frame[:, None, :]).reshape(size, size * size)
    kernel = (pairs * weights[None, :]) @ pairs.T
    return max(0.0, float(np.linalg.eigvalsh((kernel + kernel.T) / 2)[-1]))
