r"""Symbolic check of TPV trace stability (paper 000, Theorem 2.1 / A.4, App. A.1-A.3).

:func:`trace_stability_derivation` — App. A.2-A.3 on symbolic Jacobians: Eq. 20 and
linearity, symmetry, the triangle chain, the Lemma A.3 split, and the step
"A.2 ⇒ Eq. 22", checked as the paper argues it (equal nonzero spectra of
:math:`H(w^*) - H(w_0)` and :math:`G(w^*) - G(w_0)`, compared by characteristic
polynomials). ``corrected=True`` replaces that step by the Jacobian-stability identity
:math:`H(w_0+\Delta) - H(w_0) = (J_0^\top\Delta + \Delta^\top J_0 + \Delta^\top\Delta)/n`.
The trace inequality that closes the chain is :mod:`theorylab.proofs.tpv.trace_inequality`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["trace_stability_derivation"]


def _jacobian(prefix: str, rows: int, columns: int) -> sympy.Matrix:
    return sympy.Matrix(rows, columns, lambda i, j: sympy.Symbol(f"{prefix}_{i}{j}", real=True))


def _nonzero_charpoly(matrix: sympy.Matrix, variable: sympy.Symbol) -> sympy.Expr:
    """Characteristic polynomial with the factor ``x^k`` of structural zero eigenvalues removed."""
    coefficients = [sympy.expand(c) for c in matrix.charpoly(variable).all_coeffs()]
    while len(coefficients) > 1 and coefficients[-1] == 0:
        coefficients.pop()
    degree = len(coefficients) - 1
    return sympy.expand(sum(c * variable ** (degree - k) for k, c in enumerate(coefficients)))


def _curvature(jac: sympy.Matrix) -> sympy.Matrix:
    return jac.T * jac / jac.shape[0]


def _gram(jac: sympy.Matrix) -> sympy.Matrix:
    return jac * jac.T / jac.shape[0]


@dataclass(frozen=True)
class _Jacobians:
    """Symbolic Jacobians at :math:`w_0` (``j0_*``) and :math:`w^*` (``js_*``), and C = LLᵀ."""

    train_size: int
    test_size: int
    parameters: int
    j0_tr: sympy.Matrix
    j0_te: sympy.Matrix
    js_tr: sympy.Matrix
    js_te: sympy.Matrix
    factor: sympy.Matrix
    covariance: sympy.Matrix


def _jacobians(train_size: int, test_size: int, parameters: int) -> _Jacobians:
    j0_tr, j0_te = _jacobian("a", train_size, parameters), _jacobian("b", test_size, parameters)
    js_tr, js_te = _jacobian("A", train_size, parameters), _jacobian("B", test_size, parameters)
    factor = _jacobian("L", parameters, parameters)
    return _Jacobians(
        train_size, test_size, parameters, j0_tr, j0_te, js_tr, js_te, factor, factor * factor.T
    )


def _trace_steps(case: _Jacobians) -> list[DerivationStep]:
    """Eq. 20 as a trace, symmetry of the difference, and C = LLᵀ as a PSD quadratic form."""
    js_tr, js_te, covariance = case.js_tr, case.js_te, case.covariance
    difference = _curvature(js_tr) - _curvature(js_te)
    tpv_tr = sum((js_tr[i, :] * covariance * js_tr[i, :].T)[0, 0] for i in range(case.train_size))
    tpv_te = sum((js_te[i, :] * covariance * js_te[i, :].T)[0, 0] for i in range(case.test_size))
    probe = sympy.Matrix(
        [sympy.Symbol(f"z_{index}", real=True) for index in range(1, case.parameters + 1)]
    )
    return [
        equality_step(
            "tpv_difference_is_trace",
            "Eq. 20, proof of Thm A.4",
            r"\mathrm{TPV}_{tr} - \mathrm{TPV}_{te} = \mathrm{Tr}((H_{tr}-H_{te})C)",
            tpv_tr / case.train_size - tpv_te / case.test_size,
            (difference * covariance).trace(),
            method="cancel",
        ),
        equality_step(
            "difference_symmetric",
            "proof of Thm A.4",
            r"(H_{tr}-H_{te})^\top = H_{tr}-H_{te}",
            difference.T,
            difference,
            method="cancel",
        ),
        equality_step(
            "covariance_psd_form",
            "Thm A.4 (C \\succeq 0)",
            r"z^\top C z = \|L^\top z\|^2",
            (probe.T * covariance * probe)[0, 0],
            (case.factor.T * probe).dot(case.factor.T * probe),
            method="cancel",
        ),
    ]


def _chain_steps(case: _Jacobians, x: sympy.Symbol) -> list[DerivationStep]:
    """The triangle chain, the Lemma A.3 split and the shared nonzero spectrum of H and G."""
    j0_tr, j0_te, js_tr = case.j0_tr, case.j0_te, case.js_tr
    h_tr, h_te = _curvature(js_tr), _curvature(case.js_te)
    parameters = case.parameters
    population = sympy.Matrix(
        parameters, parameters, lambda i, j: sympy.Symbol(f"Hbar_{min(i, j)}{max(i, j)}", real=True)
    )
    return [
        equality_step(
            "triangle_chain",
            "proof of Thm A.4",
            r"H^*_{tr}-H^*_{te} = (H^*_{tr}-H^0_{tr}) + (H^0_{tr}-H^0_{te}) "
            r"+ (H^0_{te}-H^*_{te})",
            h_tr - h_te,
            (h_tr - _curvature(j0_tr))
            + (_curvature(j0_tr) - _curvature(j0_te))
            + (_curvature(j0_te) - h_te),
            method="cancel",
        ),
        equality_step(
            "lemma_a3_split",
            "Lemma A.3",
            r"H_{tr}-H_{te} = (H_{tr}-\bar H) + (\bar H - H_{te})",
            _curvature(j0_tr) - _curvature(j0_te),
            (_curvature(j0_tr) - population) + (population - _curvature(j0_te)),
            method="cancel",
        ),
        equality_step(
            "shared_nonzero_spectrum",
            "Eq. 18-19",
            r"\mathrm{spec}_{\ne0} H(w) = \mathrm{spec}_{\ne0} G(w)",
            _nonzero_charpoly(_curvature(js_tr) * case.train_size, x),
            _nonzero_charpoly(_gram(js_tr) * case.train_size, x),
            method="cancel",
        ),
    ]


def _eq22_step(case: _Jacobians, x: sympy.Symbol, *, corrected: bool) -> DerivationStep:
    """'A.2 ⇒ Eq. 22' as argued, or (corrected) the Jacobian-stability expansion."""
    j0_tr, js_tr, train_size = case.j0_tr, case.js_tr, case.train_size
    if corrected:
        delta = js_tr - j0_tr
        return equality_step(
            "jacobian_stability_expansion",
            "Eq. 22 (corrected premise)",
            r"H(J_0+\Delta) - H(J_0) = "
            r"(J_0^\top\Delta + \Delta^\top J_0 + \Delta^\top\Delta)/n",
            _curvature(js_tr) - _curvature(j0_tr),
            (j0_tr.T * delta + delta.T * j0_tr + delta.T * delta) / train_size,
            method="cancel",
        )
    return equality_step(
        "a2_implies_eq22",
        "A.2 ⇒ Eq. 22",
        r"\mathrm{spec}_{\ne0}(H(w^*)-H(w_0)) = \mathrm{spec}_{\ne0}(G(w^*)-G(w_0))",
        _nonzero_charpoly((_curvature(js_tr) - _curvature(j0_tr)) * train_size, x),
        _nonzero_charpoly((_gram(js_tr) - _gram(j0_tr)) * train_size, x),
        method="cancel",
    )


def trace_stability_derivation(
    train_size: int = 1, test_size: int = 1, parameters: int = 2, *, corrected: bool = False
) -> list[DerivationStep]:
    r"""Theorem A.4's proof on symbolic Jacobians at :math:`w_0` and :math:`w^*`.

    ``corrected=False`` checks the paper's step "A.2 ⇒ Eq. 22" as argued (shared nonzero
    spectrum of :math:`H` and :math:`G` carried over to differences); with ``n < p`` it
    fails. ``corrected=True`` checks the Jacobian-stability identity instead.
    """
    x = sympy.Symbol("x")
    case = _jacobians(train_size, test_size, parameters)
    return [
        *_trace_steps(case),
        *_chain_steps(case, x),
        _eq22_step(case, x, corrected=corrected),
    ]
