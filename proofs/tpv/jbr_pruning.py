r"""Symbolic checks of JBR pruning as a TPV object (paper 000, Sec. 3.4, Eq. 13-16).

Two derivations, each a list of :class:`~theorylab.spec.DerivationStep`:

* :func:`pruning_tpv_derivation` — Eq. 13-15: the Rademacher group perturbation
  :math:`\delta w_g = \sigma\xi_g w_g` has covariance :math:`\sigma^2 w_g w_g^\top` (Eq. 14),
  independent groups give a block-diagonal :math:`C` (expectation by enumerating
  :math:`\xi \in \{\pm1\}^G`), :math:`\mathrm{Tr}(H_{\mathrm{eff}}C)` splits into the group
  terms of Eq. 15, :math:`\delta_u = \partial u/\partial f = p - e_c` for
  :math:`u = -\log\mathrm{softmax}(f)_c`, and the chain rule
  :math:`J_{u,g} = \delta_u^\top J_g` on a nonlinear polynomial model.
* :func:`jbr_readings_derivation` — Eq. 16 against Eq. 15 in both readings: whether the
  printed product is conformable with :math:`\delta_u \in \mathbb{R}^K` (a shape check),
  the literal reading :math:`\|\delta_u\|^2\|v_g\|^2` (does not equal Eq. 15's term; the
  residual is the Lagrange sum), the JC-form reading :math:`(\delta_u^\top v_g)^2` (equals
  it), the two lines of the JC comparison, Lagrange's identity (hence literal ≥ JC form)
  and JBR = JC for :math:`y = e_c`. ``corrected=True`` leaves out the two literal steps.
"""

from __future__ import annotations

import itertools

import sympy

from theorylab.proofs.steps import equality_step
from theorylab.spec import DerivationStep

__all__ = ["jbr_readings_derivation", "pruning_tpv_derivation"]


def _vector(prefix: str, size: int) -> sympy.Matrix:
    return sympy.Matrix([sympy.Symbol(f"{prefix}_{index}", real=True) for index in range(size)])


def _stacked_perturbation(
    sigma: sympy.Symbol, pattern: tuple[int, ...], weights: list[sympy.Matrix]
) -> sympy.Matrix:
    """The full perturbation vector (δw_g = σ ξ_g w_g stacked) for one sign pattern ξ."""
    return sympy.Matrix.vstack(*(sigma * xi * w for xi, w in zip(pattern, weights, strict=True)))


def _block_diagonal(blocks: list[sympy.Matrix]) -> sympy.Matrix:
    return sympy.diag(*blocks)


def _eq14_steps(sigma: sympy.Symbol, weights: list[sympy.Matrix]) -> list[DerivationStep]:
    """Eq. 13-14: the group covariance, zero mean, and the block-diagonal C by enumeration."""
    # Eq. 14: E[δw_g δw_gᵀ] over ξ_g = ±1 (each with probability 1/2).
    group = weights[0]
    covariance = sum(
        (sympy.Rational(1, 2) * (sigma * xi * group) * (sigma * xi * group).T for xi in (1, -1)),
        sympy.zeros(len(group)),
    )
    mean = sum((sympy.Rational(1, 2) * sigma * xi * group for xi in (1, -1)),
               sympy.zeros(len(group), 1))
    # Block-diagonal C: full enumeration of independent ξ ∈ {±1}^G.
    patterns = list(itertools.product((1, -1), repeat=len(weights)))
    parameter_count = sum(len(w) for w in weights)
    full = sympy.zeros(parameter_count)
    for pattern in patterns:
        perturbation = _stacked_perturbation(sigma, pattern, weights)
        full += perturbation * perturbation.T / len(patterns)
    blocks = _block_diagonal([sigma**2 * w * w.T for w in weights])
    return [
        equality_step(
            "group_covariance", "Eq. 13-14",
            r"\mathbb{E}[\delta w_g\delta w_g^\top] = \sigma^2 w_g w_g^\top",
            covariance, sigma**2 * group * group.T, method="cancel",
        ),
        equality_step("zero_mean", "Eq. 13", r"\mathbb{E}[\delta w_g] = 0", mean,
                      sympy.zeros(len(group), 1), method="cancel"),
        equality_step(
            "block_diagonal_covariance", "Eq. 14 (independent groups)",
            r"C_{\mathrm{prune}} = \mathrm{blockdiag}(\sigma^2 w_g w_g^\top)",
            full, blocks, method="cancel",
        ),
    ]


