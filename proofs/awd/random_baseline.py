r"""Corrected Eq. 40: the random-frame baseline of the coupling, integrated exactly."""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["coupling_limit_derivation"]


def coupling_limit_derivation(
    spike_counts: tuple[int, ...] = (2, 3, 4, 5, 6),
) -> list[DerivationStep]:
    r"""Corrected Eq. 40: the mean absolute cosine of two Gaussian vectors in :math:`\mathbb{R}^K`.

    Integrated from the density :math:`\propto(1-t^2)^{(K-3)/2}` of the cosine.

    For :math:`p\to\infty` the rows of a Haar frame's :math:`K` columns are i.i.d.
    :math:`\mathcal N(0, I_K/p)` and :math:`\rho_{ij}` is their cosine; the integral is compared
    with :math:`\Gamma(K/2)/(\sqrt\pi\,\Gamma((K+1)/2))`, and the paper's
    :math:`\sqrt{2/(\pi K)}` is its large-:math:`K` limit (ratio :math:`1 + 1/(4K) + \dots`).
    """
    t = sympy.Symbol("t", real=True)
    steps = []
    for spikes in spike_counts:
        density = (1 - t**2) ** sympy.Rational(spikes - 3, 2)
        mean_abs = (
            2 * sympy.integrate(t * density, (t, 0, 1)) / sympy.integrate(density, (t, -1, 1))
        )
        closed = sympy.gamma(sympy.Rational(spikes, 2)) / (
            sympy.sqrt(sympy.pi) * sympy.gamma(sympy.Rational(spikes + 1, 2))
        )
        steps.append(
            equality_step(
                f"mean_abs_cosine_K{spikes}",
                "corrected Eq. 40",
                r"\mathbb{E}|\cos\theta| = \Gamma(K/2)/(\sqrt\pi\,\Gamma(\tfrac{K+1}{2}))",
                sympy.simplify(mean_abs),
                sympy.simplify(closed),
            )
        )
    return steps
