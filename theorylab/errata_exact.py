"""Hand-checkable counterexamples: small rational instances, re-verified in exact arithmetic.

An errata sheet prints a counterexample only as "the few numbers a reader needs" when every
number of its instance is a small rational (:func:`small_rational`): ``0.9375`` is printed
``15/16``, ``0.19999999999999996`` is not small (it is a float64 rounding of 1/5, and a
reader cannot check a rounding). Where a check's instance can be re-checked without floating
point, :data:`EXACT_CHECKS` holds a function that reads the *stored* instance and recomputes
both sides of the claim with :class:`fractions.Fraction` (or sympy), so "verified exactly"
on a sheet comes from that computation, never from the check's own float64 numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from typing import Any

from theorylab.spec import Counterexample

__all__ = [
    "EXACT_CHECKS",
    "ExactCheck",
    "exact_check",
    "instance_numbers",
    "small_rational",
]

MAX_NUMERATOR = 100
"""Largest |numerator| of a number a reader checks by hand."""
MAX_DENOMINATOR = 100
"""Largest denominator of a number a reader checks by hand (15/16, 1/10, 9/2 are small)."""
MAX_NUMBERS = 24
"""Most numbers in one hand-checkable instance (a few 2x2 matrices)."""


@dataclass(frozen=True)
class ExactCheck:
    """Both sides of a claim on a stored instance, recomputed in exact arithmetic."""

    claimed: str
    """What the paper's statement says on the instance (exact)."""
    actual: str
    """What is true on the instance (exact)."""
    refutes: bool
    """Whether the exact values contradict the statement."""
    arithmetic: str
    """``fractions`` or ``sympy``."""


def small_rational(value: Any) -> Fraction | None:
    """``value`` as a small :class:`~fractions.Fraction` if it is one exactly, else ``None``.

    Examples
    --------
    >>> small_rational(0.9375), small_rational(0.1), small_rational(0.19999999999999996)
    (Fraction(15, 16), Fraction(1, 10), None)
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    try:
        guess = Fraction(value).limit_denominator(MAX_DENOMINATOR)
    except (OverflowError, ValueError):  # inf, nan
        return None
    if float(guess) != float(value) or abs(guess.numerator) > MAX_NUMERATOR:
        return None
    return guess


def instance_numbers(instance: dict[str, Any]) -> dict[str, str] | None:
    """The instance as ``name → exact text`` if it is hand-checkable, else ``None``.

    Hand-checkable: at least one number, at most :data:`MAX_NUMBERS`, each a
    :func:`small_rational`; strings (a named law, a basis) are kept as words.

    Examples
    --------
    >>> instance_numbers({"jacobian": [[1.0], [1.0]], "batch_size": 1, "p": [0.9375, 0.0625]})
    {'jacobian': '[[1], [1]]', 'batch_size': '1', 'p': '[15/16, 1/16]'}
    >>> instance_numbers({"K": 96, "p": 384}) is None
    True
    """
    count = 0

    def text(value: Any) -> str | None:
        nonlocal count
        if isinstance(value, str):
            return value
        if isinstance(value, list | tuple):
            parts = [text(item) for item in value]
            return None if None in parts else "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
        exact = small_rational(value)
        if exact is None:
            return None
        count += 1
        return str(exact)

    shown = {key: text(value) for key, value in instance.items()}
    if count == 0 or count > MAX_NUMBERS or None in shown.values():
        return None
    return shown  # type: ignore[return-value]


def _exact(value: Any) -> Fraction:
    """A stored number as the small rational it denotes (``0.1`` → 1/10); else ValueError."""
    exact = small_rational(value)
    if exact is None:
        raise ValueError(f"{value!r} is not a small rational")
    return exact


def _matrices(value: Any) -> list[list[list[Fraction]]]:
    return [[[_exact(entry) for entry in row] for row in matrix] for matrix in value]


def _rank2_midpoint(example: Counterexample) -> ExactCheck | None:
    r"""Paper 004, Sec. 4: :math:`\mathrm{rank}^{(2)}_\lambda(s) = (s/(s+\lambda))^2` midpoint.

    The 1x1 instances ``S0``/``S1`` (or ``A``/``B``) with ``lambda`` (or ``regularization``):
    concavity needs :math:`g((s_0+s_1)/2) \ge (g(s_0)+g(s_1))/2`.
    """
    item = example.instance
    keys = ("S0", "S1", "lambda") if "S0" in item else ("A", "B", "regularization")
    try:
        s0, s1, lam = (_exact(_scalar(item[key])) for key in keys)
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


def _scalar(value: Any) -> Any:
    while isinstance(value, list):
        if len(value) != 1:
            raise ValueError("not a 1x1 instance")
        value = value[0]
    return value


def _minibatch_noise(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, Eq. 46 vs Eq. 47 with replacement, in fractions.

    :math:`\Sigma_\xi = \tfrac1b(\tfrac1n J^\top\mathrm{diag}(\varepsilon^2)J -
    \tfrac1{n^2}J^\top\varepsilon\varepsilon^\top J)`; Eq. 47 keeps the first term only.
    """
    item = example.instance
    try:
        rows = _matrices([item["jacobian"]])[0]
        residuals = [_exact(value) for value in item["residuals"]]
        batch = _exact(item["batch_size"])
    except (KeyError, TypeError, ValueError):
        return None
    n, p = len(rows), len(rows[0])
    if len(residuals) != n or n == 0:
        return None
    mean = [sum(residuals[i] * rows[i][a] for i in range(n)) / n for a in range(p)]
    eq47 = [
        [sum(residuals[i] ** 2 * rows[i][a] * rows[i][c] for i in range(n)) / (batch * n)
         for c in range(p)]
        for a in range(p)
    ]
    exact = [[eq47[a][c] - mean[a] * mean[c] / batch for c in range(p)] for a in range(p)]
    return ExactCheck(
        claimed=f"Eq. 47: Sigma_xi ~ {_matrix_text(eq47)}",
        actual=f"Eq. 46: Sigma_xi = {_matrix_text(exact)}",
        refutes=eq47 != exact,
        arithmetic="fractions",
    )


