r"""Noise-curvature coupling (paper 001, Sec. 2.2, App. C, D) and the App. B.3 suppression.

:math:`\rho_{ij} = C_{ij}/\sqrt{C_{ii}C_{jj}}` (Eq. 6, 28) is the scale-invariant coupling of
the covariance :math:`C` written in the Hessian eigenbasis; its mean off-diagonal magnitude
(Eq. 7, 41) is compared with the random-basis baseline :math:`\sqrt{2/(\pi K)}` (Eq. 40) by
the z-test of App. D (Eq. 42-46).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from theorylab.arrays import as_symmetric, as_vector, check_positive
from theorylab.errors import ParameterError
from theorylab.solvers.awd import as_per_sample_hessians

__all__ = [
    "CouplingZTest",
    "HaarCoupling",
    "coupling_matrix",
    "coupling_z_test",
    "haar_coupling_monte_carlo",
    "haar_null_means",
    "haar_null_p_value",
    "haar_orthogonal",
    "implied_spikes",
    "mean_offdiagonal_coupling",
    "random_coupling_baseline",
    "random_coupling_limit",
    "suppress_per_sample_spectra",
]


def _count(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def coupling_matrix(covariance_in_basis: Any) -> np.ndarray:
    r"""Scale-invariant coupling :math:`\rho_{ij} = C_{ij}/\sqrt{C_{ii}C_{jj}}` (Eq. 6, 28).

    Raises
    ------
    ParameterError
        If a diagonal entry is not positive (then :math:`\rho` is undefined).

    Examples
    --------
    >>> coupling_matrix([[4.0, 1.0], [1.0, 1.0]])
    array([[1. , 0.5],
           [0.5, 1. ]])
    """
    matrix = as_symmetric(covariance_in_basis, "covariance_in_basis")
    diagonal = np.diag(matrix)
    if np.any(diagonal <= 0):
        raise ParameterError("coupling needs C_ii > 0 on every direction used")
    scale = np.sqrt(diagonal)
    return matrix / np.outer(scale, scale)


def mean_offdiagonal_coupling(coupling: Any) -> float:
    r"""Mean of :math:`|\rho_{ij}|` over :math:`i \ne j` (Eq. 7, 41).

    Examples
    --------
    >>> mean_offdiagonal_coupling([[1.0, -0.5], [-0.5, 1.0]])
    0.5
    """
    matrix = as_symmetric(coupling, "coupling")
    size = matrix.shape[0]
    if size < 2:
        raise ParameterError("need at least two directions for off-diagonal coupling")
    return float((np.sum(np.abs(matrix)) - np.sum(np.abs(np.diag(matrix)))) / (size * (size - 1)))


def random_coupling_baseline(spikes: int) -> float:
    r"""The paper's random-basis baseline :math:`\sqrt{2/(\pi K)}` (App. C, Eq. 40, 43).

    Examples
    --------
    >>> round(random_coupling_baseline(2), 12) == round(1 / math.sqrt(math.pi), 12)
    True
    """
    return math.sqrt(2.0 / (math.pi * _count(spikes, "spikes")))


def random_coupling_limit(spikes: int) -> float:
    r"""Exact :math:`p\to\infty` limit of :math:`\mathbb{E}|\rho_{ij}|` for :math:`K` equal spikes.

    Rows of the top-:math:`K` Haar frame become i.i.d. :math:`\mathcal N(0, I_K/p)`, so
    :math:`\rho_{ij}` is the cosine of two independent Gaussian vectors in
    :math:`\mathbb{R}^K`: :math:`\mathbb{E}|\cos| = \Gamma(K/2)/(\sqrt\pi\,\Gamma((K+1)/2))
    = \sqrt{2/(\pi K)}\,(1 + \tfrac{1}{4K} + O(K^{-2}))`.

    Examples
    --------
    >>> random_coupling_limit(1)
    1.0
    """
    count = _count(spikes, "spikes")
    return float(
        math.exp(special.gammaln(count / 2) - special.gammaln((count + 1) / 2)) / math.sqrt(math.pi)
    )


def haar_orthogonal(size: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-distributed orthogonal matrix (QR of a Gaussian with the sign fix of Mezzadri).

    Examples
    --------
    >>> q = haar_orthogonal(3, np.random.default_rng(0))
    >>> bool(np.allclose(q.T @ q, np.eye(3)))
    True
    """
    gaussian = rng.standard_normal((_count(size, "size"), size))
    q, r = np.linalg.qr(gaussian)
    return q * np.sign(np.diag(r))


@dataclass(frozen=True)
class HaarCoupling:
    """Monte Carlo of the mean off-diagonal |rho| under a Haar-random eigenbasis (App. C null).

    ``mean`` and ``stderr`` over ``draws`` rotations; ``sd`` is the null standard deviation of
    one mean (the quantity App. D's SE claims to be).
    """

    mean: float
    stderr: float
    sd: float
    draws: int
    dimension: int


