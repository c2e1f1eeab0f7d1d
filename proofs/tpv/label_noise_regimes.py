r"""Scalar and frame steps of paper 000, App. C.2 (``tpv.label_noise_regimes`` and companion).

The matrix steps of App. C.2 (train TPV, ridge solution) come from the shared instance of
:mod:`theorylab.proofs.tpv.label_noise_spectral_sum`; here are the scalar regime steps
((1) gap and limits, (2a) substitution, (2b) limit) and the corrected (2a) identity
:math:`\mathrm{Tr}(V_rS^{-2}V_r^\top) = \mathrm{Tr}((JJ^\top)^{-1})` for :math:`r = n`.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.spec import DerivationStep

__all__ = ["gram_inverse_steps", "regime_scalar_steps"]


def regime_scalar_steps(samples: int, rank: int) -> list[DerivationStep]:
    """Scalar sympy steps for (1) gap and limits, (2a) substitution, (2b) limit."""
    sigma = sympy.Symbol("sigma_epsilon", positive=True)
    lam = sympy.Symbol("lambda", positive=True)
    values = sympy.symbols(f"s_1:{rank + 1}", positive=True)
    factors = [s**2 / (s**2 + lam) for s in values]
    train_ridge = sigma**2 * sum(f**2 for f in factors) / samples
    gap = (
        sigma**2
        / samples
        * ((samples - rank) + sum(lam * (2 * s**2 + lam) / (s**2 + lam) ** 2 for s in values))
    )
    b_diagonal = [s**2 / samples for s in values]  # (2a): B := S^2 / n
    test_2a = sigma**2 * sum(b / s**2 for b, s in zip(b_diagonal, values, strict=True))
    b_symbols = sympy.symbols(f"B_1:{rank + 1}", positive=True)
    test_general = sigma**2 * sum(b / s**2 for b, s in zip(b_symbols, values, strict=True))
    tag = f"[n={samples}, r={rank}] "
    return [
        equality_step(
            tag + "shrinkage_below_one",
            "App. C.2 (1)",
            r"\frac{s^2}{s^2+\lambda} = 1 - \frac{\lambda}{s^2+\lambda}",
            factors[0],
            1 - lam / (values[0] ** 2 + lam),
        ),
        equality_step(
            tag + "ridge_gap_positive",
            "App. C.2 (1)",
            r"\sigma^2 - \mathrm{TPV}_{tr} = \frac{\sigma^2}{n}\Big[(n-r) + \sum_i"
            r"\frac{\lambda(2s_i^2+\lambda)}{(s_i^2+\lambda)^2}\Big] > 0",
            sigma**2 - train_ridge,
            gap,
        ),
        equality_step(
            tag + "ridge_limit_zero",
            "App. C.2 (1) -> (2a)/(3)",
            r"\lim_{\lambda\to0^+}\mathrm{TPV}_{tr} = \sigma^2 r/n",
            sympy.limit(train_ridge, lam, 0, "+"),
            sigma**2 * sympy.Rational(rank, samples),
        ),
        equality_step(
            tag + "substitution_2a",
            "App. C.2 (2a)",
            r"B = S^2/n \Rightarrow \sigma^2\sum_i B_{ii}/s_i^2 = \sigma^2 r/n",
            test_2a,
            sigma**2 * sympy.Rational(rank, samples),
        ),
        equality_step(
            tag + "vanishing_noise_2b",
            "App. C.2 (2b)",
            r"\lim_{\sigma\to0}\mathrm{TPV}_{tr} = \lim_{\sigma\to0}\mathrm{TPV}_{te} = 0",
            sympy.Matrix([sympy.limit(train_ridge, sigma, 0), sympy.limit(test_general, sigma, 0)]),
            sympy.zeros(2, 1),
        ),
    ]


def gram_inverse_steps(samples: int, parameters: int) -> list[DerivationStep]:
    """(JJᵀ)⁻¹ = U S⁻² Uᵀ on Cayley frames and Tr(V S⁻² Vᵀ) = Tr((JJᵀ)⁻¹) at r = n."""
    left = cayley_orthogonal(samples, "u")
    right = cayley_orthogonal(parameters, "v")[:, :samples]
    values = sympy.symbols(f"s_1:{samples + 1}", positive=True)
    singular = sympy.diag(*values)
    jacobian = left * singular * right.T
    candidate = left * sympy.diag(*[1 / s**2 for s in values]) * left.T
    tag = f"[n={samples}, p={parameters}] "
    return [
        equality_step(
            tag + "gram_inverse_from_svd",
            "App. C.2 (2a)",
            r"(JJ^\top)\,U S^{-2}U^\top = I_n \ (r = n)",
            jacobian * jacobian.T * candidate,
            sympy.eye(samples),
            method="cancel",
        ),
        equality_step(
            tag + "test_tpv_isotropic",
            "Eq. 39 with H_te = I",
            r"\mathrm{Tr}(V_rS^{-2}V_r^\top) = \mathrm{Tr}((JJ^\top)^{-1})",
            (right * sympy.diag(*[1 / s**2 for s in values]) * right.T).trace(),
            candidate.trace(),
            method="cancel",
        ),
    ]