def _matrix_text(matrix: list[list[Fraction]]) -> str:
    return "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in matrix) + "]"


def _fitted_exponent(example: Counterexample) -> ExactCheck | None:
    r"""Paper 001, Eq. 20: the OLS exponent of :math:`C_{jj}` on :math:`H_{jj}`, two directions.

    For diagonal per-sample Hessians :math:`H_s`, :math:`H = \mathbb{E}_s H_s` and
    :math:`C = \mathbb{E}_s H_s^2` are diagonal; through two points the fitted exponent is
    :math:`\alpha = \ln(C_1/C_2)/\ln(H_1/H_2)`, and (logs being monotone)
    :math:`\alpha > 2 \iff C_1/C_2 > (H_1/H_2)^2` for :math:`H_1 > H_2`, a rational test.
    """
    import sympy

    try:
        stack = _matrices(example.instance["per_sample_hessians"])
    except (KeyError, TypeError, ValueError):
        return None
    size = len(stack[0])
    if size != 2 or any(m[i][j] != 0 for m in stack for i in range(2) for j in range(2) if i != j):
        return None
    h = [sum(m[j][j] for m in stack) / len(stack) for j in range(2)]
    c = [sum(m[j][j] ** 2 for m in stack) / len(stack) for j in range(2)]
    if min(h) <= 0 or h[0] == h[1]:
        return None
    (h1, c1), (h2, c2) = sorted(zip(h, c, strict=True), reverse=True)
    alpha = sympy.log(sympy.Rational(c1 / c2)) / sympy.log(sympy.Rational(h1 / h2))
    above, below = c1 / c2 > (h1 / h2) ** 2, c1 / c2 < h1 / h2
    return ExactCheck(
        claimed="1 <= alpha <= 2",
        actual=f"H = diag({h[0]}, {h[1]}), C = diag({c[0]}, {c[1]}): alpha = {alpha} "
        f"{'> 2' if above else '< 1' if below else 'in [1, 2]'} "
        f"(C1/C2 = {c1 / c2} vs (H1/H2)^2 = {(h1 / h2) ** 2})",
        refutes=above or below,
        arithmetic="sympy",
    )


def _sympy_matrix(rows: Any) -> Any:
    import sympy

    return sympy.Matrix([[sympy.Rational(_exact(entry)) for entry in row] for row in rows])


