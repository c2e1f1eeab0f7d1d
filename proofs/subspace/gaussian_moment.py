"""Symbolic check of ``subspace.gaussian_moment`` (paper 003, Eq. 14-15, 20-21)."""

from __future__ import annotations

from theorylab.proofs.steps import equality_step
from theorylab.proofs.subspace.common import gaussian_expectation, surrogate_moments
from theorylab.spec import DerivationStep

__all__ = ["gaussian_moment_derivation"]


def gaussian_moment_derivation(dimension: int) -> list[DerivationStep]:
    """Eq. 20, Eq. 21 and Eq. 14-15 for symbolic ``a``, ``c``, ``B``, ``σ`` (exact moments)."""
    a, sigma, c, B, z, quadratic, linear = surrogate_moments(dimension)
    variance = sigma**2
    trace = B.trace()
    trace_square = (B * B).trace()
    return [
        equality_step(
            f"eq20_D{dimension}", "Eq. 20", r"\mathbb E(c^\top z)^2 = \sigma^2\|c\|^2",
            gaussian_expectation(linear**2, list(z), variance), variance * (c.T * c)[0, 0],
        ),
        equality_step(
            f"eq21_D{dimension}", "Eq. 21",
            r"\mathbb E(z^\top Bz)^2 = \sigma^4(2\mathrm{Tr}B^2 + (\mathrm{Tr}B)^2)",
            gaussian_expectation(quadratic**2, list(z), variance),
            variance**2 * (2 * trace_square + trace**2),
        ),
        equality_step(
            f"eq15_D{dimension}", "Eq. 14-15",
            r"\mathbb E(a+c^\top z+\tfrac12 z^\top Bz)^2 = a^2 + a\sigma^2\mathrm{Tr}B + "
            r"\sigma^2\|c\|^2 + \tfrac{\sigma^4}{4}(2\mathrm{Tr}B^2+(\mathrm{Tr}B)^2)",
            gaussian_expectation((a + linear + quadratic / 2) ** 2, list(z), variance),
            a**2 + a * variance * trace + variance * (c.T * c)[0, 0]
            + variance**2 / 4 * (2 * trace_square + trace**2),
        ),
    ]
