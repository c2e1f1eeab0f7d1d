r"""Exact re-checks of paper 002's (seos) stored counterexamples.

See :mod:`theorylab.errata.exact`. Three statements on small rational instances:

* Eq. 17 (Theorem 3.1): :math:`\mathbb{E}[\Delta_2\hat\sigma]_B` by brute force over every
  minibatch pair of two SGD steps of the quadratic regression model (Eq. 12-13), in sympy,
  with the expectation over ``z`` and ``Q`` taken monomial by monomial;
* the ordering :math:`\hat{\mathcal{K}}_{tr} \le \hat{\mathcal{K}}_{HD} \le \mathcal{K}`
  (Sec. 2.4), with :math:`\mathcal{K}` (Eq. 9) from the exact eigenframe of the NTK;
* Eq. 56/58's momentum gain against :math:`\sum_t y_t^2` solved exactly as a discrete
  Lyapunov equation;
* and, from :mod:`theorylab.errata.exact.seos_stability`, Theorem 2.1 and ``K`` against the
  exact stability of SGD's second moment, and Eq. 8 / 33 against its enumerated operator.
"""

from __future__ import annotations

from itertools import combinations, pairwise
from math import comb
from typing import Any

from theorylab.errata.exact.common import ExactCheck, ExactFunction, exact_number, sympy_matrix
from theorylab.errata.exact.seos_stability import CHECKS as STABILITY_CHECKS
from theorylab.errata.exact.seos_stability import exact_frame, kernel_norm, kernel_parts
from theorylab.spec import Counterexample

__all__ = ["CHECKS"]

MAX_ENTRIES = 8
"""Largest D*P of a brute-forced quadratic regression instance (sympy cost)."""
MAX_MASK_PAIRS = 100
"""Most minibatch pairs (C(D, B)^2) enumerated."""


