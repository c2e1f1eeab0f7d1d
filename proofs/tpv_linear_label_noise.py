r"""Symbolic checks of paper 000, Remark 3.1 (Eq. 9) and its proof in App. B.

Three derivations, each a list of :class:`~theorylab.spec.DerivationStep`:

* :func:`linear_label_noise_derivation` — App. B step by step on a generic symbolic design
  :math:`X \in \mathbb{R}^{n\times d}` (free symbols, so full row rank generically and
  :math:`\det XX^\top \ne 0` as a polynomial): min-norm fit, :math:`\delta w = X^\top
  (XX^\top)^{-1}\varepsilon` under (iii), :math:`C = \sigma^2 X^\top(XX^\top)^{-2}X` by the
  isotropic noise-moment operator, :math:`\mathrm{Tr}(H_{\mathrm{eff}}C) = \mathrm{Tr}(C)`
  for a whitened test law (taken as a moment operator on a symbolic test input), and the
  cyclic-trace step to :math:`\sigma^2\mathrm{Tr}((XX^\top)^{-1})`.
* :func:`remark_sample_whitening_steps` — the remark's sentence "for a large enough
  :math:`n (\ll d)`, :math:`\frac1n X^\top X = I_d`" as an equality step, next to the fact
  that decides it: :math:`X^\top X` annihilates a null vector of X, so it is singular when
  :math:`n < d`.
* :func:`inverse_wishart_derivation` — the corrected companion: for Gaussian rows the
  Bartlett decomposition :math:`XX^\top \overset{d}{=} LL^\top` (:math:`L_{ii}^2 \sim
  \chi^2_{d-i+1}`, :math:`L_{ij} \sim \mathcal{N}(0, 1)`, independent) gives
  :math:`\mathbb{E}(XX^\top)^{-1} = I_n/(d-n-1)`, hence :math:`\mathbb{E}\,\mathrm{TPV} =
  \sigma^2 n/(d-n-1)`, whose relative excess over the remark's :math:`\sigma^2 n/d` is
  :math:`(n+1)/(d-n-1)`.
"""

from __future__ import annotations

import sympy
from sympy.polys.matrices import DomainMatrix

from theorylab.errors import ParameterError
from theorylab.proofs.steps import RationalMatrix, equality_step, expectation_isotropic
from theorylab.spec import DerivationStep

__all__ = [
    "inverse_wishart_derivation",
    "linear_label_noise_derivation",
    "remark_sample_whitening_steps",
]


def _design(samples: int, dimension: int) -> sympy.Matrix:
    """Generic symbolic design matrix with entries ``x_ij``."""
    return sympy.Matrix(
        samples,
        dimension,
        lambda i, j: sympy.Symbol(f"x_{i + 1}{j + 1}", real=True),
    )


def _column(name: str, size: int) -> sympy.Matrix:
    return sympy.Matrix([sympy.Symbol(f"{name}_{k + 1}", real=True) for k in range(size)])


def _check_sizes(samples: int, dimension: int) -> None:
    if samples < 1 or dimension < samples:
        raise ParameterError(
            f"need 1 <= n <= d (Remark 3.1 (i)), got n = {samples}, d = {dimension}"
        )