def haar_null_means(spectrum: Any, draws: int, rng: np.random.Generator) -> np.ndarray:
    r"""Mean off-diagonal :math:`|\rho_{ij}|` of Haar rotations :math:`Q\mathrm{diag}(s)Q^\top`.

    The null distribution of App. C/D for the observed spectrum :math:`s` (Sec. 2.2's
    "randomized baseline"); exact zeros in :math:`s` are allowed while :math:`C_{ii} > 0`.
    """
    values = as_vector(spectrum, "spectrum")
    if np.any(values < 0) or not np.any(values > 0):
        raise ParameterError("spectrum must be non-negative with a positive entry")
    count = _count(draws, "draws")
    size = values.size
    means = np.empty(count)
    for draw in range(count):
        frame = haar_orthogonal(size, rng)
        means[draw] = mean_offdiagonal_coupling(coupling_matrix((frame * values) @ frame.T))
    return means


def haar_coupling_monte_carlo(spectrum: Any, draws: int, rng: np.random.Generator) -> HaarCoupling:
    r"""Monte Carlo of the mean :math:`|\rho_{ij}|` under a Haar basis (App. C, Eq. 29).

    ``spectrum`` holds the eigenvalues :math:`s` (the spiked model of App. C.2: :math:`K`
    dominant ones and a small bulk).
    """
    means = haar_null_means(spectrum, _count(draws, "draws", minimum=2), rng)
    return HaarCoupling(
        mean=float(means.mean()),
        stderr=float(means.std(ddof=1) / math.sqrt(means.size)),
        sd=float(means.std(ddof=1)),
        draws=means.size,
        dimension=int(np.size(spectrum)),
    )


def haar_null_p_value(
    observed: float, spectrum: Any, draws: int, rng: np.random.Generator
) -> float:
    r"""Monte Carlo p-value :math:`(1 + \#\{\bar\rho_{\rm null} \le \bar\rho_{\rm obs}\})/(1 + R)`.

    A valid one-sided test of App. D's null for *this* spectrum (corrected App. D).
    """
    means = haar_null_means(spectrum, draws, rng)
    return float((1 + np.count_nonzero(means <= observed)) / (1 + means.size))


@dataclass(frozen=True)
class CouplingZTest:
    r"""App. D z-test, :math:`z = (\bar\rho - \mu_0)/SE`, :math:`SE=\sqrt{(1-2/\pi)/(KM)}`."""

    observed: float
    null_mean: float
    standard_error: float
    z: float
    p_value: float
    pairs: int


def coupling_z_test(observed: float, spikes: int, pairs: int) -> CouplingZTest:
    r"""One-sided z-test of App. D as printed: independence of the ``pairs`` terms assumed.

    Examples
    --------
    >>> test = coupling_z_test(random_coupling_baseline(4), spikes=4, pairs=10)
    >>> test.z, test.p_value
    (0.0, 0.5)
    """
    count = _count(spikes, "spikes")
    terms = _count(pairs, "pairs")
    null_mean = random_coupling_baseline(count)
    standard_error = math.sqrt((1.0 - 2.0 / math.pi) / (count * terms))
    z = (float(observed) - null_mean) / standard_error
    return CouplingZTest(
        float(observed), null_mean, standard_error, z, float(stats.norm.cdf(z)), terms
    )


def suppress_per_sample_spectra(
    per_sample_hessians: Any,
    *,
    threshold: float = 0.1,
    factor: float = 1e-3,
    homogenize: bool = False,
) -> np.ndarray:
    r"""App. B.3 intervention on per-sample spectra (Eq. 23-27); returns the modified stack.

    Each :math:`H_s = \sum_k\lambda^s_k v^s_kv^{s\top}_k` (descending). Stiff samples have
    :math:`\lambda^s_1 \ge \tau\max_s\lambda^s_1` (Eq. 24, ``threshold`` :math:`=\tau`).
    Stiff: tail modes :math:`k\ge2` scaled by ``factor`` :math:`\epsilon`, and with
    ``homogenize`` :math:`\lambda^s_1` replaced by the stiff-group mean (Eq. 25). Non-stiff:
    :math:`\lambda^s_1` scaled by :math:`\epsilon`, tail by :math:`\epsilon^2` (Eq. 26).
    The global matrices are rebuilt from the modified stack (Eq. 27).

    Examples
    --------
    >>> out = suppress_per_sample_spectra([[[2.0, 0.0], [0.0, 1.0]]], factor=0.5)
    >>> np.round(out[0], 12).tolist()
    [[2.0, 0.0], [0.0, 0.5]]
    """
    stack = as_per_sample_hessians(per_sample_hessians)
    tau = check_positive(threshold, "threshold")
    epsilon = check_positive(factor, "factor")
    values, vectors = np.linalg.eigh(stack)
    values, vectors = values[:, ::-1].copy(), vectors[:, :, ::-1]
    leading = values[:, 0]
    stiff = leading >= tau * np.max(leading)
    values[stiff, 1:] *= epsilon
    if homogenize:
        values[stiff, 0] = np.mean(leading[stiff])
    values[~stiff, 0] *= epsilon
    values[~stiff, 1:] *= epsilon**2
    return np.einsum("spk,sk,sqk->spq", vectors, values, vectors)


def implied_spikes(spectrum: Any) -> float:
    r"""Participation ratio :math:`(\sum s)^2/\sum s^2`: the effective :math:`K` of a spectrum.

    Examples
    --------
    >>> implied_spikes([1.0, 1.0, 0.0])
    2.0
    """
    values = as_vector(spectrum, "spectrum")
    return float(np.sum(values) ** 2 / np.sum(values**2))
