r"""Symbolic checks of TPV trace stability (paper 000, Theorem 2.1 / A.4, App. A.1-A.3).

Two derivations, each a list of :class:`~theorylab.spec.DerivationStep`:

* :func:`trace_inequality_derivation` — App. A.3: for symmetric :math:`A` and PSD :math:`B`,
  :math:`|\mathrm{Tr}(AB)| \le \|A\|_{\mathrm{op}}\mathrm{Tr}(B)`. Generic instance:
  :math:`B = U\mathrm{diag}(l_i^2)U^\top`, :math:`A = V\mathrm{diag}(\mu_k)V^\top` with Cayley
  frames :math:`U, V`, and every eigenvalue written as
  :math:`\mu_k = \rho\,(1 - t_k^2)/(1 + t_k^2)`, :math:`\rho = r^2`, which is exactly the set
  :math:`|\mu_k| \le \rho` (so :math:`\rho` ranges over every bound, :math:`\|A\|` included).
  The proof's steps (eigendecomposition, :math:`\mathrm{Tr}(AB) = \sum_i\lambda_i u_i^\top A
  u_i`, :math:`|u_i^\top A u_i| \le \|A\|`) are checked as identities, and the final
  inequality by a sum-of-squares certificate whose nonnegativity sympy decides from the
  symbols' assumptions.
* :func:`trace_stability_derivation` — App. A.2-A.3 on symbolic Jacobians: Eq. 20 and
  linearity, symmetry, the triangle chain, the Lemma A.3 split, and the step
  "A.2 ⇒ Eq. 22", checked as the paper argues it (equal nonzero spectra of
  :math:`H(w^*) - H(w_0)` and :math:`G(w^*) - G(w_0)`, compared by characteristic
  polynomials). ``corrected=True`` replaces that step by the Jacobian-stability identity
  :math:`H(w_0+\Delta) - H(w_0) = (J_0^\top\Delta + \Delta^\top J_0 + \Delta^\top\Delta)/n`.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.spec import DerivationStep

__all__ = ["trace_inequality_derivation", "trace_stability_derivation"]


def _symbols(prefix: str, count: int, **assumptions: bool) -> list[sympy.Symbol]:
    return [sympy.Symbol(f"{prefix}_{index}", **assumptions) for index in range(1, count + 1)]


def _nonnegativity_step(
    name: str, equation: str, claim: str, certificate: sympy.Expr
) -> DerivationStep:
    """A step that holds iff sympy's assumption system proves ``certificate >= 0``."""
    decided = sympy.sympify(certificate).is_nonnegative
    return DerivationStep(
        name=name,
        equation=equation,
        claim=claim,
        holds=bool(decided),
        method="sympy assumptions: a sum of products of squares of real symbols and "
        "positive reciprocals is nonnegative",
        residual="0" if decided else f"is_nonnegative = {decided}",
    )


