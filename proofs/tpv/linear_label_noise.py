r"""Symbolic checks of paper 000, Remark 3.1 (Eq. 9) and its proof in App. B.

Two derivations, each a list of :class:`~theorylab.spec.DerivationStep`:

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

The corrected companion's inverse-Wishart mean is in
:mod:`theorylab.proofs.tpv.inverse_wishart` (also used by ``tpv.label_noise_regimes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy
from sympy.polys.matrices import DomainMatrix

from theorylab.errors import ParameterError
from theorylab.proofs.steps import RationalMatrix, equality_step, expectation_isotropic
from theorylab.proofs.tpv.common import column, matrix
from theorylab.spec import DerivationStep

__all__ = [
    "linear_label_noise_derivation",
    "remark_sample_whitening_steps",
]


def _check_sizes(samples: int, dimension: int) -> None:
    if samples < 1 or dimension < samples:
        raise ParameterError(
            f"need 1 <= n <= d (Remark 3.1 (i)), got n = {samples}, d = {dimension}"
        )


@dataclass(frozen=True)
class _AppB:
    """The symbolic instance of App. B: exact design, noise, test input and min-norm fit."""

    samples: int
    dimension: int
    ring: Any
    X: RationalMatrix
    eps_symbols: sympy.Matrix
    test_symbols: sympy.Matrix
    test_input: RationalMatrix
    null_shift: RationalMatrix
    gram_inverse: RationalMatrix
    theta_star: RationalMatrix
    labels: RationalMatrix
    w_star: RationalMatrix
    delta_w: RationalMatrix
    variance: sympy.Expr


def _app_b_instance(samples: int, dimension: int) -> _AppB:
    """Generic symbolic X, ε, test input and null shift in one polynomial ring; the fit."""
    design = matrix("x", samples, dimension)
    eps_symbols = column("epsilon", samples)
    test_symbols = column("z", dimension)
    sigma = sympy.Symbol("sigma_epsilon", positive=True)
    symbols = (
        set(design.free_symbols)
        | set(eps_symbols.free_symbols)
        | set(test_symbols.free_symbols)
        | {sigma}
    )
    for name, size in (("a", samples), ("t", dimension)):
        symbols |= column(name, size).free_symbols
    ring = sympy.QQ[tuple(sorted(symbols, key=sympy.default_sort_key))]

    def exact(value: sympy.MatrixBase) -> RationalMatrix:
        return RationalMatrix.from_sympy(value, ring)

    X = exact(design)
    eps = exact(eps_symbols)
    coefficients = exact(column("a", samples))
    gram_sympy = design * design.T
    determinant = ring.from_sympy(sympy.expand(gram_sympy.det()))
    adjugate = DomainMatrix(
        [[ring.from_sympy(sympy.expand(entry)) for entry in row]
         for row in gram_sympy.adjugate().tolist()],
        (samples, samples),
        ring,
    )
    gram_inverse = RationalMatrix(adjugate, {determinant: 1})  # adj(G) / det(G)
    theta_star = X.T @ coefficients  # assumption (iii): theta* in the row span of X
    labels = X @ theta_star + eps
    return _AppB(
        samples=samples,
        dimension=dimension,
        ring=ring,
        X=X,
        eps_symbols=eps_symbols,
        test_symbols=test_symbols,
        test_input=exact(test_symbols),
        null_shift=exact(column("t", dimension)),
        gram_inverse=gram_inverse,
        theta_star=theta_star,
        labels=labels,
        w_star=X.T @ gram_inverse @ labels,
        delta_w=X.T @ gram_inverse @ eps,
        variance=sympy.Symbol("sigma_epsilon", positive=True) ** 2,
    )


def _min_norm_steps(case: _AppB) -> list[DerivationStep]:
    """App. B's fit: the Gram inverse, interpolation, minimum norm and the row-span split."""
    X, gram_inverse, labels, w_star = case.X, case.gram_inverse, case.labels, case.w_star
    gram = X @ X.T
    return [
        equality_step(
            "gram_inverse",
            "App. B",
            r"(XX^\top)\,\mathrm{adj}(XX^\top)/\det(XX^\top) = I_n"
            r"\ (\det \ne 0 \text{ under full row rank, (i)})",
            gram @ gram_inverse,
            RationalMatrix.identity(case.samples, case.ring),
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
            w_star.T @ case.null_shift,
            (gram_inverse @ labels).T @ (X @ case.null_shift),
        ),
        equality_step(
            "row_span_cancels",
            "App. B",
            r"w^* = \theta^* + X^\top(XX^\top)^{-1}\varepsilon \text{ for } \theta^* = X^\top a",
            w_star,
            case.theta_star + case.delta_w,
        ),
    ]


def _covariance_steps(case: _AppB) -> list[DerivationStep]:
    """App. B's noise moments: C, the whitened test mean, and the cyclic trace to Eq. 9."""
    X, gram_inverse, delta_w, variance = case.X, case.gram_inverse, case.delta_w, case.variance
    eps_list = list(case.eps_symbols)
    covariance = expectation_isotropic(delta_w @ delta_w.T, eps_list, variance)
    prediction_change = case.test_input.T @ delta_w
    pointwise_variance = expectation_isotropic(
        prediction_change @ prediction_change, eps_list, variance
    )
    whitened_mean = expectation_isotropic(
        pointwise_variance, list(case.test_symbols), sympy.Integer(1)
    )
    identity = RationalMatrix.identity(case.dimension, case.ring)
    squared_inverse_map = X.T @ gram_inverse @ gram_inverse @ X
    return [
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
    case = _app_b_instance(samples, dimension)
    return _min_norm_steps(case) + _covariance_steps(case)


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
    X = matrix("x", samples, dimension)
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
