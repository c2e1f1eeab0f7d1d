r"""SLQ when Lanczos stops early (issue 16): zero-weight padding never enters the results.

A symmetric operator with 3 distinct eigenvalues in [5, 6] gives an invariant Krylov subspace
after 3 steps, so with ``steps = 6`` every probe is padded with zero nodes of zero weight.
With ``steps`` >= the number of distinct eigenvalues, Gauss quadrature reproduces each
probe's spectral measure :math:`\mu_z = \sum_i (z^\top v_i)^2/\|z\|^2\,\delta_{\lambda_i}`
exactly, so the oracle is the float64 eigendecomposition of the dense matrix, smoothed by the
same Gaussian, for the same Rademacher probes.
"""

import math

import pytest

torch = pytest.importorskip("torch")

from theorylab.errors import ParameterError  # noqa: E402
from theorylab.gpu import EffectiveCurvatureOperator, slq_spectral_density, slq_trace  # noqa: E402
from theorylab.gpu.probes import rademacher_probes  # noqa: E402

F64 = torch.float64
EPS = torch.finfo(F64).eps
SPECTRUM = (5.0, 5.0, 5.5, 5.5, 6.0, 6.0)
PROBES, STEPS, SEED = 5, 6, 3


@pytest.fixture(scope="module")
def early_stop():
    """``(operator, dense)``: H = XᵀX/n = V diag(SPECTRUM) Vᵀ for a random orthogonal V."""
    size = len(SPECTRUM)
    generator = torch.Generator().manual_seed(0)
    basis, _ = torch.linalg.qr(torch.randn(size, size, generator=generator, dtype=F64))
    X = (size * torch.tensor(SPECTRUM, dtype=F64)).sqrt()[:, None] * basis.T
    model = torch.nn.Linear(size, 1, bias=False).double()
    operator = EffectiveCurvatureOperator.from_model(model, X, dtype=F64)
    return operator, operator.to_dense()


def _probe_measures(dense):
    """Eigenvalues ``(p,)`` and each probe's spectral weights ``(probes, p)`` (float64)."""
    values, vectors = torch.linalg.eigh(dense)
    probes = rademacher_probes(dense.shape[0], PROBES, SEED, dtype=F64, device=dense.device)
    return values, (vectors.T @ probes).square().T / dense.shape[0]


def _roundoff(dense):
    """Lanczos + eigh error in a node or weight: size x steps x eps, relative to ‖A‖."""
    return dense.shape[0] * STEPS * EPS


def test_padding_stays_out_of_the_grid_and_bandwidth(early_stop):
    """Grid within [λ_min − 3σ, λ_max + 3σ]; default σ = 1% of λ_max − λ_min, not of 6 − 0."""
    operator, dense = early_stop
    result = slq_spectral_density(operator, probes=PROBES, steps=STEPS, seed=SEED)
    distinct = len(set(SPECTRUM))
    assert result.matvecs == PROBES * distinct  # every probe stopped at the invariant subspace
    assert bool((result.weights[:, distinct:] == 0).all())  # ... and was padded
    values, _ = _probe_measures(dense)
    low, high = float(values[0]), float(values[-1])
    slack = _roundoff(dense) * float(values.abs().max())
    sigma = 0.01 * (high - low)
    assert abs(result.bandwidth - sigma) <= 0.02 * slack
    assert low - 3 * sigma - slack <= float(result.grid[0])
    assert float(result.grid[-1]) <= high + 3 * sigma + slack
    assert abs(float(result.grid[0]) - (low - 3 * sigma)) <= 2 * slack
    assert abs(float(result.grid[-1]) - (high + 3 * sigma)) <= 2 * slack