def linear_label_noise_derivation(samples: int = 2, dimension: int = 3) -> list[DerivationStep]:
    r"""Check paper 000, App. B (proof of Remark 3.1, Eq. 9) step by step.

    Steps, in the paper's order: :math:`w^* = X^\top(XX^\top)^{-1}y` interpolates and is the
    minimum-norm minimiser (orthogonal to :math:`\ker X`); with :math:`\theta^* = X^\top a`
    (assumption (iii)), :math:`w^* = \theta^* + X^\top(XX^\top)^{-1}\varepsilon`;
    :math:`C = \mathbb{E}[\delta w\delta w^\top] = \sigma^2X^\top(XX^\top)^{-2}X`;
    :math:`\mathbb{E}_x\mathrm{Var}_\varepsilon(x^\top w^*) = \mathrm{Tr}(H_{\mathrm{eff}}C)
    = \mathrm{Tr}(C)` for :math:`\mathbb{E}[xx^\top] = I_d` (assumption (ii)); and
    :math:`\mathrm{Tr}(X^\top(XX^\top)^{-2}X) = \mathrm{Tr}((XX^\top)^{-1})`.

    Parameters
    ----------
    samples, dimension
        :math:`n \le d`. (2, 3) takes well under a second.

    Raises
    ------
    ParameterError
        Unless :math:`1 \le n \le d`.

    Examples
    --------
    >>> all(step.holds for step in linear_label_noise_derivation(1, 2))
    True
    """
    _check_sizes(samples, dimension)
    design = _design(samples, dimension)
    eps_symbols = _column("epsilon", samples)
    test_symbols = _column("z", dimension)
    sigma = sympy.Symbol("sigma_epsilon", positive=True)
    symbols = (
        set(design.free_symbols)
        | set(eps_symbols.free_symbols)
        | set(test_symbols.free_symbols)
        | {sigma}
    )
    for name, size in (("a", samples), ("t", dimension)):
        symbols |= _column(name, size).free_symbols
    ring = sympy.QQ[tuple(sorted(symbols, key=sympy.default_sort_key))]

    def exact(value: sympy.MatrixBase) -> RationalMatrix:
        return RationalMatrix.from_sympy(value, ring)

    X = exact(design)
    eps = exact(eps_symbols)
    coefficients = exact(_column("a", samples))
    null_shift = exact(_column("t", dimension))
    test_input = exact(test_symbols)
    gram_sympy = design * design.T
    determinant = ring.from_sympy(sympy.expand(gram_sympy.det()))
    adjugate = DomainMatrix(
        [[ring.from_sympy(sympy.expand(entry)) for entry in row]
         for row in gram_sympy.adjugate().tolist()],
        (samples, samples),
        ring,
    )
    gram = X @ X.T
    gram_inverse = RationalMatrix(adjugate, {determinant: 1})  # adj(G) / det(G)
    variance = sympy.Symbol("sigma_epsilon", positive=True) ** 2
    theta_star = X.T @ coefficients  # assumption (iii): theta* in the row span of X
    labels = X @ theta_star + eps
    w_star = X.T @ gram_inverse @ labels
    delta_w = X.T @ gram_inverse @ eps
    covariance = expectation_isotropic(delta_w @ delta_w.T, list(eps_symbols), variance)
    prediction_change = test_input.T @ delta_w
    pointwise_variance = expectation_isotropic(
        prediction_change @ prediction_change, list(eps_symbols), variance
    )
    whitened_mean = expectation_isotropic(
        pointwise_variance, list(test_symbols), sympy.Integer(1)
    )
    identity = RationalMatrix.identity(dimension, ring)
    squared_inverse_map = X.T @ gram_inverse @ gram_inverse @ X
    return [
        equality_step(
            "gram_inverse",
            "App. B",
            r"(XX^\top)\,\mathrm{adj}(XX^\top)/\det(XX^\top) = I_n"
            r"\ (\det \ne 0 \text{ under full row rank, (i)})",
            gram @ gram_inverse,
            RationalMatrix.identity(samples, ring),
        ),
        equality_step(
            "min_norm_interpolates",
            "App. B",
            r"X w^* = y,\ w^* = X^\top(XX^\top)^{-1}y",
            X @ w_star,
            labels,
        ),
        equality_step(
            "min_norm_orthogonal_to_kernel",
            "App. B",
            r"w^{*\top}t = ((XX^\top)^{-1}y)^\top(Xt) = 0 \text{ for } Xt = 0"
            r"\ \Rightarrow\ \|w^*+t\|^2 = \|w^*\|^2+\|t\|^2",
            w_star.T @ null_shift,
            (gram_inverse @ labels).T @ (X @ null_shift),
        ),
        equality_step(
            "row_span_cancels",
            "App. B",
            r"w^* = \theta^* + X^\top(XX^\top)^{-1}\varepsilon \text{ for } \theta^* = X^\top a",
            w_star,
            theta_star + delta_w,
        ),
        equality_step(
            "parameter_covariance",
            "App. B",
            r"C = \mathbb{E}[\delta w\,\delta w^\top] = \sigma^2X^\top(XX^\top)^{-2}X",
            covariance,
            squared_inverse_map.scale(variance),
        ),
        equality_step(
            "global_equals_local",
            "Remark 3.1, App. B",
            r"\mathbb{E}_x\mathrm{Var}_\varepsilon(x^\top w^*) = \mathrm{Tr}(H_{\mathrm{eff}}C),"
            r"\ H_{\mathrm{eff}} = \mathbb{E}[xx^\top] = I_d",
            whitened_mean,
            (identity @ covariance).trace(),
        ),
        equality_step(
            "whitened_trace",
            "App. B",
            r"\mathrm{Tr}(H_{\mathrm{eff}}C) = \mathrm{Tr}(C) = "
            r"\sigma^2\mathrm{Tr}(X^\top(XX^\top)^{-2}X)",
            (identity @ covariance).trace(),
            squared_inverse_map.trace().scale(variance),
        ),
        equality_step(
            "cyclic_trace",
            "Eq. 9",
            r"\mathrm{Tr}(X^\top(XX^\top)^{-2}X) = \mathrm{Tr}((XX^\top)^{-1})",
            squared_inverse_map.trace(),
            gram_inverse.trace(),
        ),
    ]


