r"""App. D.1 (Eq. 42-54) of paper 000: the minibatch gradient covariance, step by step.

Each "≈" step of App. D.1 is recorded as the exact identity for what it drops (the method of
:mod:`theorylab.proofs.tpv`), with the expectation over minibatches taken in closed form.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy

from theorylab.proofs.steps import equality_step, expectation_isotropic
from theorylab.proofs.tpv.common import column, matrix, trace
from theorylab.spec import DerivationStep

__all__ = ["sgd_noise_derivation"]


@dataclass(frozen=True)
class _NoiseInstance:
    """The symbolic Jacobian, residuals and per-sample gradients of App. D.1."""

    n: int
    p: int
    b: int
    jacobian: sympy.Matrix
    residuals: sympy.Matrix
    gradients: list[sympy.Matrix]
    mean_gradient: sympy.Matrix
    squares: sympy.Matrix
    eq45: sympy.Matrix


def sgd_noise_derivation(samples: int = 3, parameters: int = 2, batch: int = 2) -> list[
    DerivationStep
]:
    r"""App. D.1, Eq. 42-54 on a symbolic Jacobian ``J`` (n×p) and residuals ``ε``.

    Steps: Eq. 42→43→44/45 from the covariance of a uniformly drawn per-sample gradient;
    Eq. 46 by averaging over all :math:`n^b` ordered batches (and the finite-population
    factor over all :math:`\binom nb` subsets); Approximation 1 drops exactly
    :math:`\frac1b\nabla L\nabla L^\top`; Eq. 48-50 trace cyclicity; Eq. 51-54 under
    zero-mean i.i.d. residuals independent of ``J``, with the exact remainder
    :math:`\sigma^2\mathrm{Tr}(H_{\mathrm{eff}})/(bn)` (a relative error of exactly ``1/n``).
    """
    n, p, b = samples, parameters, batch
    jacobian = matrix("J", n, p)
    residuals = column("e", n)
    rows = [jacobian[i, :].T for i in range(n)]
    gradients = [residuals[i] * rows[i] for i in range(n)]
    mean_gradient = sum(gradients, sympy.zeros(p, 1)) / n
    squares = sympy.diag(*[residuals[i] ** 2 for i in range(n)])
    eq45 = (
        jacobian.T * squares * jacobian / n
        - jacobian.T * residuals * residuals.T * jacobian / n**2
    )
    instance = _NoiseInstance(n, p, b, jacobian, residuals, gradients, mean_gradient, squares, eq45)
    return [
        *_sample_covariance_steps(instance),
        *_minibatch_steps(instance),
        *_approximation_steps(instance),
    ]


def _sample_covariance_steps(instance: _NoiseInstance) -> list[DerivationStep]:
    """Eq. 42-45: covariance of a uniformly drawn per-sample gradient, matrix form."""
    n, p, jacobian, residuals = instance.n, instance.p, instance.jacobian, instance.residuals
    gradients, mean_gradient, eq45 = instance.gradients, instance.mean_gradient, instance.eq45
    covariance_definition = sum(
        ((g - mean_gradient) * (g - mean_gradient).T for g in gradients), sympy.zeros(p, p)
    ) / n
    eq43 = sum((g * g.T for g in gradients), sympy.zeros(p, p)) / n - mean_gradient * (
        mean_gradient.T
    )
    return [
        equality_step(
            "covariance_of_uniform_index", "Eq. 42-43",
            r"\mathrm{Cov}(g_I) = \frac1n\sum_i g_ig_i^\top - gg^\top",
            covariance_definition, eq43, method="cancel",
        ),
        equality_step(
            "matrix_form", "Eq. 44-45",
            r"\Sigma_{\mathrm{sample}} = \frac1n J^\top A_2 J - \frac1{n^2}J^\top\varepsilon"
            r"\varepsilon^\top J", eq43, eq45, method="cancel",
        ),
        equality_step(
            "full_gradient", "Eq. before 42",
            r"g = \frac1n\sum_i g_i = \frac1n J^\top\varepsilon",
            mean_gradient, jacobian.T * residuals / n, method="cancel",
        ),
    ]


def _minibatch_steps(instance: _NoiseInstance) -> list[DerivationStep]:
    """Eq. 46: all n^b ordered batches (with replacement) and all subsets (without)."""
    n, p, b, gradients, eq45 = instance.n, instance.p, instance.b, instance.gradients, instance.eq45
    steps = []

    def batch_covariance(batches: list[tuple[int, ...]]) -> sympy.Matrix:
        means = [sum((gradients[i] for i in batch_), sympy.zeros(p, 1)) / b for batch_ in batches]
        centre = sum(means, sympy.zeros(p, 1)) / len(batches)
        return sum(((m - centre) * (m - centre).T for m in means), sympy.zeros(p, p)) / len(
            batches
        )

    with_replacement = batch_covariance(list(itertools.product(range(n), repeat=b)))
    steps.append(
        equality_step(
            "minibatch_with_replacement", "Eq. 46",
            r"\mathrm{Cov}(g_B) = \frac1b\Sigma_{\mathrm{sample}}"
            r"\ (\text{all } n^b \text{ tuples})",
            with_replacement, eq45 / b, method="cancel",
        )
    )
    without = batch_covariance(list(itertools.combinations(range(n), b)))
    factor = sympy.Rational(n - b, b * (n - 1))
    steps.append(
        equality_step(
            "minibatch_without_replacement", "Eq. 46 (variant)",
            r"\mathrm{Cov}(g_B) = \frac{n-b}{b(n-1)}\Sigma_{\mathrm{sample}}"
            r"\ (\text{all }\binom nb\text{ subsets})",
            without, factor * eq45, method="cancel",
        )
    )
    return steps


def _approximation_steps(instance: _NoiseInstance) -> list[DerivationStep]:
    """Approximation 1 (Eq. 47), trace cyclicity (Eq. 48-50) and Approximation 2 (Eq. 51-54)."""
    n, b, jacobian, residuals = instance.n, instance.b, instance.jacobian, instance.residuals
    squares, mean_gradient, eq45 = instance.squares, instance.mean_gradient, instance.eq45
    steps = []
    eq46 = eq45 / b
    eq47 = jacobian.T * squares * jacobian / (b * n)
    steps.append(
        equality_step(
            "approximation_1_drops_gradient_outer_product", "Eq. 46 → 47",
            r"\Sigma_\xi - \frac1{bn}J^\top A_2J = -\frac1b\nabla L\,\nabla L^\top"
            r"\ (\text{zero iff } \nabla L = 0\text{; no } 1/n \text{ factor relative to Eq. 47})",
            eq46 - eq47, -mean_gradient * mean_gradient.T / b, method="cancel",
        )
    )
    gram = jacobian * jacobian.T
    steps.append(
        equality_step(
            "trace_cyclicity", "Eq. 48-50",
            r"\mathrm{Tr}(J^\top A_2J) = \mathrm{Tr}(A_2JJ^\top)"
            r" = \sum_i\varepsilon_i^2(JJ^\top)_{ii}",
            trace(jacobian.T * squares * jacobian),
            sum(residuals[i] ** 2 * gram[i, i] for i in range(n)),
            method="cancel",
        )
    )
    variance = sympy.Symbol("sigma2", positive=True)
    h_eff = jacobian.T * jacobian / n
    expected_eq50 = expectation_isotropic(
        sum(residuals[i] ** 2 * gram[i, i] for i in range(n)) / (b * n), list(residuals), variance
    )
    steps.append(
        equality_step(
            "residual_variance_substitution", "Eq. 51-54",
            r"\mathbb E\frac1{bn}\sum_i\varepsilon_i^2(JJ^\top)_{ii} = \frac{\sigma^2}{bn}"
            r"\mathrm{Tr}(JJ^\top) = \frac{\sigma^2}{b}\mathrm{Tr}H_{\mathrm{eff}}",
            expected_eq50, variance * trace(h_eff) / b, method="cancel",
        )
    )
    expected_exact = expectation_isotropic(trace(eq46), list(residuals), variance)
    steps.append(
        equality_step(
            "eq54_exact_remainder", "Eq. 46 vs 54",
            r"\mathbb E\,\mathrm{Tr}\Sigma_\xi = \frac{\sigma^2}{b}\Big(1-\frac1n\Big)"
            r"\mathrm{Tr}H_{\mathrm{eff}}\ (\text{i.i.d. zero-mean residuals})",
            expected_exact, variance * (1 - sympy.Rational(1, n)) * trace(h_eff) / b,
            method="cancel",
        )
    )
    steps.append(
        equality_step(
            "effective_curvature_trace", "Eq. 53",
            r"\mathrm{Tr}(JJ^\top) = n\,\mathrm{Tr}H_{\mathrm{eff}}",
            trace(gram), n * trace(h_eff), method="cancel",
        )
    )
    return steps
