r"""App. E.3 (Eq. 72-83) and the corrected Eq. 20: bounds on the C-H exponent alpha.

* :func:`alpha_bounds_derivation` — Eq. 74-83 as gap identities and limits, including the step
  from Eq. 79 to a *fitted* exponent, which fails on an explicit instance.
* :func:`window_bounds_derivation` — the corrected slope bound on a window.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.awd.common import real_symbols
from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.spec import DerivationStep

__all__ = ["alpha_bounds_derivation", "window_bounds_derivation"]


def _fitted_slope(h_values: list[sympy.Expr], c_values: list[sympy.Expr]) -> sympy.Expr:
    x = [sympy.log(h) for h in h_values]
    y = [sympy.log(c) for c in c_values]
    x_mean = sum(x) / len(x)
    y_mean = sum(y) / len(y)
    numerator = sum((xi - x_mean) * (yi - y_mean) for xi, yi in zip(x, y, strict=True))
    denominator = sum((xi - x_mean) ** 2 for xi in x)
    return sympy.nsimplify(sympy.simplify(sympy.expand_log(numerator / denominator, force=True)))


def alpha_bounds_derivation(size: int = 3) -> list[DerivationStep]:
    r"""App. E.3: Eq. 74-79 as gap identities, Eq. 80-83, and the fitted-exponent step.

    The last step applies the conclusion :math:`1 \le \alpha \le 2` to the OLS slope of the
    two directions of the PSD instance :math:`H_1 = \mathrm{diag}(1, 1/10)`,
    :math:`H_2 = \mathrm{diag}(0, 1/10)` (:math:`\lambda_{\max} = 1`), whose points obey
    Eq. 79; the slope is :math:`\ln 50/\ln 5 \approx 2.43`, so the step fails.
    """
    return _moment_gap_steps(size) + _limit_steps() + _fitted_exponent_steps()


def _moment_gap_steps(size: int) -> list[DerivationStep]:
    """Eq. 74-77: weights, the Cauchy-Schwarz, upper and Jensen gaps as identities."""
    eigenvalues = real_symbols("l", size)
    frame = cayley_orthogonal(size, "q")
    weights = [frame[0, k] ** 2 for k in range(size)]  # c_k = (u . v_k)^2, sum to 1
    first = sum(lam * c for lam, c in zip(eigenvalues, weights, strict=True))
    second = sum(lam**2 * c for lam, c in zip(eigenvalues, weights, strict=True))
    steps = [
        equality_step(
            "weights_sum_to_one",
            "Eq. 74",
            r"\sum_k (u_i\cdot v_k)^2 = 1",
            sum(weights),
            1,
            method="cancel",
        ),
        equality_step(
            "cauchy_schwarz_gap",
            "Eq. 74-75",
            r"B^s_i - (A^s_i)^2 = \sum_k c_k(\lambda_k - A^s_i)^2 \ge 0",
            second - first**2,
            sum(c * (lam - first) ** 2 for lam, c in zip(eigenvalues, weights, strict=True)),
            method="cancel",
        ),
    ]
    lam_max = sympy.Symbol("lambda_max", positive=True)
    steps.append(
        equality_step(
            "upper_gap",
            "Eq. 77",
            r"\lambda_{\max}A - B = \sum_k c_k\lambda_k(\lambda_{\max}-\lambda_k)"
            r" \ge 0 \text{ if } 0\le\lambda_k\le\lambda_{\max}",
            lam_max * first - second,
            sum(c * lam * (lam_max - lam) for lam, c in zip(eigenvalues, weights, strict=True)),
            method="cancel",
        )
    )
    draws = real_symbols("X", 3)
    mean = sum(draws) / 3
    steps.append(
        equality_step(
            "jensen_gap",
            "Eq. 76",
            r"\mathbb{E}X^2 - (\mathbb{E}X)^2 = \mathbb{E}(X-\mathbb{E}X)^2",
            sum(x**2 for x in draws) / 3 - mean**2,
            sum((x - mean) ** 2 for x in draws) / 3,
        )
    )
    return steps


def _limit_steps() -> list[DerivationStep]:
    """Eq. 82-83: the limits that exclude exponents outside [1, 2]."""
    lam_max = sympy.Symbol("lambda_max", positive=True)
    steps = []
    curvature, delta, constant = sympy.symbols("H delta c", positive=True)
    steps.append(
        equality_step(
            "upper_limit",
            "Eq. 82",
            r"\alpha = 2+\delta:\ \lim_{H\to0} cH^{\alpha}/H^2 = 0 < 1",
            sympy.limit(constant * curvature ** (2 + delta) / curvature**2, curvature, 0),
            0,
        )
    )
    steps.append(
        equality_step(
            "lower_limit",
            "Eq. 83",
            r"\alpha = 1-\delta:\ \lim_{H\to0} \lambda_{\max}H/(cH^{\alpha}) = 0,"
            r"\text{ so } cH^\alpha > \lambda_{\max}H \text{ near } 0",
            sympy.limit(lam_max * curvature / (constant * curvature ** (1 - delta)), curvature, 0),
            0,
        )
    )
    return steps


def _fitted_exponent_steps() -> list[DerivationStep]:
    """Eq. 79 on an explicit instance, and the OLS slope of its points (E.3.3)."""
    steps = []
    h_values = [sympy.Rational(1, 2), sympy.Rational(1, 10)]
    c_values = [sympy.Rational(1, 2), sympy.Rational(1, 100)]
    within = all(h**2 <= c <= h for h, c in zip(h_values, c_values, strict=True))
    steps.append(
        DerivationStep(
            name="instance_obeys_eq79",
            equation="Eq. 79",
            claim=r"H=(1/2,1/10),\ C=(1/2,1/100),\ \lambda_{\max}=1:\ H_{ii}^2\le C_{ii}\le H_{ii}",
            holds=within,
            method="exact rational comparison",
            residual="0" if within else "violated",
        )
    )
    slope = _fitted_slope(h_values, c_values)
    inside = bool(1 <= slope <= 2)
    steps.append(
        DerivationStep(
            name="fitted_exponent_in_1_2",
            equation="Eq. 20, E.3.3",
            claim=r"\hat\alpha_{\mathrm{OLS}} \in [1, 2] \text{ for points obeying Eq. 79}",
            holds=inside,
            method="exact OLS slope of ln C on ln H (sympy logs), compared with [1, 2]",
            residual="0" if inside else f"alpha_hat = {slope} = {float(slope):.6f}",
        )
    )
    return steps


def window_bounds_derivation() -> list[DerivationStep]:
    r"""Corrected Eq. 20: OLS slope :math:`1 + \sum(x_i-\bar x)t_i/S_{xx}`, its vertex bounds."""
    x = real_symbols("x", 2)
    t = real_symbols("t", 2)
    ceiling = sympy.Symbol("L", real=True)
    x_mean = sum(x) / 2
    spread = sum((xi - x_mean) ** 2 for xi in x)
    y = [xi + ti for xi, ti in zip(x, t, strict=True)]
    y_mean = sum(y) / 2
    slope = sum((xi - x_mean) * (yi - y_mean) for xi, yi in zip(x, y, strict=True)) / spread
    decomposition = 1 + sum((xi - x_mean) * ti for xi, ti in zip(x, t, strict=True)) / spread
    steps = [
        equality_step(
            "slope_decomposition",
            "corrected Eq. 20",
            r"\hat\alpha = 1 + \sum_i(x_i-\bar x)t_i/S_{xx},\ y_i = x_i + t_i",
            slope,
            decomposition,
            method="cancel",
        )
    ]
    # x_1 < x_2: point 2 lies above the mean, point 1 below.
    high = 1 + ((x[1] - x_mean) * ceiling + (x[0] - x_mean) * x[0]) / spread
    low = 1 + ((x[1] - x_mean) * x[1] + (x[0] - x_mean) * ceiling) / spread
    steps.append(
        equality_step(
            "upper_vertex_gap",
            "corrected Eq. 20",
            r"\hat\alpha_{\max}-\hat\alpha = [(x_2-\bar x)(L-t_2)"
            r" + (\bar x-x_1)(t_1-x_1)]/S_{xx} \ge 0",
            high - decomposition,
            ((x[1] - x_mean) * (ceiling - t[1]) + (x_mean - x[0]) * (t[0] - x[0])) / spread,
            method="cancel",
        )
    )
    steps.append(
        equality_step(
            "lower_vertex_gap",
            "corrected Eq. 20",
            r"\hat\alpha-\hat\alpha_{\min} = [(x_2-\bar x)(t_2-x_2)"
            r" + (\bar x-x_1)(L-t_1)]/S_{xx} \ge 0",
            decomposition - low,
            ((x[1] - x_mean) * (t[1] - x[1]) + (x_mean - x[0]) * (ceiling - t[0])) / spread,
            method="cancel",
        )
    )
    steps.append(
        equality_step(
            "all_on_lower_boundary",
            "corrected Eq. 20",
            r"t_i = x_i\ \forall i \Rightarrow \hat\alpha = 2",
            decomposition.subs({t[0]: x[0], t[1]: x[1]}),
            2,
            method="cancel",
        )
    )
    steps.append(
        equality_step(
            "all_on_upper_boundary",
            "corrected Eq. 20",
            r"t_i = L\ \forall i \Rightarrow \hat\alpha = 1",
            decomposition.subs({t[0]: ceiling, t[1]: ceiling}),
            1,
            method="cancel",
        )
    )
    return steps
