r"""Premise audit of ``tpv.linear_label_noise``: 'TPV ≈ σ² n/d' for whitened rows of random norm.

Remark 3.1 derives :math:`\mathbb E(XX^\top)^{-1}\approx I/d` "under isotropic/whitened
assumptions on the rows of X" and cites Wishart; ``wishart_approximation_error_law`` draws
Gaussian rows only. Rows :math:`x = r\,u` with ``u`` uniform on the sphere of radius
:math:`\sqrt d` and an independent radius, :math:`r^2\in\{\tfrac12,\tfrac32\}` equiprobable,
are isotropic and whitened (:math:`\mathbb E xx^\top = \mathbb E r^2\,I = I`), yet
:math:`\mathrm{Tr}((XX^\top)^{-1}) = \sum_i ((UU^\top)^{-1})_{ii}/r_i^2` gives

.. math::
    \mathbb E\,\mathrm{Tr}((XX^\top)^{-1})
    = \mathbb E[r^{-2}]\;\mathbb E\,\mathrm{Tr}((UU^\top)^{-1}) \ \ge\ \tfrac43\,\tfrac nd,

so the relative error of :math:`n/d` stays above 1/3 however small :math:`n/d` is. The
smallest case is ``n = 1``: :math:`\mathrm{Tr}((xx^\top)^{-1}) = 1/\|x\|^2` with
:math:`\|x\|^2\in\{d/2, 3d/2\}`, mean :math:`\tfrac43\cdot\tfrac1d` for every ``d``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from theorylab.claims.tpv.common import Z_LIMIT
from theorylab.claims.tpv.linear_label_noise import LINEAR_LABEL_NOISE
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Finding, Verdict

__all__ = ["RADII_SQUARED", "minimal_radial_instance", "radial_inverse_gram_traces"]

RADII_SQUARED = (0.5, 1.5)
"""Equiprobable squared radii: mean 1 (whitened), E r^-2 = 4/3."""
GRID = ((2, 32), (2, 128), (2, 512), (4, 64), (4, 256), (4, 1024))


def radial_inverse_gram_traces(
    rng: np.random.Generator, samples: int, dimension: int, draws: int
) -> tuple[np.ndarray, np.ndarray]:
    """``Tr((XX^T)^-1)`` for rows ``r u`` and, on the same directions, for rows ``u``.

    Draws are made in chunks of at most 500 designs to bound memory (``d`` up to 1024).
    """
    mixed, sphere = [], []
    for start in range(0, draws, 500):
        count = min(500, draws - start)
        directions = rng.standard_normal((count, samples, dimension))
        directions *= np.sqrt(dimension) / np.linalg.norm(directions, axis=2, keepdims=True)
        radii = np.sqrt(rng.choice(RADII_SQUARED, size=(count, samples)))
        gram = directions @ directions.transpose(0, 2, 1)
        scaled = radii[:, :, None] * gram * radii[:, None, :]  # (R U)(R U)^T = R G R
        mixed.append(np.sum(1.0 / np.linalg.eigvalsh(scaled), axis=1))
        sphere.append(np.sum(1.0 / np.linalg.eigvalsh(gram), axis=1))
    return np.concatenate(mixed), np.concatenate(sphere)


def _paired_z(differences: np.ndarray) -> float:
    """The z-score of the mean of paired differences (same directions) against 0."""
    return float(differences.mean() / (differences.std(ddof=1) / np.sqrt(differences.size)))


def minimal_radial_instance(dimension: int = 1024) -> tuple[dict[str, object], Fraction, Fraction]:
    """``n = 1`` in fractions: (instance, claimed n/d, exact E Tr((xx^T)^-1) = E 1/|x|^2)."""
    norms = [Fraction(dimension) * Fraction(r).limit_denominator(8) for r in RADII_SQUARED]
    actual = sum((1 / v for v in norms), Fraction(0)) / len(norms)
    instance = {"n": 1, "d": dimension, "squared_norms": [int(v) for v in norms],
                "mean_squared_norm": str(sum(norms) / len(norms)),  # whitened: = Tr I_d = d
                "row_law": "x = r u, u uniform on the sphere of radius sqrt(d), r^2 in "
                           "{1/2, 3/2} equiprobable (isotropic, E xx^T = I_d)"}
    return instance, Fraction(1, dimension), actual


@CATALOG.check(
    LINEAR_LABEL_NOISE,
    kind=CheckKind.EXACT,
    description=(
        "premise audit: 'TPV ≈ σ² n/d' for isotropic whitened rows that are not Gaussian: "
        "x = r u (u on the √d-sphere, r² ∈ {1/2, 3/2}); Monte Carlo of E Tr((XXᵀ)⁻¹) on an "
        "(n, d) grid down to n/d = 1/256, and the exact n = 1 case"
    ),
)
def radial_whitened_rows(context: CheckContext) -> Finding:
    """Relative error of n/d for whitened rows of random norm, down to n/d = 1/256."""
    rng = context.rng()
    draws = 8000 if context.full else 2000  # chunked: memory ~ 500 n d floats
    factor = float(np.mean([1.0 / r for r in RADII_SQUARED]))  # E r^-2 = 4/3
    points = []
    for samples, dimension in GRID:
        mixed, sphere = radial_inverse_gram_traces(rng, samples, dimension, draws)
        approx = samples / dimension
        mean = float(mixed.mean())
        stderr = float(mixed.std(ddof=1) / np.sqrt(draws))
        points.append({
            "n": samples, "d": dimension, "relative_error": mean / approx - 1.0,
            "stderr": stderr / approx,
            "gaussian_law": (samples + 1) / (dimension - samples - 1),
            "floor": factor - 1.0,
            "z_factorised": _paired_z(mixed - factor * sphere),
        })
    smallest = min(points, key=lambda p: p["n"] / p["d"])
    vanishes = smallest["relative_error"] <= 2 * smallest["gaussian_law"] + (
        Z_LIMIT * smallest["stderr"])
    z_max = max(abs(p["z_factorised"]) for p in points)
    above_floor = all(p["relative_error"] >= p["floor"] - Z_LIMIT * p["stderr"] for p in points)
    instance, claimed, actual = minimal_radial_instance()
    summary = (
        f"whitened isotropic rows r·u, r² ∈ {{1/2, 3/2}}: relative error of n/d is "
        f"{smallest['relative_error']:.3f} ± {smallest['stderr']:.3f} at (n, d) = "
        f"({smallest['n']}, {smallest['d']}) (Gaussian law {smallest['gaussian_law']:.4f}; floor "
        f"E r⁻² − 1 = 1/3, all points above it: {above_floor}; factorisation E r⁻² · sphere "
        f"max |z| {z_max:.2f}); n = 1, d = 1024: E 1/|x|² = {actual} vs n/d = {claimed}"
    )
    if z_max > Z_LIMIT:
        return Finding(verdict=Verdict.INCONCLUSIVE, summary=summary, details={"points": points})
    return judged(
        vanishes,
        summary,
        supported=Verdict.HOLDS_APPROX,
        instance=lambda: instance,
        claimed=f"TPV/sigma^2 ~ n/d = {claimed}",
        actual=f"E TPV/sigma^2 = E 1/|x|^2 = {actual} (ratio {actual / claimed})",
        message=(
            "isotropic whitened rows x = r u with r^2 in {1/2, 3/2}: E Tr((XX^T)^-1) = "
            "E[r^-2] E Tr((UU^T)^-1) >= (4/3) n/d for every n <= d; at n = 1, d = 1024: "
            f"{actual} vs n/d = {claimed}"
        ),
        residual=smallest["relative_error"],
        bound=2 * smallest["gaussian_law"],
        error_law="relative error -> E[r^-2] - 1 = 1/3 as n/d -> 0 (not 0)",
        sizes={"grid_points": len(points), "draws": draws},
        instances=len(points) * draws,
        details={"points": points},
    )