def test_density_equals_dense_gaussian_smoothed_spectrum(early_stop):
    """Oracle: (1/N) Σ_l Σ_i (z_lᵀv_i)²/p N(t; λ_i, σ²) from the dense float64 eigenpairs.

    A node error δθ moves the density by at most δθ·max|N'| = δθ/(σ²√(2πe)); a weight error δw
    by δw·max N = δw/(σ√(2π)) per node.
    """
    operator, dense = early_stop
    result = slq_spectral_density(operator, probes=PROBES, steps=STEPS, seed=SEED,
                                  grid_points=301)
    values, weights = _probe_measures(dense)
    sigma, grid = result.bandwidth, result.grid
    kernel = torch.exp(-0.5 * ((grid[:, None] - values) / sigma) ** 2)
    kernel /= sigma * math.sqrt(2 * math.pi)
    expected = (kernel @ weights.T).mean(dim=1)
    delta = _roundoff(dense)
    tolerance = len(SPECTRUM) * delta * (
        float(values.abs().max()) / (sigma**2 * math.sqrt(2 * math.pi * math.e))
        + 1 / (sigma * math.sqrt(2 * math.pi)))
    assert float((result.density - expected).abs().max()) <= tolerance


def test_density_integrates_to_one(early_stop):
    """Trapezoid vs the exact mass Σ w_i [Φ((b−λ_i)/σ) − Φ((a−λ_i)/σ)] on the grid [a, b].

    The trapezoid error is at most (b − a) h² max|φ''| / 12 with max|N''| = 1/(σ³√(2π)) and
    unit total weight; the mass cut off beyond the extreme nodes ± 3σ is at most 2Φ(−3).
    """
    operator, dense = early_stop
    result = slq_spectral_density(operator, probes=PROBES, steps=STEPS, seed=SEED,
                                  grid_points=4001)
    grid, sigma = result.grid, result.bandwidth
    a, b = float(grid[0]), float(grid[-1])
    step = (b - a) / (grid.numel() - 1)
    values, weights = _probe_measures(dense)
    normal = torch.distributions.Normal(torch.zeros((), dtype=F64), torch.ones((), dtype=F64))
    exact = float((weights * (normal.cdf((b - values) / sigma)
                              - normal.cdf((a - values) / sigma))).sum(1).mean())
    mass = float(torch.trapezoid(result.density, grid))
    assert abs(mass - exact) <= (b - a) * step**2 / (12 * sigma**3 * math.sqrt(2 * math.pi))
    assert 1 - 2 * float(normal.cdf(torch.tensor(-3.0, dtype=F64))) <= exact <= 1


def test_explicit_bandwidth_is_reported_and_bad_ones_rejected(early_stop):
    operator, _ = early_stop
    result = slq_spectral_density(operator, probes=2, steps=STEPS, seed=SEED, bandwidth=0.05)
    assert result.bandwidth == 0.05
    for bad in (0.0, -1.0, math.nan, math.inf, True, "0.1"):
        with pytest.raises(ParameterError):
            slq_spectral_density(operator, probes=2, steps=STEPS, bandwidth=bad)
    with pytest.raises(ParameterError):
        slq_spectral_density(operator, probes=2, steps=STEPS, grid_points=1)


def test_slq_log_trace_ignores_padding(early_stop):
    """Tr log A by SLQ is finite and equals the same probes' Hutchinson mean of zᵀ log(A) z.

    Padded nodes are 0, where log is −inf; 0 · (−inf) would make the estimate NaN.
    """
    operator, dense = early_stop
    result = slq_trace(operator, torch.log, probes=PROBES, steps=STEPS, seed=SEED)
    values, weights = _probe_measures(dense)
    expected = float(dense.shape[0] * (weights * values.log()).sum(1).mean())
    # a node error δθ moves log θ by δθ/θ_min; a weight error δw moves the sum by δw·max|log θ|
    delta = _roundoff(dense)
    scale = float(values.abs().max() / values.min() + values.log().abs().max())
    assert abs(result.value - expected) <= dense.shape[0] * len(SPECTRUM) * delta * scale
