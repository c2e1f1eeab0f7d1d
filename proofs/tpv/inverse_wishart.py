r"""Exact inverse-Wishart mean: the corrected companion of paper 000, Remark 3.1.

:func:`inverse_wishart_derivation`: for Gaussian rows the Bartlett decomposition
:math:`XX^\top \overset{d}{=} LL^\top` (:math:`L_{ii}^2 \sim \chi^2_{d-i+1}`,
:math:`L_{ij} \sim \mathcal{N}(0, 1)`, independent) gives :math:`\mathbb{E}(XX^\top)^{-1} =
I_n/(d-n-1)`, hence :math:`\mathbb{E}\,\mathrm{TPV} = \sigma^2 n/(d-n-1)`, whose relative
excess over the remark's :math:`\sigma^2 n/d` is :math:`(n+1)/(d-n-1)`. Used by
``tpv.linear_label_noise.corrected`` and ``tpv.label_noise_regimes.corrected``.
"""

from __future__ import annotations

import sympy

from theorylab.errors import ParameterError
from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["inverse_wishart_derivation"]


def _bartlett_factor(samples: int) -> tuple[sympy.Matrix, list[sympy.Symbol], list[sympy.Symbol]]:
    diagonal = [sympy.Symbol(f"l_{i + 1}", positive=True) for i in range(samples)]
    below: list[sympy.Symbol] = []
    factor = sympy.zeros(samples, samples)
    for i in range(samples):
        factor[i, i] = diagonal[i]
        for j in range(i):
            symbol = sympy.Symbol(f"g_{i + 1}{j + 1}", real=True)
            below.append(symbol)
            factor[i, j] = symbol
    return factor, diagonal, below


def _gaussian_moment(expression: sympy.Expr, normals: list[sympy.Symbol]) -> sympy.Expr:
    r""":math:`\mathbb{E}` over independent standard normals: :math:`\mathbb{E}g^{k} = (k-1)!!`."""
    if not normals:
        return sympy.expand(expression)
    polynomial = sympy.Poly(sympy.expand(expression), *normals)
    total = sympy.Integer(0)
    for exponents, coefficient in polynomial.terms():
        weight = sympy.Integer(1)
        for power in exponents:
            weight *= 0 if power % 2 else sympy.factorial2(power - 1)
        total += coefficient * weight
    return sympy.expand(total)


def _inverse_chi_square(
    expression: sympy.Expr, diagonal: list[sympy.Symbol], degrees: list[sympy.Expr]
) -> tuple[sympy.Expr, bool]:
    r"""Replace :math:`l_i^{-2}` by :math:`\mathbb{E}[1/\chi^2_{k_i}] = 1/(k_i-2)`.

    Returns the expectation and whether every monomial had each :math:`l_i` to the power 0
    or :math:`-2` only (the only moments the substitution is valid for).
    """
    total = sympy.Integer(0)
    valid = True
    for term in sympy.Add.make_args(sympy.expand(expression)):
        powers = term.as_powers_dict()
        value = term
        for symbol, degree in zip(diagonal, degrees, strict=True):
            power = powers.get(symbol, 0)
            if power not in (0, -2):
                valid = False
            if power == -2:
                value = value * symbol**2 / (degree - 2)
        total += value
    return sympy.simplify(total), valid


def _chi_square_moment_step() -> DerivationStep:
    r""":math:`\mathbb{E}[1/\chi^2_k] = 1/(k-2)` by a sympy integral (valid for :math:`k > 2`)."""
    k = sympy.Symbol("k", positive=True)
    t = sympy.Symbol("t", positive=True)
    density = t ** (k / 2 - 1) * sympy.exp(-t / 2) / (2 ** (k / 2) * sympy.gamma(k / 2))
    inverse_moment = sympy.gammasimp(
        sympy.integrate(density / t, (t, 0, sympy.oo), conds="none")
    )
    return equality_step(
        "inverse_chi_square_moment",
        "inverse Wishart (k > 2)",
        r"\mathbb{E}[1/\chi^2_k] = \int_0^\infty t^{-1} f_{\chi^2_k}(t)\,dt = 1/(k-2)",
        inverse_moment,
        1 / (k - 2),
    )