def trace_inequality_derivation(size: int = 2) -> list[DerivationStep]:
    r"""App. A.3's trace inequality, step by step, for a generic ``size x size`` instance.

    Examples
    --------
    >>> all(step.holds for step in trace_inequality_derivation(2))
    True
    """
    frame_b = cayley_orthogonal(size, "u")
    frame_a = cayley_orthogonal(size, "v")
    roots = _symbols("l", size, real=True)
    tangents = _symbols("t", size, real=True)
    radius = sympy.Symbol("r", real=True)
    bound = radius**2
    b_eigen = [root**2 for root in roots]
    a_eigen = [bound * (1 - t**2) / (1 + t**2) for t in tangents]
    b_matrix = frame_b * sympy.diag(*b_eigen) * frame_b.T
    a_matrix = frame_a * sympy.diag(*a_eigen) * frame_a.T
    steps = [
        equality_step(
            "frame_orthonormal",
            "App. A.3",
            r"U^\top U = I",
            frame_b.T * frame_b,
            sympy.eye(size),
            method="cancel",
        ),
        equality_step(
            "trace_b_is_eigenvalue_sum",
            "App. A.3",
            r"\mathrm{Tr}\,B = \sum_i \lambda_i",
            b_matrix.trace(),
            sum(b_eigen),
            method="cancel",
        ),
    ]
    quadratic = [(frame_b[:, i].T * a_matrix * frame_b[:, i])[0, 0] for i in range(size)]
    steps.append(
        equality_step(
            "trace_expansion",
            "App. A.3",
            r"\mathrm{Tr}(AB) = \sum_i \lambda_i\,u_i^\top A u_i",
            (a_matrix * b_matrix).trace(),
            sum(lam * q for lam, q in zip(b_eigen, quadratic, strict=True)),
            method="cancel",
        )
    )
    overlap = [[(frame_a[:, k].T * frame_b[:, i])[0, 0] for k in range(size)] for i in range(size)]
    weights_i = [sum(c**2 for c in overlap[i]) for i in range(size)]
    steps.append(
        equality_step(
            "rayleigh_weights_sum_to_one",
            "App. A.3",
            r"\sum_k (v_k^\top u_i)^2 = 1",
            sympy.Matrix(weights_i),
            sympy.ones(size, 1),
            method="cancel",
        )
    )
    overlap_symbols = [
        [sympy.Symbol(f"c_{i + 1}{k + 1}", real=True) for k in range(size)] for i in range(size)
    ]
    substitution = {overlap_symbols[i][k]: overlap[i][k] for i in range(size) for k in range(size)}
    for sign, label in ((1, "upper"), (-1, "lower")):
        # rho -/+ u^T A u = sum_k (rho -/+ mu_k) c_ik^2, with rho -/+ mu_k a manifest square.
        margins = [2 * bound * (t**2 if sign == 1 else 1) / (1 + t**2) for t in tangents]
        certificate = sum(
            b_eigen[i] * sum(margins[k] * overlap_symbols[i][k] ** 2 for k in range(size))
            for i in range(size)
        )
        total = bound * sum(b_eigen) - sign * (a_matrix * b_matrix).trace()
        steps.append(
            equality_step(
                f"certificate_{label}",
                "App. A.3",
                r"\|A\|\,\mathrm{Tr}B \mp \mathrm{Tr}(AB) = \sum_i\lambda_i\sum_k(\rho \mp \mu_k)"
                r"(v_k^\top u_i)^2",
                total,
                certificate.subs(substitution),
                method="cancel",
            )
        )
        steps.append(
            _nonnegativity_step(
                f"certificate_{label}_nonnegative",
                "App. A.3",
                r"\lambda_i \ge 0,\ \rho \mp \mu_k \ge 0 \Rightarrow \text{certificate} \ge 0",
                certificate,
            )
        )
    return steps


def _jacobian(prefix: str, rows: int, columns: int) -> sympy.Matrix:
    return sympy.Matrix(rows, columns, lambda i, j: sympy.Symbol(f"{prefix}_{i}{j}", real=True))


def _nonzero_charpoly(matrix: sympy.Matrix, variable: sympy.Symbol) -> sympy.Expr:
    """Characteristic polynomial with the factor ``x^k`` of structural zero eigenvalues removed."""
    coefficients = [sympy.expand(c) for c in matrix.charpoly(variable).all_coeffs()]
    while len(coefficients) > 1 and coefficients[-1] == 0:
        coefficients.pop()
    degree = len(coefficients) - 1
    return sympy.expand(sum(c * variable ** (degree - k) for k, c in enumerate(coefficients)))


