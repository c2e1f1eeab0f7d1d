r"""Symbolic check of Theorem 3.1 (paper 002, Eq. 16-17, App. B.2-B.3) on an exact instance.

The quadratic regression model (Eq. 12-13) is run for two SGD steps in sympy with symbolic
learning rate :math:`\eta`, curvature variances :math:`V_1, V_2`, residual variance
:math:`V_z`, symbolic curvature entries :math:`M_\gamma` and residuals :math:`z`, every
minibatch pair enumerated, on a rational instance :math:`D = P = 2`,
:math:`J_0 = W\,\mathrm{diag}(2, 1)V^\top` (rotations with rational entries 3/5, 4/5 and
5/13, 12/13). Expectations over :math:`M` and :math:`z` replace each monomial by its moments
(zero-mean, independent, symmetric; :math:`\mathbb{E}\xi^2` the variance; odd powers vanish),
exact because both estimators are polynomials of degree at most 3 in each group.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.seos.common import batch_masks
from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["conservative_sharpening_steps"]

LEFT = sympy.Matrix([[3, -4], [4, 3]]) / 5
RIGHT = sympy.Matrix([[5, -12], [12, 5]]) / 13
SINGULAR = (sympy.Integer(2), sympy.Integer(1))


def _moment_expectation(
    expression: sympy.Expr, variances: dict[sympy.Symbol, sympy.Expr]
) -> sympy.Expr:
    """E over independent symmetric zero-mean variables with these variances (degree <= 3 each)."""
    symbols = list(variances)
    polynomial = sympy.Poly(sympy.expand(expression), *symbols)
    total = sympy.Integer(0)
    for powers, coefficient in polynomial.terms():
        moment = sympy.Integer(1)
        for symbol, power in zip(symbols, powers, strict=True):
            if power % 2:
                moment = sympy.Integer(0)
                break
            if power == 2:
                moment *= variances[symbol]
            elif power > 2:
                raise ValueError(f"moment of order {power} is outside the model's degree")
        total += coefficient * moment
    return sympy.expand(total)


def _expected_estimators(
    batch: int, *, drop_quadratic_residual: bool = False
) -> tuple[sympy.Expr, sympy.Expr]:
    r"""Exact :math:`(\mathbb{E}[\Delta_1\hat\lambda_{0,0}], \mathbb{E}[\Delta_2\hat\sigma_{0,0}])`.

    ``drop_quadratic_residual`` removes :math:`\tfrac12Q[\theta_1,\theta_1]` from the residual
    after the first step (the term that Eq. 119-121's bookkeeping does not average).
    """
    size = parameters = 2
    eta = sympy.Symbol("eta", positive=True)
    variance_z = sympy.Symbol("V_z", positive=True)
    curvature_variance = sympy.symbols("V_1:3", positive=True)
    jacobian = LEFT * sympy.diag(*SINGULAR) * RIGHT.T
    blocks = []
    variances: dict[sympy.Symbol, sympy.Expr] = {}
    for gamma in range(size):
        entries = {
            (j, k): sympy.Symbol(f"m_{gamma}{j}{k}")
            for j in range(parameters)
            for k in range(j, parameters)
        }
        variances.update({symbol: curvature_variance[gamma] for symbol in entries.values()})
        blocks.append(
            sympy.Matrix(
                parameters,
                parameters,
                lambda j, k, table=entries: table[(min(j, k), max(j, k))],
            )
        )
    residual0 = sympy.Matrix(sympy.symbols(f"z_0:{size}"))
    variances.update({symbol: variance_z for symbol in residual0})
    slices = [
        sum((LEFT[d, gamma] * blocks[gamma] for gamma in range(size)), sympy.zeros(parameters))
        for d in range(size)
    ]

    def jacobian_at(theta: sympy.Matrix) -> sympy.Matrix:
        return jacobian + sympy.Matrix.vstack(*[(slices[d] * theta).T for d in range(size)])

    def residual_at(theta: sympy.Matrix, quadratic: bool = True) -> sympy.Matrix:
        curved = sympy.Matrix([(theta.T * slices[d] * theta)[0] for d in range(size)])
        return residual0 + jacobian * theta + (curved / 2 if quadratic else sympy.zeros(size, 1))

    w, v = LEFT[:, 0], RIGHT[:, 0]
    sigma = lambda theta: (w.T * jacobian_at(theta) * v)[0]  # noqa: E731
    masks = batch_masks(size, batch)
    first_total = second_total = sympy.Integer(0)
    step = eta / batch
    zero = sympy.zeros(parameters, 1)
    for first_mask in masks:
        theta1 = -step * jacobian.T * first_mask * residual0
        jacobian1 = jacobian_at(theta1)
        row = w.T * jacobian1
        first_total += (row * row.T)[0] - SINGULAR[0] ** 2
        residual1 = residual_at(theta1, quadratic=not drop_quadratic_residual)
        for second_mask in masks:
            theta2 = theta1 - step * jacobian1.T * second_mask * residual1
            second_total += sigma(theta2) - 2 * sigma(theta1) + sigma(zero)
    count = len(masks)
    return (
        _moment_expectation(first_total / count, variances),
        _moment_expectation(second_total / count**2, variances),
    )


def conservative_sharpening_steps() -> list[DerivationStep]:
    """Eq. 16 exactly; Eq. 17 as printed vs the exact batch gap; the term App. B.3 drops."""
    small_first, small_second = _expected_estimators(1)
    full_first, full_second = _expected_estimators(2)
    return _eq16_steps(small_first, full_first) + _eq17_steps(
        sympy.expand(small_second - full_second)
    )


def _instance() -> tuple[sympy.Symbol, sympy.Symbol, sympy.Symbol, sympy.Matrix]:
    """``eta``, ``V_z``, ``V_1`` and the rational ``J_0`` of the exact instance."""
    return (
        sympy.Symbol("eta", positive=True),
        sympy.Symbol("V_z", positive=True),
        sympy.Symbol("V_1", positive=True),
        LEFT * sympy.diag(*SINGULAR) * RIGHT.T,
    )


def _eq16_steps(small_first: sympy.Expr, full_first: sympy.Expr) -> list[DerivationStep]:
    """Eq. 16 at B = 1 and B = D = 2, with no O(1/D) remainder."""
    size = parameters = 2
    eta, variance_z, variance, jacobian = _instance()
    trace_ntk = (jacobian * jacobian.T).trace() / size
    return [
        equality_step(
            "eq16_exact_B1",
            "Eq. 16",
            r"\mathbb{E}[\Delta_1\hat\lambda_{\alpha,0}] = B^{-1}PV_z\mathrm{tr}\hat\Theta\eta^2"
            r"V(\sigma_\alpha)\ (B=1,\ \text{no } O(D^{-1}))",
            small_first,
            parameters * variance_z * trace_ntk * eta**2 * variance,
            method="cancel",
        ),
        equality_step(
            "eq16_exact_B2",
            "Eq. 16",
            r"\text{same at } B = D = 2",
            full_first,
            parameters * variance_z * trace_ntk * eta**2 * variance / 2,
            method="cancel",
        ),
    ]


def _eq17_steps(gap: sympy.Expr) -> list[DerivationStep]:
    """Eq. 17 as printed (B = 1 and B = D), the exact batch gap, and Eq. 120's term alone."""
    size = parameters = 2
    eta, variance_z, variance, jacobian = _instance()
    sigma = SINGULAR[0]
    column = RIGHT[:, 0]
    column_weight = sum(column[p] ** 2 * (jacobian.T * jacobian)[p, p] for p in range(parameters))
    bracket = (parameters + 1) * sigma**2 - column_weight / 2
    printed_gap = -(eta**3) * sigma**3 * variance * parameters * variance_z / (1 * size**2)
    printed_at_full = -(eta**3) * sigma**3 * variance * parameters * variance_z / (2 * size**2)
    exact_gap = -(1 - sympy.Rational(1, size)) * eta**3 * variance_z * variance * sigma * bracket
    exact_gap /= size**2
    dropped_gap = sympy.expand(
        _expected_estimators(1, drop_quadratic_residual=True)[1]
        - _expected_estimators(2, drop_quadratic_residual=True)[1]
    )
    return [
        equality_step(
            "eq17_printed_batch_gap",
            "Eq. 17",
            r"\mathbb{E}[\Delta_2\hat\sigma]_{B=1} - d_2 = -B^{-1}D^{-2}\eta^3\sigma^3VPV_z,\ "
            r"d_2 = \mathbb{E}[\Delta_2\hat\sigma]_{B=D}",
            gap,
            printed_gap,
            method="cancel",
        ),
        equality_step(
            "eq17_printed_at_full_batch",
            "Eq. 17",
            r"\text{at } B = D:\ \mathbb{E}[\Delta_2\hat\sigma]_D - d_2 = 0 "
            r"= -D^{-3}\eta^3\sigma^3VPV_z",
            sympy.Integer(0),
            printed_at_full,
            method="cancel",
        ),
        equality_step(
            "exact_batch_gap",
            "Eq. 17 (corrected)",
            r"\mathbb{E}[\Delta_2\hat\sigma]_B - \mathbb{E}[\Delta_2\hat\sigma]_D = "
            r"-(B^{-1}-D^{-1})D^{-2}\eta^3V_zV\sigma[(P+1)\sigma^2 "
            r"- \tfrac12\sum_pv_p^2(J^\top J)_{pp}]"
            r"\ \text{(exactly cubic in } \eta)",
            gap,
            exact_gap,
            method="cancel",
        ),
        equality_step(
            "eq120_only_b_dependent_term",
            "Eq. 119-121",
            r"\text{the batch gap is Eq. 120's term alone (the }\tfrac{\eta^2}{2B^2}"
            r"Q(J^\top Pz, J^\top Pz)\text{ part of } z_{t+1}-z_t \text{ adds nothing)}",
            gap,
            dropped_gap,
            method="cancel",
        ),
    ]
