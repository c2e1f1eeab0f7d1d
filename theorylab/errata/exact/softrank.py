"""Exact re-checks of paper 004's (softrank) stored counterexamples.

See :mod:`theorylab.errata.exact`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from theorylab.errata.exact.common import ExactCheck, ExactFunction, exact_number, scalar_of
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


CHECKS: dict[tuple[str, str], ExactFunction] = {
    ("softrank.properties", "rank2_midpoint_exact"): _rank2_midpoint,
    ("softrank.properties", "rank2_concave"): _rank2_midpoint,
    ("softrank.error_uncertainty", "curved_model_counterexample"): _curved_model,
}
"""(claim id, check name) → exact re-check of that check's stored counterexample."""