def _commutator(example: Counterexample) -> ExactCheck | None:
    r"""Paper 001, Remark 3.5: :math:`C_{12} = 0` in the eigenbasis of :math:`H`.

    With :math:`H = \mathbb{E}_s H_s`, :math:`C = \mathbb{E}_s H_s^2`, the off-diagonal
    block of :math:`C` in :math:`H`'s eigenbasis vanishes for every eigenvalue split only if
    :math:`[C, H] = CH - HC = 0`; a nonzero rational commutator refutes it.
    """
    try:
        stack = [_sympy_matrix(matrix) for matrix in example.instance["per_sample_hessians"]]
    except (KeyError, TypeError, ValueError):
        return None
    h = sum(stack[1:], stack[0]) / len(stack)
    c = sum((m * m for m in stack[1:]), stack[0] * stack[0]) / len(stack)
    commutator = c * h - h * c
    return ExactCheck(
        claimed="[C, H] ~ 0, C_ij -> 0 off the diagonal in H's eigenbasis (asymptotic: the "
        "check's sweep shows the mass persisting as p grows; this is its smallest instance)",
        actual=f"H = {h.tolist()}, C = {c.tolist()}, CH - HC = {commutator.tolist()}",
        refutes=not commutator.is_zero_matrix,
        arithmetic="sympy",
    )