def _eq15_steps(
    sigma: sympy.Symbol, weights: list[sympy.Matrix], samples: int
) -> list[DerivationStep]:
    """Eq. 15: Tr(H_eff C) = Σ_g Tr(H_eff,g C_g) = σ² Σ_g E[(J_{u,g} w_g)²], and by enumeration."""
    group_sizes = [len(w) for w in weights]
    parameter_count = sum(group_sizes)
    blocks = _block_diagonal([sigma**2 * w * w.T for w in weights])
    rows = [sympy.Matrix([[sympy.Symbol(f"a_{s}_{j}", real=True) for j in range(parameter_count)]])
            for s in range(samples)]
    h_eff = sum((row.T * row for row in rows), sympy.zeros(parameter_count)) / samples
    offsets = list(itertools.accumulate((0, *group_sizes)))
    steps: list[DerivationStep] = []
    group_terms = []
    for g, w in enumerate(weights):
        start, stop = offsets[g], offsets[g + 1]
        h_block = h_eff[start:stop, start:stop]
        trace = (h_block * sigma**2 * w * w.T).trace()
        quadratic = sum(((row[:, start:stop] * w)[0, 0] ** 2 for row in rows), 0) / samples
        steps.append(
            equality_step(
                f"group_contribution_{g}", "Eq. 15",
                r"\mathrm{Tr}(H_{\mathrm{eff},g}C_{\mathrm{prune},g}) = "
                r"\sigma^2\,\mathbb{E}[w_g^\top J_{u,g}^\top J_{u,g} w_g]",
                trace, sigma**2 * quadratic, method="cancel",
            )
        )
        group_terms.append(trace)
    steps.append(
        equality_step(
            "trace_splits_over_groups", "Eq. 15 (cyclic trace, block C)",
            r"\mathrm{Tr}(H_{\mathrm{eff}}C_{\mathrm{prune}}) = "
            r"\sum_g\mathrm{Tr}(H_{\mathrm{eff},g}C_{\mathrm{prune},g})",
            (h_eff * blocks).trace(), sum(group_terms, 0), method="cancel",
        )
    )
    # First-order TPV by enumeration: E_ξ E_x[(J_u δw)²] = Tr(H_eff C) (cross terms vanish).
    patterns = list(itertools.product((1, -1), repeat=len(weights)))
    enumerated = 0
    for pattern in patterns:
        perturbation = _stacked_perturbation(sigma, pattern, weights)
        enumerated += sum(((row * perturbation)[0, 0] ** 2 for row in rows), 0) / samples
    steps.append(
        equality_step(
            "enumerated_first_order_tpv", "Eq. 6 with Eq. 13",
            r"\mathbb{E}_\xi\mathbb{E}_x[(J_u\delta w)^2] = \sigma^2\sum_g"
            r"\mathbb{E}_x[(J_{u,g}w_g)^2]",
            enumerated / len(patterns), sum(group_terms, 0), method="cancel",
        )
    )
    return steps


def _logit_gradient_steps(outputs: int) -> list[DerivationStep]:
    """δ_u = ∂u/∂f = p − e_c for u = −log softmax(f)_c, for every class c."""
    logits = [sympy.Symbol(f"f_{k}", real=True) for k in range(outputs)]
    partition = sum(sympy.exp(value) for value in logits)
    probabilities = [sympy.exp(value) / partition for value in logits]
    steps = []
    for chosen in range(outputs):
        u = -sympy.log(probabilities[chosen])
        gradient = sympy.Matrix([sympy.diff(u, value) for value in logits])
        target = sympy.Matrix(probabilities) - sympy.eye(outputs)[:, chosen]
        steps.append(
            equality_step(
                f"logit_gradient_c{chosen}", "Sec. 3.4 (δ_u)",
                r"\partial(-\log p_c)/\partial f = p - e_c",
                gradient, target, method="simplify",
            )
        )
    return steps