def _bartlett_steps(samples: int, d: sympy.Symbol) -> list[DerivationStep]:
    r"""Bartlett factor :math:`L`: :math:`\mathbb{E}(LL^\top)^{-1} = I_n/(d-n-1)` and its trace."""
    factor, diagonal, below = _bartlett_factor(samples)
    factor_inverse = factor.inv().applyfunc(sympy.cancel)
    inverse_gram = (factor * factor.T).inv().applyfunc(sympy.cancel)
    second_moment = (factor_inverse.T * factor_inverse).applyfunc(sympy.expand)
    gaussian_averaged = second_moment.applyfunc(lambda entry: _gaussian_moment(entry, below))
    degrees = [d - i for i in range(samples)]  # L_ii^2 ~ chi^2_{d - i + 1}, i = 1..n
    expectation = sympy.zeros(samples, samples)
    all_valid = True
    for i in range(samples):
        for j in range(samples):
            expectation[i, j], valid = _inverse_chi_square(
                gaussian_averaged[i, j], diagonal, degrees
            )
            all_valid = all_valid and valid
    return [
        equality_step(
            "bartlett_trace",
            "Bartlett decomposition",
            r"(LL^\top)^{-1} = L^{-\top}L^{-1}",
            inverse_gram,
            (factor_inverse.T * factor_inverse).applyfunc(sympy.cancel),
            method="cancel",
        ),
        equality_step(
            "moments_applicable",
            "Bartlett decomposition",
            r"\text{every } L_{ii} \text{ occurs in } L^{-\top}L^{-1} \text{ with power } 0"
            r"\text{ or } -2 \text{ only}",
            sympy.Integer(int(all_valid)),
            sympy.Integer(1),
        ),
        equality_step(
            "inverse_wishart_mean",
            "Remark 3.1 (corrected)",
            r"\mathbb{E}(XX^\top)^{-1} = I_n/(d-n-1)",
            expectation,
            sympy.eye(samples) / (d - samples - 1),
        ),
        equality_step(
            "expected_tpv",
            "Remark 3.1 (corrected)",
            r"\mathbb{E}\,\mathrm{Tr}((XX^\top)^{-1}) = n/(d-n-1)",
            expectation.trace(),
            sympy.Integer(samples) / (d - samples - 1),
        ),
    ]


def _error_law_steps(samples: int, d: sympy.Symbol) -> list[DerivationStep]:
    """The exact mean against the remark's n/d: relative excess and sign of the gap."""
    exact_trace = sympy.Integer(samples) / (d - samples - 1)
    remark = sympy.Integer(samples) / d
    return [
        equality_step(
            "relative_excess_over_n_over_d",
            "Remark 3.1 (error law)",
            r"\frac{n/(d-n-1)}{n/d} - 1 = \frac{n+1}{d-n-1}",
            exact_trace / remark - 1,
            sympy.Integer(samples + 1) / (d - samples - 1),
        ),
        equality_step(
            "n_over_d_underestimates",
            "Remark 3.1 (error law)",
            r"\frac{n}{d-n-1} - \frac{n}{d} = \frac{n(n+1)}{d(d-n-1)} > 0",
            exact_trace - remark,
            sympy.Integer(samples * (samples + 1)) / (d * (d - samples - 1)),
        ),
    ]


def inverse_wishart_derivation(samples: int = 2) -> list[DerivationStep]:
    r"""Exact :math:`\mathbb{E}\,\mathrm{Tr}((XX^\top)^{-1}) = n/(d-n-1)` for Gaussian rows.

    Steps: the inverse chi-square moment :math:`\int_0^\infty t^{-1}f_{\chi^2_k}(t)\,dt =
    1/(k-2)` (sympy integral, valid for :math:`k > 2`); the Bartlett factor identity
    :math:`\mathrm{Tr}((LL^\top)^{-1}) = \|L^{-1}\|_F^2`; the Gaussian moments of the
    below-diagonal entries and the inverse chi-square moments of the diagonal
    (:math:`L_{ii}^2 \sim \chi^2_{d-i+1}`) give :math:`\mathbb{E}(LL^\top)^{-1} =
    I_n/(d-n-1)`; its trace against the remark's :math:`n/d`: the relative excess is
    :math:`(n+1)/(d-n-1)` and the difference :math:`n(n+1)/(d(d-n-1)) > 0`.

    Raises
    ------
    ParameterError
        If ``samples < 1``.

    Examples
    --------
    >>> all(step.holds for step in inverse_wishart_derivation(1))
    True
    """
    if samples < 1:
        raise ParameterError(f"samples must be at least 1, got {samples}")
    d = sympy.Symbol("d", positive=True)
    return [_chi_square_moment_step(), *_bartlett_steps(samples, d), *_error_law_steps(samples, d)]
