r"""Symbolic checks of paper 003 (curvature-aligned probing): Eq. 5-9, 15, 20-23, App. A.

Each function returns :class:`~theorylab.spec.DerivationStep` records built from the
construction (never copied from the paper) and compared with the paper's formula by
:func:`~theorylab.proofs.steps.equality_step`. Gaussian expectations use exact moments of
:math:`z\sim\mathcal N(0,\sigma^2 I_D)` (Isserlis / Wick): :math:`\mathbb E z_i^{2m} =
(2m-1)!!\,\sigma^{2m}`, odd moments zero, independent coordinates
(:func:`gaussian_expectation`). Inequalities of the Theorem 2 proof are checked as
sum-of-squares identities (``rhs - lhs`` equals an explicit SOS), which proves them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from theorylab.errors import ParameterError
from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.spec import DerivationStep

__all__ = [
    "corollary4_derivation",
    "gaussian_expectation",
    "gaussian_moment_derivation",
    "increment_derivation",
    "lemma5_exchange_derivation",
    "rate_derivation",
    "reduction_derivation",
]


def gaussian_expectation(
    expression: sympy.Expr, noise: Sequence[sympy.Symbol], variance: sympy.Expr
) -> sympy.Expr:
    r"""Exact :math:`\mathbb E` of a polynomial in i.i.d. :math:`z_i\sim\mathcal N(0,\sigma^2)`.

    Each monomial :math:`\prod z_i^{k_i}` maps to :math:`\prod_i (k_i-1)!!\,\sigma^{k_i}`
    when every :math:`k_i` is even, else 0 (Isserlis' theorem for independent coordinates).

    Examples
    --------
    >>> z, s2 = sympy.symbols("z s2")
    >>> gaussian_expectation(z**4 + z**3, [z], s2)
    3*s2**2
    """
    try:
        polynomial = sympy.Poly(sympy.expand(expression), *noise)
    except sympy.PolynomialError as error:
        raise ParameterError(f"expression is not polynomial in the noise: {error}") from error
    total = sympy.Integer(0)
    for exponents, coefficient in polynomial.terms():
        if any(power % 2 for power in exponents):
            continue
        moment = sympy.Integer(1)
        for power in exponents:
            moment *= sympy.factorial2(power - 1) * variance ** (power // 2)
        total += coefficient * moment
    return sympy.expand(total)


def _symmetric(prefix: str, size: int) -> sympy.Matrix:
    return sympy.Matrix(
        size, size, lambda i, j: sympy.Symbol(f"{prefix}_{min(i, j)}{max(i, j)}", real=True)
    )


def _vector(prefix: str, size: int) -> sympy.Matrix:
    return sympy.Matrix(sympy.symbols(f"{prefix}_0:{size}", real=True))


def _surrogate_moments(size: int) -> tuple[sympy.Expr, ...]:
    a, sigma = sympy.symbols("a sigma", positive=True)
    c, B = _vector("c", size), _symmetric("B", size)
    z = _vector("z", size)
    quadratic = (z.T * B * z)[0, 0]
    linear = (c.T * z)[0, 0]
    return a, sigma, c, B, z, quadratic, linear


def increment_derivation(samples: int) -> list[DerivationStep]:
    """Eq. 5 for ``samples`` symbolic losses, and for symbolic :math:`k` via the sum :math:`S`."""
    losses = sympy.symbols(f"l_1:{samples + 2}", real=True)
    k = samples
    mean_k = sum(losses[:k]) / k
    mean_next = sum(losses[: k + 1]) / (k + 1)
    symbolic_k, total, new = sympy.symbols("k S l", positive=True)
    return [
        equality_step(
            f"eq5_k{k}", "Eq. 5", r"L_{k+1}-L_k = (\ell_{k+1}-L_k)/(k+1)",
            mean_next - mean_k, (losses[k] - mean_k) / (k + 1),
        ),
        equality_step(
            "eq5_symbolic_k", "Eq. 5", r"\frac{S+\ell}{k+1} - \frac{S}{k} = \frac{\ell - S/k}{k+1}",
            (total + new) / (symbolic_k + 1) - total / symbolic_k,
            (new - total / symbolic_k) / (symbolic_k + 1),
        ),
    ]


def reduction_derivation(size: int, dimension: int) -> list[DerivationStep]:
    r"""Eq. 6-9: exact quadratic losses, the increment model, Lemma 1 in a Cayley frame."""
    k = 2
    w = _vector("w", size)
    delta = _vector("d", size)
    center = _vector("m", size)
    losses = []
    for i in range(k + 1):
        offset = sympy.Symbol(f"alpha_{i}", real=True)
        linear = _vector(f"beta{i}", size)
        curvature = _symmetric(f"G{i}", size)
        losses.append(lambda x, o=offset, b=linear, G=curvature: o + (b.T * x)[0, 0]
                      + (x.T * G * x)[0, 0] / 2)
    mean_k = lambda x: sum(f(x) for f in losses[:k]) / k  # noqa: E731
    mean_next = lambda x: sum(f(x) for f in losses) / (k + 1)  # noqa: E731
    gradient = lambda f, x: sympy.Matrix([sympy.diff(f(w), v) for v in w]).subs(  # noqa: E731
        dict(zip(w, x, strict=True)))
    hessian = lambda f: sympy.hessian(f(w), list(w))  # noqa: E731
    shifted = center + delta
    value_gap = mean_next(center) - mean_k(center)
    g_next = gradient(mean_next, center)
    g_k = gradient(mean_k, center)
    difference = hessian(mean_next) - hessian(mean_k)
    model7 = value_gap + ((g_next - g_k).T * delta)[0, 0] + (delta.T * difference * delta)[0, 0] / 2
    steps = [
        equality_step(
            "eq6_taylor_exact_for_quadratics", "Eq. 6",
            r"L_m(w^*+\Delta w) = L_m + g^{(m)\top}\Delta w"
            r" + \tfrac12\Delta w^\top H^{(m)}\Delta w",
            mean_k(shifted),
            mean_k(center) + (g_k.T * delta)[0, 0] + (delta.T * hessian(mean_k) * delta)[0, 0] / 2,
        ),
        equality_step(
            "eq7_increment_model", "Eq. 7",
            r"L_{k+1}-L_k = a + (g^{(k+1)}-g^{(k)})^\top\Delta w + \tfrac12\Delta w^\top A\Delta w",
            mean_next(shifted) - mean_k(shifted), model7,
        ),
    ]
    # Eq. 8 and Lemma 1: stationarity g^(k)(w*) = 0, then the probe w = w* + U z.
    g_sample = _vector("gs", size)
    g_mean = _vector("gk", size)
    steps.append(equality_step(
        "eq8_gradient_at_minimiser", "Eq. 8 / App. A.4",
        r"g^{(k+1)} = \frac{k g^{(k)} + g_{k+1}}{k+1} = \frac{g_{k+1}}{k+1}\ \text{at}\ g^{(k)}=0",
        ((k * g_mean + g_sample) / (k + 1)).subs(dict.fromkeys(g_mean, 0)), g_sample / (k + 1),
    ))
    frame = cayley_orthogonal(size, "q")[:, :dimension]
    sigma = sympy.Symbol("sigma", positive=True)
    z = _vector("z", dimension)
    a = sympy.Symbol("a", real=True)
    g = _vector("g", size)
    A = _symmetric("A", size)
    full = a + (g.T * frame * z)[0, 0] + (z.T * frame.T * A * frame * z)[0, 0] / 2
    c = frame.T * g
    B = frame.T * A * frame
    compressed = a + (c.T * z)[0, 0] + (z.T * B * z)[0, 0] / 2
    steps.append(equality_step(
        "lemma1_pointwise", "Lemma 1", r"q(U z) = a + c^\top z + \tfrac12 z^\top B z",
        full, compressed, method="cancel",
    ))
    covariance = (frame * z) * (frame * z).T
    steps.append(equality_step(
        "lemma1_probe_law", "Lemma 1", r"\mathbb E[\Delta w\Delta w^\top] = \sigma^2 U U^\top",
        covariance.applyfunc(lambda e: gaussian_expectation(e, list(z), sigma**2)),
        sigma**2 * frame * frame.T, method="cancel",
    ))
    steps.append(equality_step(
        "lemma1_orthonormal", "Lemma 1", r"U^\top U = I_D",
        frame.T * frame, sympy.eye(dimension), method="cancel",
    ))
    return steps


def gaussian_moment_derivation(dimension: int) -> list[DerivationStep]:
    """Eq. 20, Eq. 21 and Eq. 14-15 for symbolic ``a``, ``c``, ``B``, ``σ`` (exact moments)."""
    a, sigma, c, B, z, quadratic, linear = _surrogate_moments(dimension)
    variance = sigma**2
    trace = B.trace()
    trace_square = (B * B).trace()
    return [
        equality_step(
            f"eq20_D{dimension}", "Eq. 20", r"\mathbb E(c^\top z)^2 = \sigma^2\|c\|^2",
            gaussian_expectation(linear**2, list(z), variance), variance * (c.T * c)[0, 0],
        ),
        equality_step(
            f"eq21_D{dimension}", "Eq. 21",
            r"\mathbb E(z^\top Bz)^2 = \sigma^4(2\mathrm{Tr}B^2 + (\mathrm{Tr}B)^2)",
            gaussian_expectation(quadratic**2, list(z), variance),
            variance**2 * (2 * trace_square + trace**2),
        ),
        equality_step(
            f"eq15_D{dimension}", "Eq. 14-15",
            r"\mathbb E(a+c^\top z+\tfrac12 z^\top Bz)^2 = a^2 + a\sigma^2\mathrm{Tr}B + "
            r"\sigma^2\|c\|^2 + \tfrac{\sigma^4}{4}(2\mathrm{Tr}B^2+(\mathrm{Tr}B)^2)",
            gaussian_expectation((a + linear + quadratic / 2) ** 2, list(z), variance),
            a**2 + a * variance * trace + variance * (c.T * c)[0, 0]
            + variance**2 / 4 * (2 * trace_square + trace**2),
        ),
    ]


def rate_derivation(dimension: int) -> list[DerivationStep]:
    r"""Each step of the Theorem 2 proof (App. A.4), inequalities as SOS identities."""
    x, y, u = sympy.symbols("x y u", real=True)
    k, M_l, M_g, M_H, sigma, D = sympy.symbols("k M_l M_g M_H sigma D", positive=True)
    eigenvalues = sympy.symbols(f"lambda_0:{dimension}", real=True)
    top = sympy.Symbol("lambda_max", real=True)
    total = sum(eigenvalues)
    squares = sum(v**2 for v in eigenvalues)
    steps = [
        equality_step(
            "three_term_inequality", "App. A.4 (split)",
            r"3(x^2+y^2+u^2) - (x+y+u)^2 = (x-y)^2+(y-u)^2+(x-u)^2 \ge 0",
            3 * (x**2 + y**2 + u**2) - (x + y + u) ** 2, (x - y) ** 2 + (y - u) ** 2 + (x - u) ** 2,
        ),
        equality_step(
            f"eq22_trace_square_D{dimension}", "Eq. 22",
            r"D\,\mathrm{Tr}B^2 - (\mathrm{Tr}B)^2 = \tfrac12\sum_{ij}(\lambda_i-\lambda_j)^2\ge0",
            dimension * squares - total**2,
            sum((p - q) ** 2 for p in eigenvalues for q in eigenvalues) / 2,
        ),
        equality_step(
            f"eq22_frobenius_D{dimension}", "Eq. 22",
            r"D\|B\|_2^2 - \mathrm{Tr}B^2 = \sum_i(\lambda_{\max}^2-\lambda_i^2)\ge0",
            dimension * top**2 - squares, sum(top**2 - v**2 for v in eigenvalues),
        ),
    ]
    zero = 12 * M_l**2 / (k + 1) ** 2
    linear = 3 * sigma**2 * M_g**2 / (k + 1) ** 2
    quadratic = 3 * sigma**4 * (D**2 + 2 * D) * M_H**2 / (k + 1) ** 2
    steps += [
        equality_step(
            "zero_order_term", "App. A.4", r"3 a_k^2 \le 3(2M_\ell/(k+1))^2 = 12M_\ell^2/(k+1)^2",
            3 * (2 * M_l / (k + 1)) ** 2, zero,
        ),
        equality_step(
            "linear_term", "Eq. 20 / App. A.4",
            r"3\sigma^2\|c_k\|^2 \le 3\sigma^2 (M_g/(k+1))^2",
            3 * sigma**2 * (M_g / (k + 1)) ** 2, linear,
        ),
        equality_step(
            "quadratic_term", "Eq. 23", r"\tfrac34\sigma^4(D^2+2D)(2M_H/(k+1))^2",
            sympy.Rational(3, 4) * sigma**4 * (D**2 + 2 * D) * (2 * M_H / (k + 1)) ** 2, quadratic,
        ),
        equality_step(
            "eq10_assembly", "Eq. 10",
            r"\text{sum} = [12M_\ell^2 + 3\sigma^2M_g^2 + 3\sigma^4(D^2+2D)M_H^2]/(k+1)^2",
            zero + linear + quadratic,
            (12 * M_l**2 + 3 * sigma**2 * M_g**2 + 3 * sigma**4 * (D**2 + 2 * D) * M_H**2)
            / (k + 1) ** 2,
        ),
    ]
    hessians = [_symmetric(f"H{i}", 2) for i in range(3)]
    mean = (hessians[0] + hessians[1]) / 2
    steps.append(equality_step(
        "hessian_increment", "App. A.4", r"A_k = H^{(k+1)}-H^{(k)} = (H_{k+1}-H^{(k)})/(k+1)",
        (hessians[0] + hessians[1] + hessians[2]) / 3 - mean, (hessians[2] - mean) / 3,
    ))
    return steps


def corollary4_derivation(size: int, dimension: int) -> list[DerivationStep]:
    r"""Corollary 4 (Eq. 16) under Assumption 2 in a symbolic common eigenbasis (Cayley)."""
    basis = cayley_orthogonal(size, "q")
    base = sympy.symbols(f"lambda_0:{size}", real=True)
    increments = sympy.symbols(f"delta_0:{size}", real=True)
    sigma = sympy.Symbol("sigma", positive=True)
    before = basis * sympy.diag(*base) * basis.T
    after = basis * sympy.diag(*[b + d for b, d in zip(base, increments, strict=True)]) * basis.T
    frame = basis[:, :dimension]
    compressed = (frame.T * (after - before) * frame).applyfunc(sympy.cancel)
    chosen = increments[:dimension]
    trace = compressed.trace()
    trace_square = (compressed * compressed).trace()
    return [
        equality_step(
            "assumption2_diagonal", "App. A.5", r"B_k = U_D^\top A_k U_D = \mathrm{diag}(\delta_i)",
            compressed, sympy.diag(*chosen), method="cancel",
        ),
        equality_step(
            "eq16", "Eq. 16",
            r"\tfrac{\sigma^4}4(2\mathrm{Tr}B^2+(\mathrm{Tr}B)^2)"
            r" = \tfrac{\sigma^4}{4}[2\sum\delta_i^2+(\sum\delta_i)^2]",
            sigma**4 / 4 * (2 * trace_square + trace**2),
            sigma**4 / 4 * (2 * sum(d**2 for d in chosen) + sum(chosen) ** 2), method="cancel",
        ),
    ]


def lemma5_exchange_derivation() -> list[DerivationStep]:
    r"""App. A.6 exchange step of Lemma 5, as an identity.

    :math:`\Phi(S')-\Phi(S) = (\delta_j-\delta_i)(2\delta_i+2\delta_j+s+s')`.
    The identity holds for every sign; its non-negativity needs :math:`\delta_j\ge\delta_i`
    and :math:`2(\delta_i+\delta_j)+s+s'\ge0` (true for non-negative increments).
    """
    rest, d_i, d_j = sympy.symbols("r delta_i delta_j", real=True)
    rest_squares = sympy.Symbol("q", nonnegative=True)
    before = 2 * (rest_squares + d_i**2) + (rest + d_i) ** 2
    after = 2 * (rest_squares + d_j**2) + (rest + d_j) ** 2
    return [
        equality_step(
            "lemma5_exchange", "App. A.6",
            r"\Phi(S')-\Phi(S) = (\delta_j-\delta_i)\,(2\delta_i+2\delta_j+s+s')",
            after - before, (d_j - d_i) * (2 * d_i + 2 * d_j + (rest + d_i) + (rest + d_j)),
        )
    ]