def _chain_rule_step(weights: list[sympy.Matrix], outputs: int) -> DerivationStep:
    """Chain rule J_{u,g} = δ_uᵀ J_g on a nonlinear polynomial model f_k(w), first group."""
    parameters = list(itertools.chain.from_iterable(weights))
    parameter_count = len(parameters)
    coefficients = sympy.Matrix(outputs, parameter_count,
                                lambda k, j: sympy.Symbol(f"b_{k}_{j}", real=True))
    model = [
        sum(coefficients[k, j] * parameters[j] for j in range(parameter_count))
        + sympy.Symbol(f"q_{k}", real=True) * parameters[0] * parameters[-1]
        for k in range(outputs)
    ]
    model_partition = sum(sympy.exp(value) for value in model)
    u_model = -model[0] + sympy.log(model_partition)  # = −log softmax(f(w))_0
    probabilities_model = sympy.Matrix([sympy.exp(value) / model_partition for value in model])
    delta_u = probabilities_model - sympy.eye(outputs)[:, 0]
    group_parameters = parameters[0:len(weights[0])]
    jacobian_g = sympy.Matrix(outputs, len(group_parameters),
                              lambda k, j: sympy.diff(model[k], group_parameters[j]))
    direct = sympy.Matrix([[sympy.diff(u_model, value) for value in group_parameters]])
    return equality_step(
        "chain_rule", "Eq. 15-16 (J_{u,g})",
        r"J_{u,g} = \partial u/\partial w_g = \delta_u^\top J_g",
        direct, delta_u.T * jacobian_g, method="simplify",
    )


def pruning_tpv_derivation(
    group_sizes: tuple[int, ...] = (2, 1), outputs: int = 3, samples: int = 2
) -> list[DerivationStep]:
    r"""Eq. 13-15 and the logit gradient of :math:`u`, step by step.

    Parameters
    ----------
    group_sizes
        :math:`p_g` of each group (the groups partition the parameters).
    outputs
        :math:`K`, number of logits (for :math:`\delta_u` and the chain rule).
    samples
        Number of inputs in :math:`H_{\mathrm{eff}} = \frac1n\sum_x J_u^\top J_u`.

    Examples
    --------
    >>> all(step.holds for step in pruning_tpv_derivation((1, 1), outputs=2, samples=1))
    True
    """
    sigma = sympy.Symbol("sigma", positive=True)
    weights = [_vector(f"w{g}", size) for g, size in enumerate(group_sizes)]
    return [
        *_eq14_steps(sigma, weights),
        *_eq15_steps(sigma, weights, samples),
        *_logit_gradient_steps(outputs),
        _chain_rule_step(weights, outputs),
    ]


def _literal_conformability(outputs: int, group_size: int) -> DerivationStep:
    """Whether ``w_gᵀ J_gᵀ δ_uᵀ δ_u J_g w_g`` is a defined product with ``δ_u`` a K-column."""
    jacobian = sympy.Matrix(outputs, group_size, lambda k, j: sympy.Symbol(f"J_{k}_{j}"))
    delta = _vector("d", outputs)
    weights = _vector("w", group_size)
    try:
        weights.T * jacobian.T * delta.T * delta * jacobian * weights
    except sympy.ShapeError as error:
        holds, residual = False, f"ShapeError: {error}"
    else:
        holds, residual = True, "0"
    return DerivationStep(
        name=f"literal_conformable_K{outputs}",
        equation="Eq. 16 as printed",
        claim=r"w_g^\top J_g^\top\delta_u^\top\delta_u J_g w_g \text{ is defined for }"
        r"\delta_u\in\mathbb{R}^{K}",
        holds=holds,
        method="sympy matrix product of the printed factors, in order (shape check)",
        residual=residual,
    )


