r"""Stochastic Lanczos quadrature (SLQ) for :math:`\operatorname{Tr}f(A)` and spectral densities.

For a probe :math:`z` with :math:`\|z\|^2 = p` (Rademacher), :math:`m` Lanczos steps from
:math:`z/\|z\|` give :math:`T_m = S\,\mathrm{diag}(\theta)S^\top`; Gauss quadrature gives
:math:`z^\top f(A)z \approx p\sum_j \tau_j^2 f(\theta_j)` with :math:`\tau_j = S_{1j}`. The
estimate averages over probes:

.. math:: \operatorname{Tr}f(A) \approx \frac{p}{N}\sum_{l=1}^N\sum_{j=1}^m
          \tau_{lj}^2 f(\theta_{lj}),

and the smoothed spectral density is
:math:`\phi_\sigma(t) = \frac1N\sum_l\sum_j\tau_{lj}^2\,\mathcal N(t;\theta_{lj},\sigma^2)`.

References
----------
S. Ubaru, J. Chen, Y. Saad, "Fast estimation of tr(f(A)) via stochastic Lanczos
quadrature", SIAM J. Matrix Anal. Appl. 38(4), 2017; B. Ghorbani, S. Krishnan, Y. Xiao,
"An investigation into neural net optimization via Hessian eigenvalue density", ICML 2019.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from theorylab.errors import ParameterError, ShapeError

from .lanczos import lanczos_iteration
from .linear_operator import CurvatureOperator
from .probes import rademacher_probes
from .results import SpectralDensityResult, TraceResult

__all__ = ["slq_nodes", "slq_spectral_density", "slq_trace"]


def slq_nodes(
    operator: CurvatureOperator, *, probes: int = 10, steps: int = 30, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Return Gauss quadrature ``(nodes, weights)``, each ``(probes, steps)``, and matvecs.

    Probes whose Lanczos run stops early (an invariant subspace) get zero-weight padding: the
    padded nodes are 0 and lie outside the spectrum in general, so callers use only the nodes
    of positive weight (``weights > 0``) to locate it.
    """
    if operator.shape[0] != operator.shape[1] or not operator.symmetric:
        raise ShapeError(f"SLQ needs a symmetric square operator, got {operator!r}")
    for value, name in ((probes, "probes"), (steps, "steps")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ParameterError(f"{name} must be a positive int, got {value!r}")
    size = operator.shape[0]
    steps = min(steps, size)
    starts = rademacher_probes(size, probes, seed, dtype=operator.dtype, device=operator.device)
    nodes = torch.zeros(probes, steps, dtype=torch.float64)
    weights = torch.zeros(probes, steps, dtype=torch.float64)
    matvecs = 0
    for probe in range(probes):
        state = lanczos_iteration(operator, starts[:, probe], steps)
        values, vectors = torch.linalg.eigh(state.tridiagonal())
        used = values.numel()
        nodes[probe, :used] = values
        weights[probe, :used] = vectors[0].square()
        matvecs += used
    return nodes, weights, matvecs


def slq_trace(
    operator: CurvatureOperator,
    function: Callable[[torch.Tensor], torch.Tensor],
    *,
    probes: int = 10,
    steps: int = 30,
    seed: int = 0,
) -> TraceResult:
    r"""Estimate :math:`\operatorname{Tr}f(A)` by SLQ; ``function`` acts elementwise on tensors.

    Examples
    --------
    :math:`\operatorname{Tr}A^2` of :math:`\mathrm{diag}(0.5, 2)` is exact here:

    >>> from theorylab.gpu.operators import EffectiveCurvatureOperator
    >>> X = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    >>> H = EffectiveCurvatureOperator.from_model(torch.nn.Linear(2, 1, bias=False).double(), X)
    >>> round(slq_trace(H, torch.square, probes=3).value, 10)
    4.25
    """
    nodes, weights, matvecs = slq_nodes(operator, probes=probes, steps=steps, seed=seed)
    # padded nodes (weight 0) are left out: f(0) may be infinite (log det), and 0 * inf = nan
    values = torch.where(weights > 0, function(nodes), 0.0)
    per_probe = operator.shape[0] * (weights * values).sum(dim=1)
    stderr = float(per_probe.std()) / math.sqrt(probes) if probes > 1 else math.inf
    return TraceResult(float(per_probe.mean()), stderr, matvecs, probes, "slq", seed)


def slq_spectral_density(
    operator: CurvatureOperator,
    *,
    probes: int = 10,
    steps: int = 30,
    seed: int = 0,
    grid_points: int = 200,
    bandwidth: float | None = None,
) -> SpectralDensityResult:
    r"""Gaussian-smoothed spectral density :math:`\phi_\sigma` on a grid spanning the nodes.

    The grid spans :math:`[\theta_{\min} - 3\sigma, \theta_{\max} + 3\sigma]` over the nodes of
    positive weight (a probe's zero-weight padding, see :func:`slq_nodes`, is not part of the
    spectrum). ``bandwidth`` :math:`\sigma` defaults to 1% of that node range (floor:
    :math:`10^{-12}`) and is reported as :attr:`SpectralDensityResult.bandwidth`.

    Raises
    ------
    ParameterError
        If ``bandwidth`` is not a positive finite number or ``grid_points`` not an int >= 2.
    """
    if bandwidth is not None and (isinstance(bandwidth, bool) or not isinstance(
            bandwidth, (int, float)) or not math.isfinite(bandwidth) or bandwidth <= 0):
        raise ParameterError(f"bandwidth must be a positive finite number, got {bandwidth!r}")
    if isinstance(grid_points, bool) or not isinstance(grid_points, int) or grid_points < 2:
        raise ParameterError(f"grid_points must be an int >= 2, got {grid_points!r}")
    nodes, weights, matvecs = slq_nodes(operator, probes=probes, steps=steps, seed=seed)
    used = nodes[weights > 0]
    low, high = float(used.min()), float(used.max())
    sigma = float(bandwidth) if bandwidth is not None else max(0.01 * (high - low), 1e-12)
    grid = torch.linspace(low - 3 * sigma, high + 3 * sigma, grid_points, dtype=torch.float64)
    kernel = torch.exp(-0.5 * ((grid[:, None, None] - nodes) / sigma) ** 2)
    per_probe = (kernel * weights).sum(-1) / (sigma * math.sqrt(2 * math.pi))
    stderr = per_probe.std(dim=1) / math.sqrt(probes) if probes > 1 else torch.full_like(grid,
                                                                                         math.inf)
    return SpectralDensityResult(grid, per_probe.mean(dim=1), nodes, weights, stderr, matvecs,
                                 seed, bandwidth=sigma)
