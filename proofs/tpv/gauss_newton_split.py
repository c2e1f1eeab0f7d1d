r"""App. D.2 (Eq. 55-59) of paper 000: the Gauss-Newton split of the squared-loss Hessian."""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["gauss_newton_derivation"]


def gauss_newton_derivation(samples: int = 2, parameters: int = 2) -> list[DerivationStep]:
    r"""App. D.2, Eq. 55-59 for arbitrary smooth :math:`f(x_i; w)` (sympy undefined functions).

    :math:`\nabla^2 L` is obtained by differentiating :math:`L = \frac1{2n}\sum\varepsilon_i^2`
    twice; Eq. 55 and the split Eq. 56-57 are compared with it; at zero training loss
    (:math:`\varepsilon_i = 0`) :math:`R = 0` and :math:`\nabla^2L = H_{\mathrm{eff}}`
    exactly (Eq. 59 with no error).
    """
    n, p = samples, parameters
    weights = sympy.symbols(f"w_1:{p + 1}", real=True)
    targets = sympy.symbols(f"y_1:{n + 1}", real=True)
    outputs = [sympy.Function(f"f_{i + 1}")(*weights) for i in range(n)]
    loss = sum((outputs[i] - targets[i]) ** 2 for i in range(n)) / (2 * n)
    hessian = sympy.hessian(loss, weights)
    gradients = [sympy.Matrix([sympy.diff(f, w) for w in weights]) for f in outputs]
    second = [sympy.hessian(f, weights) for f in outputs]
    residuals = [outputs[i] - targets[i] for i in range(n)]
    eq55 = sum(
        (gradients[i] * gradients[i].T + residuals[i] * second[i] for i in range(n)),
        sympy.zeros(p, p),
    ) / n
    h_eff = sum((g * g.T for g in gradients), sympy.zeros(p, p)) / n
    remainder = sum((residuals[i] * second[i] for i in range(n)), sympy.zeros(p, p)) / n
    at_zero_loss = {targets[i]: outputs[i] for i in range(n)}
    return [
        equality_step(
            "hessian_of_squared_loss", "Eq. 55",
            r"\nabla^2L = \frac1n\sum_i\big(J_i^\top J_i + \varepsilon_i\nabla^2 f_i\big)",
            hessian, eq55, method="cancel",
        ),
        equality_step(
            "gauss_newton_split", "Eq. 56-57",
            r"\nabla^2 L = H_{\mathrm{eff}} + R", hessian, h_eff + remainder, method="cancel",
        ),
        equality_step(
            "zero_loss_hessian_is_effective_curvature", "Eq. 58-59 at ε = 0",
            r"\varepsilon = 0 \Rightarrow R = 0,\ \nabla^2L = H_{\mathrm{eff}}",
            hessian.subs(at_zero_loss), h_eff, method="cancel",
        ),
    ]