def _jc_comparison_steps(
    jacobian: sympy.Matrix,
    weights: sympy.Matrix,
    probabilities: sympy.Matrix,
    delta: sympy.Matrix,
) -> list[DerivationStep]:
    """The JC comparison's lines, Lagrange's identity (literal ≥ JC form), JBR = JC for y = e_c."""
    outputs = jacobian.shape[0]
    direction = jacobian * weights  # v_g = J_g w_g
    chosen = 0
    steps: list[DerivationStep] = []
    vector = _vector("m", outputs)
    steps.append(
        equality_step(
            "jc_comparison_lines", "Sec. 3.4, JC comparison",
            r"w_g^\top J_g^\top m m^\top J_g w_g = (m^\top v_g)^2",
            (weights.T * jacobian.T * vector * vector.T * jacobian * weights)[0, 0],
            (vector.T * direction)[0, 0] ** 2, method="cancel",
        )
    )
    lagrange = sum(
        (vector[i] * direction[j] - vector[j] * direction[i]) ** 2
        for i in range(outputs) for j in range(i + 1, outputs)
    )
    steps.append(
        equality_step(
            "lagrange_identity", "Cauchy-Schwarz (literal ≥ JC form)",
            r"\|m\|^2\|v_g\|^2 - (m^\top v_g)^2 = \sum_{i<j}(m_i v_{g,j} - m_j v_{g,i})^2",
            (vector.T * vector)[0, 0] * (direction.T * direction)[0, 0]
            - (vector.T * direction)[0, 0] ** 2,
            lagrange, method="cancel",
        )
    )
    labels = sympy.eye(outputs)[:, chosen]  # y(x) = e_{c(x)}: correct, predicted label
    jc_vector = probabilities - labels
    steps.append(
        equality_step(
            "jbr_equals_jc_for_correct_labels", "Sec. 3.4 (y = e_c)",
            r"(m_{JC}^\top v_g)^2 = (m_{JBR}^\top v_g)^2 \text{ when } y = e_{c(x)}",
            (jc_vector.T * direction)[0, 0] ** 2, (delta.T * direction)[0, 0] ** 2,
            method="cancel",
        )
    )
    return steps


def jbr_readings_derivation(
    outputs: int = 3, group_size: int = 2, *, corrected: bool = False
) -> list[DerivationStep]:
    r"""Eq. 16 in its two readings against Eq. 15, and the JC comparison (Sec. 3.4).

    Parameters
    ----------
    outputs
        :math:`K`.
    group_size
        :math:`p_g`.
    corrected
        Leave out the literal-reading steps (the corrected companion's derivation).

    Examples
    --------
    >>> [step.name for step in jbr_readings_derivation(2, 1) if not step.holds]
    ['literal_conformable_K2', 'literal_reading_equals_eq15']
    >>> all(step.holds for step in jbr_readings_derivation(2, 1, corrected=True))
    True
    """
    jacobian = sympy.Matrix(outputs, group_size,
                            lambda k, j: sympy.Symbol(f"J_{k}_{j}", real=True))
    weights = _vector("w", group_size)
    raw = [sympy.Symbol(f"r_{k}", positive=True) for k in range(outputs)]
    probabilities = sympy.Matrix([value / sum(raw) for value in raw])
    chosen = 0
    delta = probabilities - sympy.eye(outputs)[:, chosen]  # δ_u = p − e_c, a K-column
    eq15_term = (delta.T * jacobian * weights)[0, 0] ** 2  # (J_{u,g} w_g)², J_{u,g} = δ_uᵀ J_g
    steps: list[DerivationStep] = []
    if not corrected:
        steps.append(_literal_conformability(outputs, group_size))
        literal = (delta.T * delta)[0, 0] * (weights.T * jacobian.T * jacobian * weights)[0, 0]
        steps.append(
            equality_step(
                "literal_reading_equals_eq15", "Eq. 16 (δ_uᵀδ_u = ‖δ_u‖²) vs Eq. 15",
                r"\|\delta_u\|^2\,\|J_g w_g\|^2 = (J_{u,g}w_g)^2",
                literal, eq15_term, method="cancel",
            )
        )
    row = delta.T  # δ_u as the 1 x K Jacobian ∂u/∂f: δ_uᵀδ_u is then K x K
    jc_form = (weights.T * jacobian.T * row.T * row * jacobian * weights)[0, 0]
    steps.append(
        equality_step(
            "jc_form_reading_equals_eq15", "Eq. 16 (δ_u a 1xK row) vs Eq. 15",
            r"w_g^\top J_g^\top\delta_u\delta_u^\top J_g w_g = (J_{u,g}w_g)^2",
            jc_form, eq15_term, method="cancel",
        )
    )
    return steps + _jc_comparison_steps(jacobian, weights, probabilities, delta)
