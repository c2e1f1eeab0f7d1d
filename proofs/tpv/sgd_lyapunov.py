r"""App. D.3 (Eq. 60-74, Theorem 3.3) of paper 000: the SGD Lyapunov chain, step by step.

Built as described for App. D in :mod:`theorylab.proofs.tpv`: each "≈" step is recorded as
the exact identity for what it drops.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.proofs.tpv.common import column, matrix, second_moment_substitution, symmetric, trace
from theorylab.spec import DerivationStep

__all__ = ["lyapunov_derivation"]


@dataclass(frozen=True)
class _LyapunovInstance:
    """Symbolic ``H``, ``C``, ``Σ``, update of App. D.3 and a zero-loss linear model."""

    p: int
    n: int
    b: int
    rate: sympy.Symbol
    hessian: sympy.Matrix
    covariance: sympy.Matrix
    noise: sympy.Matrix
    deviation: sympy.Matrix
    xi: sympy.Matrix
    transition: sympy.Matrix
    update: sympy.Matrix
    jacobian: sympy.Matrix
    per_sample: list[sympy.Matrix]
    h_eff: sympy.Matrix


def lyapunov_derivation(
    parameters: int = 2, samples: int = 2, batch: int = 1
) -> list[DerivationStep]:
    r"""App. D.3, Eq. 60-74, on symbolic ``H``, ``C``, ``Σ`` and a zero-loss linear model.

    Exact steps: Eq. 64 (linearised update), Eq. 65 (second moments with
    :math:`\mathbb E[\delta w\,\xi^\top] = 0`), Eq. 67-68 (expansion), Eq. 69 (rearranging
    Eq. 66), the term Eq. 70 drops (:math:`\eta^2HCH`, exact), Eq. 71-73 (trace of Eq. 70),
    and the exact discrete identity :math:`\mathrm{Tr}(HC) = \frac\eta2\mathrm{Tr}\Sigma +
    \frac\eta2\mathrm{Tr}(H^2C)` at any solution of Eq. 66.

    Premises tested at a zero-training-loss minimiser of a linear model
    (:math:`\varepsilon = J\delta w`, ``n`` samples, batch ``b``, with replacement):
    ":math:`\xi_t` is independent of :math:`\delta w_t`" (Eq. 65's premise; false: its
    covariance is quadratic in :math:`\delta w` and zero at :math:`w^*`), and Eq. 74 with
    :math:`\sigma_\varepsilon^2 = \frac1n\mathbb E\|\varepsilon\|^2 = \mathrm{Tr}(H_{\mathrm
    {eff}}C)` and :math:`\nabla^2L = H_{\mathrm{eff}}` (D.2): it leaves
    :math:`\mathrm{Tr}(HC)(1 - \eta\mathrm{Tr}H/2b)`, which is not zero.
    """
    p, n, b = parameters, samples, batch
    rate = sympy.Symbol("eta", positive=True)
    hessian = symmetric("H", p)
    covariance = symmetric("C", p)
    noise = symmetric("S", p)
    deviation = column("dw", p)
    xi = column("xi", p)
    transition = sympy.eye(p) - rate * hessian
    update = deviation - rate * (hessian * deviation + xi)
    # zero-loss linear model: xi = (H_B - H) dw, enumerate batches with replacement
    jacobian = matrix("J", n, p)
    per_sample = [jacobian[i, :].T * jacobian[i, :] for i in range(n)]
    h_eff = sum(per_sample, sympy.zeros(p, p)) / n
    instance = _LyapunovInstance(
        p, n, b, rate, hessian, covariance, noise, deviation, xi, transition, update,
        jacobian, per_sample, h_eff,
    )
    return [
        *_moment_steps(instance),
        *_zero_loss_noise_steps(instance),
        *_lyapunov_algebra_steps(instance),
        *_zero_loss_eq74_steps(instance),
    ]


def _moment_steps(instance: _LyapunovInstance) -> list[DerivationStep]:
    """Eq. 60-65: linearised update and its second moments."""
    rate, covariance, noise = instance.rate, instance.covariance, instance.noise
    deviation, xi, transition = instance.deviation, instance.xi, instance.transition
    update = instance.update
    steps = [
        equality_step(
            "linearised_update", "Eq. 60-64",
            r"\delta w - \eta(H\delta w + \xi) = A\delta w - \eta\xi",
            update, transition * deviation - rate * xi, method="cancel",
        )
    ]
    second = second_moment_substitution(
        update * update.T, [(list(deviation), covariance), (list(xi), noise)]
    )
    steps.append(
        equality_step(
            "covariance_recursion", "Eq. 65",
            r"\mathbb E[\delta w_{t+1}\delta w_{t+1}^\top] = ACA^\top + \eta^2\Sigma_\xi"
            r"\ (\text{needs only }\mathbb E[\delta w\,\xi^\top]=0)",
            second, transition * covariance * transition.T + rate**2 * noise, method="cancel",
        )
    )
    return steps


def _zero_loss_noise_steps(instance: _LyapunovInstance) -> list[DerivationStep]:
    """Eq. 46 at a zero-loss minimiser: the noise is multiplicative and vanishes at w*."""
    p, n, b, deviation = instance.p, instance.n, instance.b, instance.deviation
    per_sample, h_eff = instance.per_sample, instance.h_eff
    steps = []
    batches = list(itertools.product(range(n), repeat=b))
    noises = [
        (sum((per_sample[i] for i in batch_), sympy.zeros(p, p)) / b - h_eff) * deviation
        for batch_ in batches
    ]
    noise_covariance = sum((x * x.T for x in noises), sympy.zeros(p, p)) / len(batches)
    at_minimum = noise_covariance.subs({d: 0 for d in deviation})
    steps.append(
        equality_step(
            "noise_vanishes_at_zero_loss_minimiser", "Eq. 46 at w*",
            r"\varepsilon(w^*) = 0 \Rightarrow \Sigma_\xi(w^*) = 0",
            at_minimum, sympy.zeros(p, p), method="cancel",
        )
    )
    steps.append(
        equality_step(
            "noise_independent_of_deviation", "Eq. 65 premise",
            r"\mathrm{Cov}(\xi_t\mid\delta w_t) = \Sigma_\xi(w^*)\ (\xi_t \perp \delta w_t)",
            noise_covariance, at_minimum, method="cancel",
        )
    )
    factor = sympy.Rational(1, b)
    multiplicative = factor * (
        sum((h * deviation * deviation.T * h for h in per_sample), sympy.zeros(p, p)) / n
        - h_eff * deviation * deviation.T * h_eff
    )
    steps.append(
        equality_step(
            "multiplicative_noise_covariance", "Eq. 46 with ε = Jδw",
            r"\mathrm{Cov}(\xi\mid\delta w) = \frac1b\Big(\frac1n\sum_i h_i\delta w\delta w^\top"
            r"h_i - H\delta w\delta w^\top H\Big)",
            noise_covariance, multiplicative, method="cancel",
        )
    )
    return steps


def _lyapunov_algebra_steps(instance: _LyapunovInstance) -> list[DerivationStep]:
    """Eq. 66-73 and the exact discrete trace identity."""
    rate, hessian, covariance = instance.rate, instance.hessian, instance.covariance
    noise, transition = instance.noise, instance.transition
    steps = []
    lyapunov_lhs = transition * covariance * transition.T
    steps.append(
        equality_step(
            "expansion", "Eq. 67-68",
            r"ACA^\top = C - \eta(HC + CH^\top) + \eta^2HCH^\top",
            lyapunov_lhs,
            covariance - rate * (hessian * covariance + covariance * hessian.T)
            + rate**2 * hessian * covariance * hessian.T,
            method="cancel",
        )
    )
    eq69 = (
        -rate * (hessian * covariance + covariance * hessian)
        + rate**2 * hessian * covariance * hessian
        + rate**2 * noise
    )
    steps.append(
        equality_step(
            "rearranged_discrete_lyapunov", "Eq. 66 → 69",
            r"ACA^\top + \eta^2\Sigma - C = -\eta(HC+CH) + \eta^2HCH + \eta^2\Sigma",
            lyapunov_lhs + rate**2 * noise - covariance, eq69, method="cancel",
        )
    )
    eq70_residual = -rate * (hessian * covariance + covariance * hessian - rate * noise)
    steps.append(
        equality_step(
            "continuous_limit_drops_eta2_HCH", "Eq. 69 → 70 (approximation)",
            r"\text{Eq. 69} - \big(-\eta(HC+CH-\eta\Sigma)\big) = \eta^2 HCH"
            r"\ (\text{relative size} \le \eta\lambda_{\max}/2)",
            eq69 - eq70_residual, rate**2 * hessian * covariance * hessian, method="cancel",
        )
    )
    steps.append(
        equality_step(
            "trace_symmetry", "Eq. 71-72",
            r"\mathrm{Tr}(CH^\top) = \mathrm{Tr}(HC)",
            trace(covariance * hessian.T), trace(hessian * covariance), method="cancel",
        )
    )
    steps.append(
        equality_step(
            "trace_of_continuous_lyapunov", "Eq. 73",
            r"\mathrm{Tr}(HC + CH - \eta\Sigma) = 2\big(\mathrm{Tr}(HC) - \tfrac\eta2"
            r"\mathrm{Tr}\Sigma\big)",
            trace(hessian * covariance + covariance * hessian - rate * noise),
            2 * (trace(hessian * covariance) - rate * trace(noise) / 2),
            method="cancel",
        )
    )
    discrete_defect = covariance - lyapunov_lhs - rate**2 * noise
    steps.append(
        equality_step(
            "exact_discrete_trace_identity", "Eq. 66 (exact trace)",
            r"\mathrm{Tr}(HC) - \tfrac\eta2\mathrm{Tr}(H^2C) - \tfrac\eta2\mathrm{Tr}\Sigma"
            r" = \tfrac1{2\eta}\mathrm{Tr}(C - ACA - \eta^2\Sigma)",
            trace(hessian * covariance) - rate * trace(hessian * hessian * covariance) / 2
            - rate * trace(noise) / 2,
            trace(discrete_defect) / (2 * rate),
            method="cancel",
        )
    )
    return steps


def _zero_loss_eq74_steps(instance: _LyapunovInstance) -> list[DerivationStep]:
    """Eq. 51 and Eq. 74 at a zero-training-loss minimiser of the linear model."""
    n, b, rate, covariance = instance.n, instance.b, instance.rate, instance.covariance
    deviation, jacobian, h_eff = instance.deviation, instance.jacobian, instance.h_eff
    steps = []
    residuals = jacobian * deviation
    residual_variance = second_moment_substitution(
        (residuals.T * residuals)[0, 0] / n, [(list(deviation), covariance)]
    )
    steps.append(
        equality_step(
            "zero_loss_residual_variance_is_train_tpv", "Eq. 51 at w*",
            r"\varepsilon = J\delta w \Rightarrow \sigma_\varepsilon^2 = \frac1n\mathbb E"
            r"\|\varepsilon\|^2 = \mathrm{Tr}(H_{\mathrm{eff}}C)",
            residual_variance, trace(h_eff * covariance), method="cancel",
        )
    )
    tpv = trace(h_eff * covariance)
    steps.append(
        equality_step(
            "eq74_at_zero_training_loss", "Eq. 74 (Theorem 3.3)",
            r"\mathrm{Tr}(H_{\mathrm{eff}}C) = \frac{\eta\sigma_\varepsilon^2}{2b}\mathrm{Tr}"
            r"\nabla^2L(w^*)\ \text{with }\sigma_\varepsilon^2 = \mathrm{Tr}(H_{\mathrm{eff}}C),"
            r"\ \nabla^2 L(w^*) = H_{\mathrm{eff}}",
            tpv, rate * residual_variance * trace(h_eff) / (2 * b), method="cancel",
        )
    )
    return steps
