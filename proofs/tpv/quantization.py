r"""Remark 3.4 / App. E of paper 000: TPV under uniform quantization noise (exact integrals)."""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.proofs.tpv.common import column, matrix, symmetric, trace
from theorylab.spec import DerivationStep

__all__ = ["quantization_derivation"]


def quantization_derivation(parameters: int = 2, samples: int = 2) -> list[DerivationStep]:
    r"""Remark 3.4 / App. E with exact integrals over :math:`\mathrm{Unif}(-\delta/2,\delta/2)^p`.

    Steps: :math:`\mathbb E[\delta w\,\delta w^\top] = \frac{\delta^2}{12}I`; the linearised
    TPV :math:`\frac1n\mathbb E\|J\delta w\|^2 = \frac{\delta^2}{12}\mathrm{Tr}H_{\mathrm
    {eff}}`; for a quadratic model :math:`\Delta f_i = g_i^\top\delta w + \frac12\delta
    w^\top Q_i\delta w` the cross term vanishes and the exact TPV is
    :math:`\frac{\delta^2}{12}\mathrm{Tr}H_{\mathrm{eff}} + \frac1{4n}\sum_i\big[\frac{\delta^4}
    {80}\sum_jQ_{i,jj}^2 + \frac{\delta^4}{144}\sum_{j\ne k}(Q_{i,jj}Q_{i,kk} + 2Q_{i,jk}^2)\big]`
    (an :math:`O(\delta^4)` correction).
    """
    p, n = parameters, samples
    step = sympy.Symbol("delta", positive=True)
    deviation = column("u", p)

    def uniform_mean(expression: sympy.Expr) -> sympy.Expr:
        result = sympy.expand(expression)
        for symbol in deviation:
            result = sympy.integrate(result, (symbol, -step / 2, step / 2)) / step
        return sympy.expand(result)

    outer = (deviation * deviation.T).applyfunc(uniform_mean)
    steps = [
        equality_step(
            "uniform_covariance", "Remark 3.4, App. E",
            r"\mathbb E[\delta w\delta w^\top] = \frac{\delta^2}{12}I_p",
            outer, step**2 / 12 * sympy.eye(p), method="cancel",
        )
    ]
    jacobian = matrix("J", n, p)
    h_eff = jacobian.T * jacobian / n
    linear_tpv = uniform_mean(((jacobian * deviation).T * (jacobian * deviation))[0, 0] / n)
    steps.append(
        equality_step(
            "linearised_quantization_tpv", "Eq. 12",
            r"\frac1n\mathbb E\|J\delta w\|^2 = \frac{\delta^2}{12}\mathrm{Tr}H_{\mathrm{eff}}",
            linear_tpv, step**2 / 12 * trace(h_eff), method="cancel",
        )
    )
    curvatures = [symmetric(f"Q{i + 1}", p) for i in range(n)]
    changes = [
        (jacobian[i, :] * deviation)[0, 0]
        + (deviation.T * curvatures[i] * deviation)[0, 0] / 2
        for i in range(n)
    ]
    exact = uniform_mean(sum(change**2 for change in changes) / n)
    fourth, second = step**4 / 80, step**2 / 12
    correction = sum(
        sum(q[j, j] ** 2 for j in range(p)) * fourth
        + sum(
            (q[j, j] * q[k, k] + 2 * q[j, k] ** 2) * second**2
            for j in range(p)
            for k in range(p)
            if j != k
        )
        for q in curvatures
    ) / (4 * n)
    steps.append(
        equality_step(
            "quadratic_model_exact_tpv", "Eq. 12 (error term)",
            r"\mathrm{TPV} = \frac{\delta^2}{12}\mathrm{Tr}H_{\mathrm{eff}} + O(\delta^4)"
            r"\ \text{(exact fourth-moment term, odd term zero)}",
            exact, second * trace(h_eff) + correction, method="cancel",
        )
    )
    steps.append(
        equality_step(
            "uniform_fourth_moment", "App. E (moments)",
            r"\mathbb E[u^4] = \delta^4/80",
            uniform_mean(deviation[0] ** 4), fourth, method="cancel",
        )
    )
    return steps
