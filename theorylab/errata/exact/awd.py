"""Exact re-checks of paper 001's (awd) stored counterexamples (:mod:`theorylab.errata.exact`)."""

from __future__ import annotations

from theorylab.errata.exact.common import ExactCheck, ExactFunction, exact_matrices, sympy_matrix
from theorylab.spec import Counterexample


def _fitted_exponent(example: Counterexample) -> ExactCheck | None:
    r"""Paper 001, Eq. 20: the OLS exponent of :math:`C_{jj}` on :math:`H_{jj}`, two directions.

    For diagonal per-sample Hessians :math:`H_s`, :math:`H = \mathbb{E}_s H_s` and
    :math:`C = \mathbb{E}_s H_s^2` are diagonal; through two points the fitted exponent is
    :math:`\alpha = \ln(C_1/C_2)/\ln(H_1/H_2)`, and (logs being monotone)
    :math:`\alpha > 2 \iff C_1/C_2 > (H_1/H_2)^2` for :math:`H_1 > H_2`, a rational test.
    """
    import sympy

    try:
        stack = exact_matrices(example.instance["per_sample_hessians"])
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


def _commutator(example: Counterexample) -> ExactCheck | None:
    r"""Paper 001, Remark 3.5: :math:`C_{12} = 0` in the eigenbasis of :math:`H`.

    With :math:`H = \mathbb{E}_s H_s`, :math:`C = \mathbb{E}_s H_s^2`, the off-diagonal
    block of :math:`C` in :math:`H`'s eigenbasis vanishes for every eigenvalue split only if
    :math:`[C, H] = CH - HC = 0`; a nonzero rational commutator refutes it.
    """
    try:
        stack = [sympy_matrix(matrix) for matrix in example.instance["per_sample_hessians"]]
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


CHECKS: dict[tuple[str, str], ExactFunction] = {
    ("awd.alpha_bounds", "bounds_and_fitted_exponent"): _fitted_exponent,
    ("awd.alpha_bounds", "fitted_exponent_in_1_2"): _fitted_exponent,
    ("awd.spectral_decomposition", "remark_3_5_offdiagonal_mass"): _commutator,
}
"""(claim id, check name) → exact re-check of that check's stored counterexample."""