def remark_sample_whitening_steps(samples: int = 1, dimension: int = 2) -> list[DerivationStep]:
    r"""The remark's ":math:`\frac1n X^\top X = I_d`" for :math:`n < d`, and why it fails.

    First step: the sentence as an equality on a generic symbolic X (it fails unless the
    residual vanishes). Second step (a true identity): with :math:`t` the generalised cross
    product of the rows of X (the :math:`n\times n` minors of :math:`[X; e_k^\top]`-style
    cofactors), :math:`Xt = 0`, so :math:`X^\top X t = 0 \ne t` — only defined for
    :math:`d = n + 1`, which is the minimal case used here.

    Raises
    ------
    ParameterError
        Unless :math:`d = n + 1` (the cofactor null vector needs it).
    """
    if samples < 1 or dimension != samples + 1:
        raise ParameterError(f"need d = n + 1 >= 2, got n = {samples}, d = {dimension}")
    X = _design(samples, dimension)
    null_vector = sympy.Matrix(
        [(-1) ** k * X[:, [j for j in range(dimension) if j != k]].det() for k in range(dimension)]
    )
    return [
        equality_step(
            "sample_whitening_as_stated",
            "Remark 3.1",
            r"\tfrac1n X^\top X = I_d \ (n < d)",
            X.T * X / samples,
            sympy.eye(dimension),
            method="cancel",
        ),
        equality_step(
            "sample_second_moment_is_singular",
            "Remark 3.1 (rank)",
            r"X t = 0 \text{ for the cofactor vector } t \ne 0,\ \text{so } X^\top X t = 0",
            X.T * X * null_vector,
            sympy.zeros(dimension, 1),
            method="cancel",
        ),
    ]


def _bartlett_factor(samples: int) -> tuple[sympy.Matrix, list[sympy.Symbol], list[sympy.Symbol]]:
    diagonal = [sympy.Symbol(f"l_{i + 1}", positive=True) for i in range(samples)]
    below: list[sympy.Symbol] = []
    factor = sympy.zeros(samples, samples)
    for i in range(samples):
        factor[i, i] = diagonal[i]
        for j in range(i):
            symbol = sympy.Symbol(f"g_{i + 1}{j + 1}", real=True)
            below.append(symbol)
            factor[i, j] = symbol
    return factor, diagonal, below


def _gaussian_moment(expression: sympy.Expr, normals: list[sympy.Symbol]) -> sympy.Expr:
    r""":math:`\mathbb{E}` over independent standard normals: :math:`\mathbb{E}g^{k} = (k-1)!!`."""
    if not normals:
        return sympy.expand(expression)
    polynomial = sympy.Poly(sympy.expand(expression), *normals)
    total = sympy.Integer(0)
    for exponents, coefficient in polynomial.terms():
        weight = sympy.Integer(1)
        for power in exponents:
            weight *= 0 if power % 2 else sympy.factorial2(power - 1)
        total += coefficient * weight
    return sympy.expand(total)


def _inverse_chi_square(
    expression: sympy.Expr, diagonal: list[sympy.Symbol], degrees: list[sympy.Expr]
) -> tuple[sympy.Expr, bool]:
    r"""Replace :math:`l_i^{-2}` by :math:`\mathbb{E}[1/\chi^2_{k_i}] = 1/(k_i-2)`.

    Returns the expectation and whether every monomial had each :math:`l_i` to the power 0
    or :math:`-2` only (the only moments the substitution is valid for).
    """
    total = sympy.Integer(0)
    valid = True
    for term in sympy.Add.make_args(sympy.expand(expression)):
        powers = term.as_powers_dict()
        value = term
        for symbol, degree in zip(diagonal, degrees, strict=True):
            power = powers.get(symbol, 0)
            if power not in (0, -2):
                valid = False
            if power == -2:
                value = value * symbol**2 / (degree - 2)
        total += value
    return sympy.simplify(total), valid