def _sample_whitening(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, Remark 3.1: :math:`\tfrac1n X^\top X = I_d`, impossible for ``n < d``."""
    import sympy

    try:
        x = _sympy_matrix(example.instance["X"])
    except (KeyError, TypeError, ValueError):
        return None
    moment = x.T * x / x.rows
    return ExactCheck(
        claimed=f"(1/n) X^T X = I_{x.cols}",
        actual=f"(1/n) X^T X = {moment.tolist()}",
        refutes=moment != sympy.eye(x.cols),
        arithmetic="sympy",
    )


def _matched_interpolation(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, regime (2a): min-norm fit, :math:`\lambda = 0`, test law containing the data.

    :math:`\mathrm{Cov}(\delta w) = \sigma^2 (J^\top J)^+`, so
    :math:`\mathrm{TPV} = \sigma^2\,\mathrm{tr}(H_{\mathrm{eff}}(X)(J^\top J)^+)` with
    :math:`H_{\mathrm{eff}}(X) = J_X^\top J_X/|X|` on the train and the test inputs. The test
    law's Jacobian is read from the instance text (``jacobian_test = I_d``).
    """
    import re

    import sympy

    item = example.instance
    found = re.search(r"jacobian_test = I_(\d+)", str(item.get("test_law", "")))
    try:
        train = _sympy_matrix(item["jacobian_train"])
        sigma2 = sympy.Rational(_exact(item["noise_std"])) ** 2
        if found is None or _exact(item.get("ridge", 0)) != 0:
            return None
    except (KeyError, TypeError, ValueError):
        return None
    test = sympy.eye(int(found.group(1)))
    inverse = (train.T * train).pinv()
    tpv_train = sigma2 * (train.T * train / train.rows * inverse).trace()
    tpv_test = sigma2 * (test.T * test / test.rows * inverse).trace()
    return ExactCheck(
        claimed=f"TPV_test ~ sigma^2 = {sigma2} (TPV_train = {tpv_train})",
        actual=f"TPV_test = {tpv_test}",
        refutes=tpv_test != tpv_train,
        arithmetic="sympy",
    )


def _op_norm(matrix: Any) -> Any:
    """Exact operator norm of a symmetric rational matrix: its largest |eigenvalue|."""
    import sympy

    return sympy.Max(*(abs(value) for value in matrix.eigenvals()), 0)


def _trace_stability(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, Theorem A.4: A.2 (Eq. 21) and the LLN term bound the train/test TPV gap.

    :math:`H_X = J_X^\top J_X/n_X`, :math:`\mathrm{TPV}_X = \mathrm{Tr}(H_X C)`;
    :math:`\varepsilon_{NTK} = \max_X\|(J_X(w^*)J_X(w^*)^\top - J_X(w_0)J_X(w_0)^\top)/n\|`,
    the LLN term :math:`\|H_{tr}(w_0) - H_{te}(w_0)\|`, the bound
    :math:`(2\varepsilon_{NTK} + \mathrm{LLN})\,\mathrm{Tr}\,C`, all in sympy.
    """
    item = example.instance
    try:
        j = {key: _sympy_matrix(item[key])
             for key in ("J_tr(w0)", "J_tr(w*)", "J_te(w0)", "J_te(w*)")}
        c = _sympy_matrix(item["C"])
    except (KeyError, TypeError, ValueError):
        return None

    def curvature(jac: Any) -> Any:
        return jac.T * jac / jac.rows

    eps = max(_op_norm((j[f"J_{s}(w*)"] * j[f"J_{s}(w*)"].T - j[f"J_{s}(w0)"] * j[f"J_{s}(w0)"].T)
                       / j[f"J_{s}(w0)"].rows) for s in ("tr", "te"))
    lln = _op_norm(curvature(j["J_tr(w0)"]) - curvature(j["J_te(w0)"]))
    gap = abs((curvature(j["J_tr(w*)"]) * c).trace() - (curvature(j["J_te(w*)"]) * c).trace())
    bound = (2 * eps + lln) * c.trace()
    return ExactCheck(
        claimed=f"gap <= (2 eps_NTK + LLN) Tr C = (2*{eps} + {lln})*{c.trace()} = {bound}",
        actual=f"gap = |Tr(H_tr(w*) C) - Tr(H_te(w*) C)| = {gap}",
        refutes=bool(gap > bound),
        arithmetic="sympy",
    )


def _jbr_ranking(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, Eq. 16 as printed vs Eq. 15: whether both rank the groups alike.

    :math:`\delta_u = p - e_{c(x)}`, :math:`c = \arg\max p`, samples with
    :math:`p_c > \tau` (9/10 unless stored); Eq. 15 (over :math:`\sigma^2`):
    :math:`\mathbb{E}_x(\delta_u^\top v_g)^2`; Eq. 16 as printed:
    :math:`\mathbb{E}_x\|\delta_u\|^2\|v_g\|^2`, in fractions.
    """
    item = example.instance
    try:
        directions = _matrices(item["directions"])  # (n, G, K)
        probabilities = [[_exact(value) for value in row] for row in item["probabilities"]]
        tau = _exact(item.get("threshold", 0.9))
    except (KeyError, TypeError, ValueError):
        return None
    groups = len(directions[0])
    eq15, literal = [Fraction(0)] * groups, [Fraction(0)] * groups
    kept = 0
    for vectors, p in zip(directions, probabilities, strict=True):
        top = max(range(len(p)), key=p.__getitem__)
        if p[top] <= tau:
            continue
        kept += 1
        delta = [value - (k == top) for k, value in enumerate(p)]
        for g, v in enumerate(vectors):
            eq15[g] += sum(d * x for d, x in zip(delta, v, strict=True)) ** 2
            literal[g] += sum(d * d for d in delta) * sum(x * x for x in v)
    if kept == 0:
        return None
    eq15, literal = [value / kept for value in eq15], [value / kept for value in literal]
    flips = [(i, j) for i in range(groups) for j in range(groups)
             if literal[i] > literal[j] and eq15[i] < eq15[j]]
    return ExactCheck(
        claimed=f"Eq. 16 as printed ranks like Eq. 15; Eq. 16 scores "
        f"[{', '.join(map(str, literal))}]",
        actual=f"Eq. 15 terms [{', '.join(map(str, eq15))}]"
        + (f": groups {flips[0][0]} and {flips[0][1]} swap" if flips else ""),
        refutes=bool(flips),
        arithmetic="fractions",
    )


EXACT_CHECKS: dict[tuple[str, str], Callable[[Counterexample], ExactCheck | None]] = {
    ("softrank.properties", "rank2_midpoint_exact"): _rank2_midpoint,
    ("softrank.properties", "rank2_concave"): _rank2_midpoint,
    ("tpv.sgd_noise_covariance", "approximation_1_error_law"): _minibatch_noise,
    ("awd.alpha_bounds", "bounds_and_fitted_exponent"): _fitted_exponent,
    ("awd.alpha_bounds", "fitted_exponent_in_1_2"): _fitted_exponent,
    ("awd.spectral_decomposition", "remark_3_5_offdiagonal_mass"): _commutator,
    ("tpv.linear_label_noise", "sample_whitening_sentence"): _sample_whitening,
    ("tpv.label_noise_regimes", "matched_distribution_interpolation"): _matched_interpolation,
    ("tpv.trace_stability", "assumptions_imply_conclusion"): _trace_stability,
    ("tpv.jbr_pruning", "literal_ranking_vs_tpv"): _jbr_ranking,
}
"""(claim id, check name) → exact re-verification of that check's stored counterexample."""


def exact_check(claim_id: str, check: str, example: Counterexample) -> ExactCheck | None:
    """Re-verify ``example`` exactly, or ``None`` where no exact re-verification applies."""
    function = EXACT_CHECKS.get((claim_id, check))
    return None if function is None else function(example)
