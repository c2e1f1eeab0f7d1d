r"""Symbolic checks of paper 000, App. D (SGD noise, Gauss-Newton split, Lyapunov) and App. E.

Every step of the paper's derivations is rebuilt on a small symbolic instance and compared
with sympy; expectations are computed from the construction (averages over enumerated
minibatches, moment substitution, exact integrals), never by substituting the claimed
result. Steps the paper marks "≈" are recorded as the *exact* identity for what they drop
(e.g. Eq. 69 minus Eq. 70 is exactly :math:`\eta^2 HCH`), so each approximation is named
with its exact error term; the size of that term is measured numerically by the claims.

* :func:`sgd_noise_derivation` — App. D.1, Eq. 42-54.
* :func:`gauss_newton_derivation` — App. D.2, Eq. 55-59.
* :func:`lyapunov_derivation` — App. D.3, Eq. 60-74 and the zero-loss consistency of Eq. 74.
* :func:`quantization_derivation` — Remark 3.4 / App. E, with the exact O(δ⁴) correction for
  a quadratic model.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy

from theorylab.proofs.steps import equality_step, expectation_isotropic
from theorylab.spec import DerivationStep

__all__ = [
    "gauss_newton_derivation",
    "lyapunov_derivation",
    "quantization_derivation",
    "second_moment_substitution",
    "sgd_noise_derivation",
]


def _matrix(name: str, rows: int, columns: int) -> sympy.Matrix:
    return sympy.Matrix(
        rows, columns, lambda i, j: sympy.Symbol(f"{name}_{i + 1}{j + 1}", real=True)
    )


def _symmetric(name: str, size: int) -> sympy.Matrix:
    return sympy.Matrix(
        size,
        size,
        lambda i, j: sympy.Symbol(f"{name}_{min(i, j) + 1}{max(i, j) + 1}", real=True),
    )


def _column(name: str, size: int) -> sympy.Matrix:
    return sympy.Matrix([sympy.Symbol(f"{name}_{i + 1}", real=True) for i in range(size)])


def _trace(matrix: sympy.Matrix) -> sympy.Expr:
    return sympy.expand(matrix.trace())


def second_moment_substitution(
    expression: sympy.Matrix | sympy.Expr,
    variables: Sequence[tuple[Sequence[sympy.Symbol], sympy.Matrix]],
    cross_zero: bool = True,
) -> sympy.Matrix | sympy.Expr:
    r"""Expectation of a polynomial of degree ≤ 2 in zero-mean random vectors.

    ``variables`` lists ``(symbols, second_moment)`` pairs: :math:`\mathbb E[x_i x_j] =
    M_{ij}`, :math:`\mathbb E[x_i] = 0`; with ``cross_zero`` different vectors are
    uncorrelated (:math:`\mathbb E[x_i y_j] = 0`), the only assumption Eq. 65 needs.

    Examples
    --------
    >>> x, y = sympy.symbols("x y")
    >>> second_moment_substitution(3 * x**2 + x * y + 1, [([x], sympy.Matrix([[2]])),
    ...                                                ([y], sympy.Matrix([[5]]))])
    7
    """
    if isinstance(expression, sympy.MatrixBase):
        return expression.applyfunc(
            lambda entry: second_moment_substitution(entry, variables, cross_zero)
        )
    owner: dict[sympy.Symbol, tuple[int, int]] = {}
    for group, (symbols, _) in enumerate(variables):
        for index, symbol in enumerate(symbols):
            owner[symbol] = (group, index)
    generators = list(owner)
    polynomial = sympy.Poly(sympy.expand(expression), *generators)
    total = sympy.Integer(0)
    for exponents, coefficient in polynomial.terms():
        present = [
            generators[k] for k, power in enumerate(exponents) for _ in range(power)
        ]
        if not present:
            total += coefficient
        elif len(present) == 1:
            continue
        elif len(present) == 2:
            (group_a, index_a), (group_b, index_b) = owner[present[0]], owner[present[1]]
            if group_a == group_b:
                total += coefficient * variables[group_a][1][index_a, index_b]
            elif not cross_zero:
                raise ValueError("cross moments are not specified")
        else:
            raise ValueError("degree above 2: moments not specified")
    return sympy.expand(total)


# --------------------------------------------------------------------------- D.1


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
    jacobian = _matrix("J", n, p)
    residuals = _column("e", n)
    rows = [jacobian[i, :].T for i in range(n)]
    gradients = [residuals[i] * rows[i] for i in range(n)]
    mean_gradient = sum(gradients, sympy.zeros(p, 1)) / n
    covariance_definition = sum(
        ((g - mean_gradient) * (g - mean_gradient).T for g in gradients), sympy.zeros(p, p)
    ) / n
    eq43 = sum((g * g.T for g in gradients), sympy.zeros(p, p)) / n - mean_gradient * (
        mean_gradient.T
    )
    squares = sympy.diag(*[residuals[i] ** 2 for i in range(n)])
    eq45 = (
        jacobian.T * squares * jacobian / n
        - jacobian.T * residuals * residuals.T * jacobian / n**2
    )
    steps = [
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
            _trace(jacobian.T * squares * jacobian),
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
            expected_eq50, variance * _trace(h_eff) / b, method="cancel",
        )
    )
    expected_exact = expectation_isotropic(_trace(eq46), list(residuals), variance)
    steps.append(
        equality_step(
            "eq54_exact_remainder", "Eq. 46 vs 54",
            r"\mathbb E\,\mathrm{Tr}\Sigma_\xi = \frac{\sigma^2}{b}\Big(1-\frac1n\Big)"
            r"\mathrm{Tr}H_{\mathrm{eff}}\ (\text{i.i.d. zero-mean residuals})",
            expected_exact, variance * (1 - sympy.Rational(1, n)) * _trace(h_eff) / b,
            method="cancel",
        )
    )
    steps.append(
        equality_step(
            "effective_curvature_trace", "Eq. 53",
            r"\mathrm{Tr}(JJ^\top) = n\,\mathrm{Tr}H_{\mathrm{eff}}",
            _trace(gram), n * _trace(h_eff), method="cancel",
        )
    )
    return steps


# --------------------------------------------------------------------------- D.2


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


# --------------------------------------------------------------------------- D.3


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
    hessian = _symmetric("H", p)
    covariance = _symmetric("C", p)
    noise = _symmetric("S", p)
    deviation = _column("dw", p)
    xi = _column("xi", p)
    transition = sympy.eye(p) - rate * hessian
    update = deviation - rate * (hessian * deviation + xi)
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
    # zero-loss linear model: xi = (H_B - H) dw, enumerate batches with replacement
    jacobian = _matrix("J", n, p)
    per_sample = [jacobian[i, :].T * jacobian[i, :] for i in range(n)]
    h_eff = sum(per_sample, sympy.zeros(p, p)) / n
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
            _trace(covariance * hessian.T), _trace(hessian * covariance), method="cancel",
        )
    )
    steps.append(
        equality_step(
            "trace_of_continuous_lyapunov", "Eq. 73",
            r"\mathrm{Tr}(HC + CH - \eta\Sigma) = 2\big(\mathrm{Tr}(HC) - \tfrac\eta2"
            r"\mathrm{Tr}\Sigma\big)",
            _trace(hessian * covariance + covariance * hessian - rate * noise),
            2 * (_trace(hessian * covariance) - rate * _trace(noise) / 2),
            method="cancel",
        )
    )
    discrete_defect = covariance - lyapunov_lhs - rate**2 * noise
    steps.append(
        equality_step(
            "exact_discrete_trace_identity", "Eq. 66 (exact trace)",
            r"\mathrm{Tr}(HC) - \tfrac\eta2\mathrm{Tr}(H^2C) - \tfrac\eta2\mathrm{Tr}\Sigma"
            r" = \tfrac1{2\eta}\mathrm{Tr}(C - ACA - \eta^2\Sigma)",
            _trace(hessian * covariance) - rate * _trace(hessian * hessian * covariance) / 2
            - rate * _trace(noise) / 2,
            _trace(discrete_defect) / (2 * rate),
            method="cancel",
        )
    )
    residuals = jacobian * deviation
    residual_variance = second_moment_substitution(
        (residuals.T * residuals)[0, 0] / n, [(list(deviation), covariance)]
    )
    steps.append(
        equality_step(
            "zero_loss_residual_variance_is_train_tpv", "Eq. 51 at w*",
            r"\varepsilon = J\delta w \Rightarrow \sigma_\varepsilon^2 = \frac1n\mathbb E"
            r"\|\varepsilon\|^2 = \mathrm{Tr}(H_{\mathrm{eff}}C)",
            residual_variance, _trace(h_eff * covariance), method="cancel",
        )
    )
    tpv = _trace(h_eff * covariance)
    steps.append(
        equality_step(
            "eq74_at_zero_training_loss", "Eq. 74 (Theorem 3.3)",
            r"\mathrm{Tr}(H_{\mathrm{eff}}C) = \frac{\eta\sigma_\varepsilon^2}{2b}\mathrm{Tr}"
            r"\nabla^2L(w^*)\ \text{with }\sigma_\varepsilon^2 = \mathrm{Tr}(H_{\mathrm{eff}}C),"
            r"\ \nabla^2 L(w^*) = H_{\mathrm{eff}}",
            tpv, rate * residual_variance * _trace(h_eff) / (2 * b), method="cancel",
        )
    )
    return steps


# --------------------------------------------------------------------------- App. E


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
    deviation = _column("u", p)

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
    jacobian = _matrix("J", n, p)
    h_eff = jacobian.T * jacobian / n
    linear_tpv = uniform_mean(((jacobian * deviation).T * (jacobian * deviation))[0, 0] / n)
    steps.append(
        equality_step(
            "linearised_quantization_tpv", "Eq. 12",
            r"\frac1n\mathbb E\|J\delta w\|^2 = \frac{\delta^2}{12}\mathrm{Tr}H_{\mathrm{eff}}",
            linear_tpv, step**2 / 12 * _trace(h_eff), method="cancel",
        )
    )
    curvatures = [_symmetric(f"Q{i + 1}", p) for i in range(n)]
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
            exact, second * _trace(h_eff) + correction, method="cancel",
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
