"""Exact re-checks of paper 004's (softrank) stored counterexamples.

See :mod:`theorylab.errata.exact`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from theorylab.errata.exact.common import (
    ExactCheck,
    ExactFunction,
    exact_number,
    scalar_of,
    sympy_matrix,
)
from theorylab.spec import Counterexample


def _rank2_midpoint(example: Counterexample) -> ExactCheck | None:
    r"""Paper 004, Sec. 4: :math:`\mathrm{rank}^{(2)}_\lambda(s) = (s/(s+\lambda))^2` midpoint.

    The 1x1 instances ``S0``/``S1`` (or ``A``/``B``) with ``lambda`` (or ``regularization``):
    concavity needs :math:`g((s_0+s_1)/2) \ge (g(s_0)+g(s_1))/2`.
    """
    item = example.instance
    keys = ("S0", "S1", "lambda") if "S0" in item else ("A", "B", "regularization")
    try:
        s0, s1, lam = (exact_number(scalar_of(item[key])) for key in keys)
    except (KeyError, TypeError, ValueError):
        return None

    def g(s: Fraction) -> Fraction:
        return (s / (s + lam)) ** 2

    middle, mean = g((s0 + s1) / 2), (g(s0) + g(s1)) / 2
    return ExactCheck(
        claimed=f"concave: rank2((S0+S1)/2) >= (rank2(S0) + rank2(S1))/2 = {mean}",
        actual=f"rank2((S0+S1)/2) = {middle}, short by {mean - middle}",
        refutes=middle < mean,
        arithmetic="fractions",
    )


def _parse(text: str, theta: Any) -> Any:
    """A stored formula (``θ + θ²/2``, ``−θ``) as a sympy expression in ``theta``."""
    from sympy.parsing.sympy_parser import parse_expr

    plain = text.replace("θ", "theta").replace("²", "**2").replace("−", "-").strip()
    return parse_expr(plain, local_dict={"theta": theta})


def _curved_model(example: Counterexample) -> ExactCheck | None:
    r"""Paper 004, Prop. 5.3 on the stored scalar Bernoulli model, via the paper's Eq. 1.

    Atoms with equal weights, logits :math:`N_x(\theta)` and label law
    :math:`P(y=1\mid x) = q` read from the instance; at :math:`\theta^*` (gradient checked
    zero), :math:`p = \sigma(N)`: :math:`F = \mathbb{E}p(1-p)N'^2`,
    :math:`H = F + \mathbb{E}(p-q)N''`, :math:`C = \mathbb{E}[(y-p)^2]N'^2`; Eq. 1's limit
    :math:`n\mathbb{E}[\mathrm{Gap}] \to \mathrm{Tr}(C_\Lambda H_\Lambda^{-1})`, so the ratio
    to :math:`\mathrm{rank}_\lambda(F) = F/(F+\lambda)` tends, as :math:`\lambda \to 0`, to an
    exact number; Prop. 5.3 puts it in :math:`[\alpha^*/\kappa, \kappa\alpha^*]` up to
    :math:`M\|\Lambda\| \to 0` (:math:`\kappa = 1` for one parameter and one output).
    """
    import re

    import sympy

    item = example.instance
    theta, lam = sympy.symbols("theta lambda", positive=True)
    try:
        logits = [_parse(part.split("=", 1)[1], theta) for part in item["logit"].split(",")]
        label = re.search(r"=\s*([0-9]+(?:/[0-9]+)?)\s*$", item["labels"])
        q = sympy.Rational(label.group(1))  # type: ignore[union-attr]
        star = sympy.Rational(exact_number(item["theta_star"]))
        stored_f, stored_h = exact_number(item["F"]), exact_number(item["H"])
        stored_alpha = exact_number(item.get("alpha_star", 1))
        weights = re.search(r"w\.p\.\s*([0-9]+/[0-9]+)", item["atoms"])
        weight = sympy.Rational(weights.group(1))  # type: ignore[union-attr]
    except (KeyError, TypeError, ValueError, AttributeError, SyntaxError, sympy.SympifyError):
        return None
    if weight * len(logits) != 1:
        return None  # the atoms' probabilities do not match the logits listed
    at = {theta: star}
    fisher = hessian = covariance = gradient = sympy.Integer(0)
    for logit in logits:
        p = (1 / (1 + sympy.exp(-logit))).subs(at)
        slope, bend = sympy.diff(logit, theta).subs(at), sympy.diff(logit, theta, 2).subs(at)
        gradient += weight * (p - q) * slope
        fisher += weight * p * (1 - p) * slope**2
        hessian += weight * ((p * (1 - p)) * slope**2 + (p - q) * bend)
        covariance += weight * (q * (1 - p) ** 2 + (1 - q) * p**2) * slope**2
    fisher, hessian = sympy.nsimplify(fisher), sympy.nsimplify(hessian)
    if sympy.simplify(gradient) != 0 or (fisher, hessian) != (stored_f, stored_h) or fisher <= 0:
        return None  # not a minimiser, or not the stored model
    alpha = sympy.nsimplify(covariance / fisher)  # Tr E[(y-p)^2] / Tr E[p(1-p)], one output
    if alpha != stored_alpha:
        return None
    regularized = covariance - (lam * star) ** 2
    ratio = (regularized / (hessian + lam)) / (fisher / (fisher + lam))
    limit = sympy.limit(ratio, lam, 0, "+")
    return ExactCheck(
        claimed=f"Prop. 5.3: n E[Gap]/rank_lambda(F) in [alpha*/kappa, kappa alpha*] + O(lambda)"
        f" = [{alpha}, {alpha}] (F = {fisher}, C = {covariance}, alpha* = {alpha}, kappa = 1)",
        actual=f"with Eq. 1, n E[Gap] -> Tr(C_L H_L^-1) = ({sympy.simplify(regularized)})/"
        f"({hessian} + lambda): ratio {sympy.simplify(ratio)} -> {limit} as lambda -> 0 "
        f"(H = {hessian} {'!=' if hessian != fisher else '='} F = {fisher})",
        refutes=limit != alpha,
        arithmetic="sympy",
    )


def _shown(matrix: Any) -> str:
    """A 1x1 sympy matrix as its entry, a larger one as nested lists."""
    return str(matrix[0, 0]) if matrix.shape == (1, 1) else str(matrix.tolist())


def _calibrated_eq12(example: Counterexample) -> ExactCheck | None:
    r"""Paper 004, Eq. 12 (App. G.3) on the stored calibrated Bernoulli model, in sympy.

    Atoms with Jacobians ``J`` (rows), logit offsets, probabilities ``weights``, labels
    :math:`P(y=1\mid x)`, ridge :math:`\Lambda = \lambda I` and the stored
    :math:`\theta^*`: the re-check first confirms every premise exactly (stationarity of the
    regularised loss, calibration :math:`P(y=1\mid r) = \sigma(r)`, Eq. 2, :math:`C = F`),
    then evaluates the printed chain :math:`H_\Lambda^{-1}C_\Lambda H_\Lambda^{-1} \succeq
    (F+\Lambda)^{-1}F(F+\Lambda)^{-1} \succeq (F+\Lambda)^{-1}` (Eq. 11:
    :math:`C_\Lambda = C - \Lambda\theta^*\theta^{*\top}\Lambda`) and the three Prop. 4.1
    bounds. ``None`` where a premise fails (then it is no instance of the claim).
    """
    import sympy

    item = example.instance
    try:
        jac = sympy_matrix(item["J"])
        offsets, weights, labels = (
            [sympy.Rational(exact_number(v)) for v in item[key]]
            for key in ("offsets", "weights", "labels")
        )
        lam = sympy.Rational(exact_number(item["lambda"]))
        star = item["theta_star"]
        star = sympy_matrix([star] if isinstance(star, list) else [[star]]).T
    except (KeyError, TypeError, ValueError):
        return None
    count, size = jac.shape
    if star.shape != (size, 1) or not len(offsets) == len(weights) == len(labels) == count:
        return None
    logits = [sympy.nsimplify(offsets[j] + (jac[j, :] * star)[0, 0]) for j in range(count)]
    sig = [sympy.simplify(1 / (1 + sympy.exp(-r))) for r in logits]
    outer = [jac[j, :].T * jac[j, :] for j in range(count)]
    mean_outer = sum((weights[j] * outer[j] for j in range(count)), sympy.zeros(size))
    gradient = sum((weights[j] * (sig[j] - labels[j]) * jac[j, :].T for j in range(count)),
                   lam * star)
    second = [labels[j] * (1 - sig[j]) ** 2 + (1 - labels[j]) * sig[j] ** 2 for j in range(count)]
    var = [sig[j] * (1 - sig[j]) for j in range(count)]
    fisher = sum((weights[j] * var[j] * outer[j] for j in range(count)), sympy.zeros(size))
    cov = sum((weights[j] * second[j] * outer[j] for j in range(count)), sympy.zeros(size))
    calibrated = all(
        sympy.simplify(sum(weights[k] * (labels[k] - sig[k]) for k in range(count)
                           if logits[k] == logits[j])) == 0
        for j in range(count)
    )
    eq2 = all(
        sympy.simplify(sum((weights[j] * level[j] * outer[j] for j in range(count)),
                           sympy.zeros(size)) - mean_outer * sum(
            weights[j] * level[j] for j in range(count))) == sympy.zeros(size)
        for level in (second, var)
    )
    if sympy.simplify(gradient) != sympy.zeros(size, 1) or not calibrated or not eq2:
        return None  # not the regularised minimiser, not calibrated, or Eq. 2 fails
    if sympy.simplify(cov - fisher) != sympy.zeros(size):
        return None  # Prop. 2.2 would have C = F = H (H = F: linear logits)
    c_lam = cov - lam**2 * star * star.T
    h_inv = (fisher + lam * sympy.eye(size)).inv()
    sandwich, middle = h_inv * c_lam * h_inv, h_inv * fisher * h_inv
    first, second_step = sandwich - middle, middle - h_inv
    fails = [not step.is_positive_semidefinite for step in (first, second_step)]
    gap, cap = (c_lam * h_inv).trace(), (fisher * h_inv).trace()
    l2, cap2 = ((c_lam * h_inv) ** 2).trace(), ((fisher * h_inv) ** 2).trace()
    bounds = [(sandwich.trace(), h_inv.trace()), (gap, cap), (l2, cap2)]
    hold = all(value <= bound for value, bound in bounds)
    failing = " and ".join(n for n, f in zip(("first", "second"), fails, strict=True) if f)
    return ExactCheck(
        claimed=f"Eq. 12 as printed: H_L^-1 C_L H_L^-1 = {_shown(sandwich)} >= "
        f"(F+L)^-1 F (F+L)^-1 = {_shown(middle)} >= (F+L)^-1 = {_shown(h_inv)} (model "
        f"calibrated at theta* = {_shown(star)}, L = {lam} I: P(y=1|r) = sigma(r), Eq. 2 and "
        f"C = F = H = {_shown(fisher)} exact; C_L = C - L theta* theta*' L = {_shown(c_lam)}, "
        f"H_L = F + L)",
        actual=f"printed >= step(s) failing: {failing or 'none'} "
        f"(H_L^-1 C_L H_L^-1 - (F+L)^-1 F (F+L)^-1 = {_shown(first)}, (F+L)^-1 F (F+L)^-1 - "
        f"(F+L)^-1 = {_shown(second_step)}); Prop. 4.1's bounds "
        f"{'hold' if hold else 'FAIL'}: Tr(C_L H_L^-2) = {bounds[0][0]} <= Tr((F+L)^-1) = "
        f"{bounds[0][1]}, n E[Gap] -> {gap} <= rank_L(F) = {cap}, n E||l - l*||^2 -> {l2} <= "
        f"rank2_L(F) = {cap2}",
        refutes=any(fails) or not hold,
        arithmetic="sympy",
    )


CHECKS: dict[tuple[str, str], ExactFunction] = {
    ("softrank.properties", "rank2_midpoint_exact"): _rank2_midpoint,
    ("softrank.properties", "rank2_concave"): _rank2_midpoint,
    ("softrank.error_uncertainty", "curved_model_counterexample"): _curved_model,
    ("softrank.calibrated_gap", "shifted_optimum_eq12"): _calibrated_eq12,
}
"""(claim id, check name) → exact re-check of that check's stored counterexample."""