def _expectation(expr: Any, variances: dict[Any, Any]) -> Any | None:
    """Mean of a polynomial in independent symmetric zero-mean coordinates of given variances.

    Odd powers have mean 0 and squares their variance; a power >= 4 would need the law
    (``None``).
    """
    import sympy

    poly = sympy.Poly(sympy.expand(expr), *variances)
    total = sympy.Integer(0)
    for powers, coefficient in poly.terms():
        if any(power >= 4 and power % 2 == 0 for power in powers):
            return None
        if any(power % 2 for power in powers):
            continue
        term = coefficient
        for symbol, power in zip(variances, powers, strict=True):
            term *= variances[symbol] ** (power // 2)
        total += term
    return sympy.simplify(total)


def _second_derivative(jac: Any, eta: Any, batch: int, v_q: Any, v_z: Any) -> Any | None:
    r""":math:`\mathbb{E}_{P,Q,z}[\Delta_2\hat\sigma_{0}]` of the top mode, two SGD steps.

    :math:`Q = \sum_\gamma w_\gamma\otimes M_\gamma` over the full left basis, :math:`M_\gamma`
    symmetric with entries of variance ``v_q``, ``z`` of variance ``v_z``;
    :math:`\hat\sigma_t = w^\top J_t v`, :math:`\Delta_2 = \hat\sigma_2 - 2\hat\sigma_1 +
    \hat\sigma_0`, averaged over every pair of minibatches of size ``batch``.
    """
    import sympy

    size, params = jac.shape
    frame = exact_frame(jac * jac.T, unique=False)
    if frame[0][0] == 0 or (size > 1 and frame[0][0] == frame[0][1]):
        return None  # no top mode, or a repeated one
    left = frame[1]
    w = left[:, 0]
    sigma = sympy.sqrt(frame[0][0])
    v = jac.T * w / sigma
    z = sympy.Matrix(sympy.symbols(f"z0:{size}"))
    blocks = []
    variances = {symbol: v_z for symbol in z}
    for gamma in range(size):
        block = sympy.zeros(params, params)
        for j in range(params):
            for k in range(j, params):
                entry = sympy.Symbol(f"m{gamma}_{j}_{k}")
                variances[entry] = v_q
                block[j, k] = block[k, j] = entry
        blocks.append(block)

    def bend(theta: Any) -> Any:  # Q[theta, .], a D x P matrix
        return sympy.Matrix.vstack(*[(sum((left[d, g] * blocks[g] for g in range(size)),
                                          sympy.zeros(params, params)) * theta).T
                                     for d in range(size)])

    probe = sympy.Matrix([(w.T * bend(sympy.eye(params)[:, p]) * v)[0] for p in range(params)])
    masks = [sympy.diag(*[int(i in subset) for i in range(size)])
             for subset in combinations(range(size), batch)]
    step = eta / batch
    total = sympy.Integer(0)
    for first in masks:
        theta1 = -step * jac.T * first * z
        jac1 = jac + bend(theta1)
        z1 = z + jac * theta1 + bend(theta1) * theta1 / 2
        for second in masks:
            theta2 = theta1 - step * jac1.T * second * z1
            total += (probe.T * (theta2 - 2 * theta1))[0]
    return _expectation(total / len(masks) ** 2, variances)


def _eq17_batch_gap(example: Counterexample) -> ExactCheck | None:
    r"""Paper 002, Eq. 17: :math:`\mathbb{E}[\Delta_2\hat\sigma]_B - d_2` vs the printed law.

    Printed: :math:`-B^{-1}D^{-2}\eta^3\sigma^3V P V_z`, :math:`d_2` the ``B = D`` value;
    both sides recomputed from the stored ``jacobian``, ``learning_rate``, ``batch_size``,
    ``V``, ``V_z`` by :func:`_second_derivative`.
    """
    import sympy

    item = example.instance
    try:
        jac = sympy_matrix(item["jacobian"])
        eta = sympy.Rational(exact_number(item["learning_rate"]))
        batch = exact_number(item["batch_size"])
        v_q = sympy.Rational(exact_number(item.get("V", 1)))
        v_z = sympy.Rational(exact_number(item.get("V_z", 1)))
    except (KeyError, TypeError, ValueError):
        return None
    size, params = jac.shape
    if (batch.denominator != 1 or not 1 <= batch <= size or size * params > MAX_ENTRIES
            or comb(size, int(batch)) ** 2 > MAX_MASK_PAIRS):
        return None
    small = _second_derivative(jac, eta, int(batch), v_q, v_z)
    full = _second_derivative(jac, eta, size, v_q, v_z)
    if small is None or full is None:
        return None
    sigma = sympy.sqrt(sympy.nsimplify(max((jac.T * jac).eigenvals())))
    printed = sympy.simplify(-(eta**3) * sigma**3 * v_q * params * v_z / (batch * size**2))
    gap = sympy.simplify(small - full)
    return ExactCheck(
        claimed=f"Eq. 17: E[D2 sigma]_B - d_2 = -B^-1 D^-2 eta^3 sigma^3 V P V_z = {printed}",
        actual=f"E[D2 sigma]_B = {small}, d_2 = E[D2 sigma]_D = {full}: gap {gap}",
        refutes=sympy.simplify(gap - printed) != 0,
        arithmetic="sympy",
    )


def _ordering(example: Counterexample) -> ExactCheck | None:
    r"""Paper 002, Sec. 2.4: the ordering K_tr <= K_HD <= K, exactly.

    :math:`\beta = B/D`, :math:`\tilde\beta = (B-1)/(D-1)` (1 at ``D = 1``);
    :math:`A = (1-\eta\lambda)^2 + (\tilde\beta/\beta - 1)\eta^2\lambda^2`,
    :math:`B = (1-\tilde\beta)\beta^{-1}\eta^2\Lambda C\Lambda`,
    :math:`C_{\beta\mu} = \sum_i V_{i\beta}^2V_{i\mu}^2`, :math:`\mathcal{K} =
    \lambda_{\max}((I-A)^{-1}B)` (Eq. 9); :math:`\hat{\mathcal{K}}_{HD} = \frac{\eta}{B}
    \sum\frac{\lambda}{2-\eta\lambda}` (Eq. 10), :math:`\hat{\mathcal{K}}_{tr} =
    \frac{\eta}{2B}\mathrm{tr}\hat\Theta` (Eq. 11). Exact eigenframe required (distinct
    eigenvalues).
    """
    import sympy

    item = example.instance
    try:
        ntk = sympy_matrix(item["ntk"])
        eta = sympy.Rational(exact_number(item["eta"]))
        batch = exact_number(item["B"])
    except (KeyError, TypeError, ValueError):
        return None
    size = ntk.rows
    frame = None if ntk != ntk.T or not 1 <= batch <= size else exact_frame(ntk, unique=size > 1)
    if frame is None or min(frame[0]) < 0 or eta * max(frame[0]) >= 2:
        return None
    values = frame[0]
    deterministic, stochastic = kernel_parts(frame, eta, batch)
    gap = [1 - deterministic[a, a] for a in range(size)]
    if any(value <= 0 for value in gap):
        return None
    k_exact = kernel_norm(deterministic, stochastic)
    k_hd = eta / batch * sum(lam / (2 - eta * lam) for lam in values)
    k_tr = eta / (2 * batch) * ntk.trace()
    order = [("K_tr", k_tr), ("K_HD", k_hd), ("K", k_exact)]
    broken = [(a, b) for (a, x), (b, y) in pairwise(order) if x > y]
    return ExactCheck(
        claimed="K_tr <= K_HD <= K",
        actual=", ".join(f"{name} = {value}" for name, value in order)
        + "".join(f": {a} > {b}" for a, b in broken[:1]),
        refutes=bool(broken),
        arithmetic="sympy",
    )


def _printed_gain(example: Counterexample) -> ExactCheck | None:
    r"""Paper 002, Eq. 56/58 as printed vs :math:`\sum_t y_t^2` of the heavy-ball recursion.

    :math:`y_{t+1} = (1 - x + \mu)y_t - \mu y_{t-1}`, :math:`y_0 = 1`, :math:`y_{-1} = 0`:
    :math:`M = \sum_t s_ts_t^\top` (``s_t = (y_t, y_{t-1})``) solves
    :math:`M = s_0s_0^\top + TMT^\top` exactly; :math:`\sum_t y_t^2 = M_{11}`. The printed
    gain is :math:`(2\mu/(1-\mu) + \frac{(1-x)^2-2\mu x-\mu^2}{2(1+\mu)x-x^2}) /
    ((1-\mu)^2 - 2(1+\mu)x + x^2)`.
    """
    import sympy

    try:
        x = sympy.Rational(exact_number(example.instance["x"]))
        mu = sympy.Rational(exact_number(example.instance["mu"]))
    except (KeyError, TypeError, ValueError):
        return None
    trace = 1 - x + mu
    if not (0 <= mu < 1 and abs(trace) < 1 + mu and 0 < x < 2 * (1 + mu)):
        return None  # the recursion is not stable: the sum diverges
    denominator = (1 - mu) ** 2 - 2 * (1 + mu) * x + x**2
    if denominator == 0:
        return None  # Eq. 58 as printed is singular there
    printed = (2 * mu / (1 - mu) + ((1 - x) ** 2 - 2 * mu * x - mu**2)
               / (2 * (1 + mu) * x - x**2)) / denominator
    m11, m12, m22 = sympy.symbols("m11 m12 m22")
    moment = sympy.Matrix([[m11, m12], [m12, m22]])
    transition = sympy.Matrix([[trace, -mu], [1, 0]])
    equation = moment - transition * moment * transition.T - sympy.diag(1, 0)
    solution = sympy.solve(list(equation), [m11, m12, m22], dict=True)
    if len(solution) != 1:
        return None
    total = solution[0][m11]
    return ExactCheck(
        claimed=f"Eq. 56/58: G(x={x}, mu={mu}) = {printed}",
        actual=f"sum_t y_t^2 = {total}",
        refutes=printed != total,
        arithmetic="sympy",
    )


CHECKS: dict[tuple[str, str], ExactFunction] = {
    ("seos.conservative_sharpening", "eq17_batch_gap"): _eq17_batch_gap,
    ("seos.k_approximations", "ordering_ktr_khd_k"): _ordering,
    ("seos.k_approximations", "ordering_minimal"): _ordering,
    ("seos.k_momentum", "printed_gain"): _printed_gain,
    **STABILITY_CHECKS,
}
"""(claim id, check name) → exact re-check of that check's stored counterexample."""