def trace_stability_derivation(
    train_size: int = 1, test_size: int = 1, parameters: int = 2, *, corrected: bool = False
) -> list[DerivationStep]:
    r"""Theorem A.4's proof on symbolic Jacobians at :math:`w_0` and :math:`w^*`.

    ``corrected=False`` checks the paper's step "A.2 ⇒ Eq. 22" as argued (shared nonzero
    spectrum of :math:`H` and :math:`G` carried over to differences); with ``n < p`` it
    fails. ``corrected=True`` checks the Jacobian-stability identity instead.
    """
    x = sympy.Symbol("x")
    j0_tr, j0_te = _jacobian("a", train_size, parameters), _jacobian("b", test_size, parameters)
    js_tr, js_te = _jacobian("A", train_size, parameters), _jacobian("B", test_size, parameters)
    factor = _jacobian("L", parameters, parameters)
    covariance = factor * factor.T

    def curvature(jac: sympy.Matrix) -> sympy.Matrix:
        return jac.T * jac / jac.shape[0]

    def gram(jac: sympy.Matrix) -> sympy.Matrix:
        return jac * jac.T / jac.shape[0]

    h_tr, h_te = curvature(js_tr), curvature(js_te)
    tpv_tr = sum((js_tr[i, :] * covariance * js_tr[i, :].T)[0, 0] for i in range(train_size))
    tpv_te = sum((js_te[i, :] * covariance * js_te[i, :].T)[0, 0] for i in range(test_size))
    probe = sympy.Matrix(_symbols("z", parameters, real=True))
    population = sympy.Matrix(
        parameters, parameters, lambda i, j: sympy.Symbol(f"Hbar_{min(i, j)}{max(i, j)}", real=True)
    )
    difference = h_tr - h_te
    steps = [
        equality_step(
            "tpv_difference_is_trace",
            "Eq. 20, proof of Thm A.4",
            r"\mathrm{TPV}_{tr} - \mathrm{TPV}_{te} = \mathrm{Tr}((H_{tr}-H_{te})C)",
            tpv_tr / train_size - tpv_te / test_size,
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
            (factor.T * probe).dot(factor.T * probe),
            method="cancel",
        ),
        equality_step(
            "triangle_chain",
            "proof of Thm A.4",
            r"H^*_{tr}-H^*_{te} = (H^*_{tr}-H^0_{tr}) + (H^0_{tr}-H^0_{te}) "
            r"+ (H^0_{te}-H^*_{te})",
            difference,
            (h_tr - curvature(j0_tr))
            + (curvature(j0_tr) - curvature(j0_te))
            + (curvature(j0_te) - h_te),
            method="cancel",
        ),
        equality_step(
            "lemma_a3_split",
            "Lemma A.3",
            r"H_{tr}-H_{te} = (H_{tr}-\bar H) + (\bar H - H_{te})",
            curvature(j0_tr) - curvature(j0_te),
            (curvature(j0_tr) - population) + (population - curvature(j0_te)),
            method="cancel",
        ),
        equality_step(
            "shared_nonzero_spectrum",
            "Eq. 18-19",
            r"\mathrm{spec}_{\ne0} H(w) = \mathrm{spec}_{\ne0} G(w)",
            _nonzero_charpoly(curvature(js_tr) * train_size, x),
            _nonzero_charpoly(gram(js_tr) * train_size, x),
            method="cancel",
        ),
    ]
    if corrected:
        delta = js_tr - j0_tr
        steps.append(
            equality_step(
                "jacobian_stability_expansion",
                "Eq. 22 (corrected premise)",
                r"H(J_0+\Delta) - H(J_0) = "
                r"(J_0^\top\Delta + \Delta^\top J_0 + \Delta^\top\Delta)/n",
                curvature(js_tr) - curvature(j0_tr),
                (j0_tr.T * delta + delta.T * j0_tr + delta.T * delta) / train_size,
                method="cancel",
            )
        )
    else:
        steps.append(
            equality_step(
                "a2_implies_eq22",
                "A.2 ⇒ Eq. 22",
                r"\mathrm{spec}_{\ne0}(H(w^*)-H(w_0)) = \mathrm{spec}_{\ne0}(G(w^*)-G(w_0))",
                _nonzero_charpoly((curvature(js_tr) - curvature(j0_tr)) * train_size, x),
                _nonzero_charpoly((gram(js_tr) - gram(j0_tr)) * train_size, x),
                method="cancel",
            )
        )
    return steps