def inverse_wishart_derivation(samples: int = 2) -> list[DerivationStep]:
    r"""Exact :math:`\mathbb{E}\,\mathrm{Tr}((XX^\top)^{-1}) = n/(d-n-1)` for Gaussian rows.

    Steps: the inverse chi-square moment :math:`\int_0^\infty t^{-1}f_{\chi^2_k}(t)\,dt =
    1/(k-2)` (sympy integral, valid for :math:`k > 2`); the Bartlett factor identity
    :math:`\mathrm{Tr}((LL^\top)^{-1}) = \|L^{-1}\|_F^2`; the Gaussian moments of the
    below-diagonal entries and the inverse chi-square moments of the diagonal
    (:math:`L_{ii}^2 \sim \chi^2_{d-i+1}`) give :math:`\mathbb{E}(LL^\top)^{-1} =
    I_n/(d-n-1)`; its trace against the remark's :math:`n/d`: the relative excess is
    :math:`(n+1)/(d-n-1)` and the difference :math:`n(n+1)/(d(d-n-1)) > 0`.

    Raises
    ------
    ParameterError
        If ``samples < 1``.

    Examples
    --------
    >>> all(step.holds for step in inverse_wishart_derivation(1))
    True
    """
    if samples < 1:
        raise ParameterError(f"samples must be at least 1, got {samples}")
    d = sympy.Symbol("d", positive=True)
    k = sympy.Symbol("k", positive=True)
    t = sympy.Symbol("t", positive=True)
    density = t ** (k / 2 - 1) * sympy.exp(-t / 2) / (2 ** (k / 2) * sympy.gamma(k / 2))
    inverse_moment = sympy.gammasimp(
        sympy.integrate(density / t, (t, 0, sympy.oo), conds="none")
    )
    factor, diagonal, below = _bartlett_factor(samples)
    factor_inverse = factor.inv().applyfunc(sympy.cancel)
    inverse_gram = (factor * factor.T).inv().applyfunc(sympy.cancel)
    second_moment = (factor_inverse.T * factor_inverse).applyfunc(sympy.expand)
    gaussian_averaged = second_moment.applyfunc(lambda entry: _gaussian_moment(entry, below))
    degrees = [d - i for i in range(samples)]  # L_ii^2 ~ chi^2_{d - i + 1}, i = 1..n
    expectation = sympy.zeros(samples, samples)
    all_valid = True
    for i in range(samples):
        for j in range(samples):
            expectation[i, j], valid = _inverse_chi_square(
                gaussian_averaged[i, j], diagonal, degrees
            )
            all_valid = all_valid and valid
    exact_trace = sympy.Integer(samples) / (d - samples - 1)
    remark = sympy.Integer(samples) / d
    steps = [
        equality_step(
            "inverse_chi_square_moment",
            "inverse Wishart (k > 2)",
            r"\mathbb{E}[1/\chi^2_k] = \int_0^\infty t^{-1} f_{\chi^2_k}(t)\,dt = 1/(k-2)",
            inverse_moment,
            1 / (k - 2),
        ),
        equality_step(
            "bartlett_trace",
            "Bartlett decomposition",
            r"(LL^\top)^{-1} = L^{-\top}L^{-1}",
            inverse_gram,
            (factor_inverse.T * factor_inverse).applyfunc(sympy.cancel),
            method="cancel",
        ),
        equality_step(
            "moments_applicable",
            "Bartlett decomposition",
            r"\text{every } L_{ii} \text{ occurs in } L^{-\top}L^{-1} \text{ with power } 0"
            r"\text{ or } -2 \text{ only}",
            sympy.Integer(int(all_valid)),
            sympy.Integer(1),
        ),
        equality_step(
            "inverse_wishart_mean",
            "Remark 3.1 (corrected)",
            r"\mathbb{E}(XX^\top)^{-1} = I_n/(d-n-1)",
            expectation,
            sympy.eye(samples) / (d - samples - 1),
        ),
        equality_step(
            "expected_tpv",
            "Remark 3.1 (corrected)",
            r"\mathbb{E}\,\mathrm{Tr}((XX^\top)^{-1}) = n/(d-n-1)",
            expectation.trace(),
            exact_trace,
        ),
        equality_step(
            "relative_excess_over_n_over_d",
            "Remark 3.1 (error law)",
            r"\frac{n/(d-n-1)}{n/d} - 1 = \frac{n+1}{d-n-1}",
            exact_trace / remark - 1,
            sympy.Integer(samples + 1) / (d - samples - 1),
        ),
        equality_step(
            "n_over_d_underestimates",
            "Remark 3.1 (error law)",
            r"\frac{n}{d-n-1} - \frac{n}{d} = \frac{n(n+1)}{d(d-n-1)} > 0",
            exact_trace - remark,
            sympy.Integer(samples * (samples + 1)) / (d * (d - samples - 1)),
        ),
    ]
    return steps
