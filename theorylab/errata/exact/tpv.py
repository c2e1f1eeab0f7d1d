"""Exact re-checks of paper 000's (tpv) stored counterexamples (:mod:`theorylab.errata.exact`)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from theorylab.errata.exact.common import (
    ExactCheck,
    ExactFunction,
    exact_matrices,
    exact_number,
    matrix_text,
    sympy_matrix,
)
from theorylab.spec import Counterexample


def _minibatch_noise(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, Eq. 46 vs Eq. 47 with replacement, in fractions.

    :math:`\Sigma_\xi = \tfrac1b(\tfrac1n J^\top\mathrm{diag}(\varepsilon^2)J -
    \tfrac1{n^2}J^\top\varepsilon\varepsilon^\top J)`; Eq. 47 keeps the first term only.
    """
    item = example.instance
    try:
        rows = exact_matrices([item["jacobian"]])[0]
        residuals = [exact_number(value) for value in item["residuals"]]
        batch = exact_number(item["batch_size"])
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
        claimed=f"Eq. 47: Sigma_xi ~ {matrix_text(eq47)}",
        actual=f"Eq. 46: Sigma_xi = {matrix_text(exact)}",
        refutes=eq47 != exact,
        arithmetic="fractions",
    )


def _sample_whitening(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, Remark 3.1: :math:`\tfrac1n X^\top X = I_d`, impossible for ``n < d``."""
    import sympy

    try:
        x = sympy_matrix(example.instance["X"])
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
        train = sympy_matrix(item["jacobian_train"])
        sigma2 = sympy.Rational(exact_number(item["noise_std"])) ** 2
        if found is None or exact_number(item.get("ridge", 0)) != 0:
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
        j = {key: sympy_matrix(item[key])
             for key in ("J_tr(w0)", "J_tr(w*)", "J_te(w0)", "J_te(w*)")}
        c = sympy_matrix(item["C"])
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
        directions = exact_matrices(item["directions"])  # (n, G, K)
        probabilities = [[exact_number(value) for value in row] for row in item["probabilities"]]
        tau = exact_number(item.get("threshold", 0.9))
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


def _zero_loss_eq74(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, Eq. 74 at a zero-training-loss minimiser, for a symbolic deviation.

    Linearised residuals :math:`\varepsilon = J\delta w` (stored residuals ``r = 0``),
    :math:`H = J^\top J/n`, :math:`\mathrm{TPV}_t = \delta w^\top H\delta w`,
    :math:`\sigma_\varepsilon^2 = \|\varepsilon\|^2/n`; Eq. 74 says
    :math:`\mathrm{TPV} \approx \frac{\eta\sigma_\varepsilon^2}{2b}\mathrm{Tr}H`. The SGD step
    averaged over minibatches is :math:`(I-\eta H)\delta w` and the noise vanishes with
    :math:`\delta w`, so :math:`w^*` is absorbing. All in sympy, :math:`\delta w` symbolic.
    """
    import sympy

    item = example.instance
    try:
        jac = sympy_matrix(item["jacobian"])
        residuals = [exact_number(value) for value in item["residuals"]]
        batch = exact_number(item["batch_size"])
        eta = sympy.Rational(exact_number(item["learning_rate"]))
    except (KeyError, TypeError, ValueError):
        return None
    n, p = jac.shape
    if any(residuals) or len(residuals) != n or not 1 <= batch <= n:
        return None
    names = "dw" if p == 1 else " ".join(f"dw_{a + 1}" for a in range(p))
    dw = sympy.Matrix(sympy.symbols(names, seq=True))
    h = jac.T * jac / n
    tpv = sympy.expand((dw.T * h * dw)[0])
    sigma2 = sympy.expand(sum(e**2 for e in jac * dw) / n)
    eq74 = sympy.expand(eta * sigma2 / (2 * sympy.Rational(batch)) * h.trace())
    step = sympy.expand(dw - eta * h * dw)
    return ExactCheck(
        claimed=f"Eq. 74: TPV_t = (eta sigma_eps^2/2b) Tr H = {eq74}",
        actual=f"TPV_t = sigma_eps^2 = {tpv} (Eq. 74/TPV = eta Tr H/2b = "
        f"{eta * h.trace() / (2 * sympy.Rational(batch))}); "
        f"E[dw_(t+1)] = {step[0] if p == 1 else step.T.tolist()[0]}, no noise at w*: "
        "stationary TPV = 0",
        refutes=sympy.simplify(eq74 - tpv) != 0 and sympy.simplify(tpv - sigma2) == 0,
        arithmetic="sympy",
    )


def _nonzero_mean_residuals(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, Eq. 54 (App. D.1) under (i)-(ii) with i.i.d. residuals of non-zero mean.

    Enumerates every residual vector :math:`\varepsilon \in V^n` (``residual_values`` V,
    equiprobable, independent of ``J``) and averages Eq. 46's trace in fractions; Eq. 54
    says :math:`\frac{\sigma^2}{b}\mathrm{Tr}H_{\mathrm{eff}}`,
    :math:`\sigma^2 = \mathbb E\varepsilon_i^2`.
    """
    import itertools

    item = example.instance
    try:
        rows = exact_matrices([item["jacobian"]])[0]
        values = [exact_number(value) for value in item["residual_values"]]
        batch = exact_number(item["batch_size"])
    except (KeyError, TypeError, ValueError):
        return None
    n, p = len(rows), len(rows[0])
    if n == 0 or not values or len(values) ** n > 4096:
        return None
    total = Fraction(0)
    for draw in itertools.product(values, repeat=n):
        gradient = [sum(draw[i] * rows[i][a] for i in range(n)) / n for a in range(p)]
        weighted = sum(draw[i] ** 2 * sum(x * x for x in rows[i]) for i in range(n)) / n
        total += (weighted - sum(g * g for g in gradient)) / batch
    truth = total / len(values) ** n
    second = sum(v * v for v in values) / len(values)
    claimed = second / batch * sum(x * x for row in rows for x in row) / n
    return ExactCheck(
        claimed=f"Eq. 54: E Tr Sigma_xi ~ sigma^2/b Tr H_eff = {claimed}",
        actual=f"E Tr Sigma_xi = {truth} (relative error {(claimed - truth) / truth})",
        refutes=claimed != truth,
        arithmetic="fractions",
    )


def _radial_whitened_rows(example: Counterexample) -> ExactCheck | None:
    r"""Paper 000, Remark 3.1 'TPV ≈ σ² n/d' at ``n = 1`` for whitened rows of random norm.

    With one row, :math:`\mathrm{Tr}((xx^\top)^{-1}) = 1/\|x\|^2`; the stored equiprobable
    ``squared_norms`` must average to ``d`` (whitened: :math:`\mathbb E\|x\|^2 = d`). In
    fractions: :math:`\mathbb E\,1/\|x\|^2` against ``n/d``.
    """
    item = example.instance
    try:
        dimension = exact_number(item["d"])
        norms = [exact_number(value) for value in item["squared_norms"]]
    except (KeyError, TypeError, ValueError):
        return None
    if item.get("n") != 1 or not norms or any(v <= 0 for v in norms):
        return None
    if sum(norms) / len(norms) != dimension:  # not whitened: outside Remark 3.1
        return None
    actual = sum((1 / Fraction(v) for v in norms), Fraction(0)) / len(norms)
    claimed = 1 / Fraction(dimension)
    return ExactCheck(
        claimed=f"TPV/sigma^2 ~ n/d = {claimed}",
        actual=f"E Tr((XX^T)^-1) = E 1/|x|^2 = {actual} (ratio {actual / claimed})",
        refutes=actual != claimed,
        arithmetic="fractions",
    )


CHECKS: dict[tuple[str, str], ExactFunction] = {
    ("tpv.sgd_noise_covariance", "approximation_1_error_law"): _minibatch_noise,
    ("tpv.linear_label_noise", "sample_whitening_sentence"): _sample_whitening,
    ("tpv.label_noise_regimes", "matched_distribution_interpolation"): _matched_interpolation,
    ("tpv.trace_stability", "assumptions_imply_conclusion"): _trace_stability,
    ("tpv.jbr_pruning", "literal_ranking_vs_tpv"): _jbr_ranking,
    ("tpv.sgd_lyapunov", "zero_loss_eq74"): _zero_loss_eq74,
    ("tpv.sgd_noise_covariance", "approximation_2_nonzero_mean"): _nonzero_mean_residuals,
    ("tpv.linear_label_noise", "radial_whitened_rows"): _radial_whitened_rows,
}
"""(claim id, check name) → exact re-check of that check's stored counterexample."""
