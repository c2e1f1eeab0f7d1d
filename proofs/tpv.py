r"""Symbolic check of the label-noise TPV theorem (paper 000, Theorem 3.2, proof in App. C.1).

Paper 000 (``000_f0c853046a0e9bbe.txt``) linearises a network around a clean fit
:math:`w^*` and perturbs the training labels by zero-mean isotropic noise
:math:`\varepsilon` (:math:`\mathbb{E}[\varepsilon\varepsilon^\top] = \sigma^2 I_n`). The
min-norm stationary point of :math:`L(\delta w) = \tfrac12\|J\delta w - \varepsilon\|^2`
(Eq. 26-27) changes test predictions by a variance

.. math:: \mathbb{E}_{x,\varepsilon}[\delta f(x)^2]
          = \sigma^2 \operatorname{Tr}(S^{-2} B) = \sigma^2 \sum_{i=1}^r B_{ii} / s_i^2,
          \qquad B = V_r^\top H_{\text{eff}} V_r \quad \text{(Eq. 37-39)}.

:func:`label_noise_derivation` rebuilds the proof of App. C.1 step by step on a symbolic
instance and checks every equality exactly; App. C.2 (the train TPV :math:`\sigma^2 r/n`
and the ridge variant of regime (1)) is checked on the same instance.

Construction (:func:`label_noise_setup`)
----------------------------------------
* :math:`[U_r\ U_\perp] \in O(n)` and :math:`[V_r\ V_\perp] \in O(p)` are Cayley transforms
  of skew matrices whose entries are free symbols
  (:func:`~theorylab.proofs.steps.cayley_orthogonal`), so every orthonormality relation is
  an identity of rational functions, for a generic frame rather than a sampled one;
* :math:`S = \operatorname{diag}(s_1, \dots, s_r)` with positive symbols and
  :math:`J = U_r S V_r^\top` (Eq. 29), rank :math:`r \le \min(n, p)`;
* the noise :math:`\varepsilon_1, \dots, \varepsilon_n` and the test gradients
  :math:`g(x_1), \dots, g(x_m)` are free symbols; the test distribution is uniform on
  :math:`x_1, \dots, x_m`, so :math:`\mathbb{E}_x[\cdot] = \tfrac1m\sum_k` and
  :math:`H_{\text{eff}} = \tfrac1m J_{te}^\top J_{te}` (Eq. 7, 18) for a symbolic, hence
  arbitrary, test Jacobian :math:`J_{te}`.

Expectations over :math:`\varepsilon` are taken by the moment operator
:func:`~theorylab.proofs.steps.expectation_isotropic` applied to the actual polynomial in
:math:`\varepsilon`, never by substituting the claimed result. All arithmetic runs in
:class:`~theorylab.proofs.steps.RationalMatrix` (polynomial numerators over factored
denominators), where equality is decided exactly without gcds.

Sizes and cost (one CPU core): the default instance :math:`n = 2, p = 3, r = 2, m = 2`
(4 frame symbols, 2 singular values, 2 noise and 6 gradient symbols) gives 37 steps in
about 1 s; the rank-deficient instances :math:`(n, p, r) = (3, 3, 2)` and
:math:`(2, 3, 1)` (35 steps) take about 3 s and 0.5 s. Cost grows steeply with the frame
size: :math:`(n, p, r, m) = (3, 4, 2, 3)` (6 symbols in the 4 x 4 frame) takes about 2 min.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy

from theorylab.errors import ParameterError
from theorylab.proofs.steps import (
    RationalMatrix,
    cayley_orthogonal,
    equality_step,
    expectation_isotropic,
)
from theorylab.spec import DerivationStep

__all__ = ["LabelNoiseSetup", "label_noise_derivation", "label_noise_setup"]


def _symbol_column(name: str, count: int) -> sympy.Matrix:
    """Column of real symbols ``name_1 .. name_count`` (empty column if ``count == 0``)."""
    if count == 0:
        return sympy.zeros(0, 1)
    return sympy.Matrix(
        [sympy.Symbol(f"{name}_{index}", real=True) for index in range(1, count + 1)]
    )


@dataclass(frozen=True)
class LabelNoiseSetup:
    r"""A symbolic instance of the linearised label-noise problem of paper 000, App. C.1.

    Attributes
    ----------
    left_frame : sympy.Matrix
        :math:`[U_r\ U_\perp]`, ``(n, n)`` Cayley orthogonal matrix.
    right_frame : sympy.Matrix
        :math:`[V_r\ V_\perp]`, ``(p, p)`` Cayley orthogonal matrix.
    rank : int
        :math:`r`.
    singular_values : tuple of sympy.Symbol
        :math:`s_1, \dots, s_r`, positive symbols.
    noise : tuple of sympy.Symbol
        :math:`\varepsilon_1, \dots, \varepsilon_n`.
    noise_std : sympy.Symbol
        :math:`\sigma_\varepsilon` (positive); the noise variance is ``noise_std**2``.
    ridge : sympy.Symbol
        :math:`\lambda > 0` of the ridge variant (App. C.2, regime (1)).
    test_gradients : tuple of sympy.Matrix
        :math:`g(x_1), \dots, g(x_m)`, each of shape ``(p, 1)``, free symbols.
    """

    left_frame: sympy.Matrix
    right_frame: sympy.Matrix
    rank: int
    singular_values: tuple[sympy.Symbol, ...]
    noise: tuple[sympy.Symbol, ...]
    noise_std: sympy.Symbol
    ridge: sympy.Symbol
    test_gradients: tuple[sympy.Matrix, ...]

    @property
    def left_singular(self) -> sympy.Matrix:
        r""":math:`U_r`, the first :math:`r` columns of the left frame, ``(n, r)``."""
        return self.left_frame[:, : self.rank]

    @property
    def right_singular(self) -> sympy.Matrix:
        r""":math:`V_r`, the first :math:`r` columns of the right frame, ``(p, r)``."""
        return self.right_frame[:, : self.rank]

    @property
    def right_complement(self) -> sympy.Matrix:
        r""":math:`V_\perp`, the last :math:`p - r` columns of the right frame."""
        return self.right_frame[:, self.rank :]

    @property
    def singular_matrix(self) -> sympy.Matrix:
        r""":math:`S = \operatorname{diag}(s_1, \dots, s_r)`."""
        return sympy.diag(*self.singular_values)

    @property
    def jacobian(self) -> sympy.Matrix:
        r""":math:`J = U_r S V_r^\top`, ``(n, p)`` (Eq. 25, 29)."""
        product = self.left_singular * self.singular_matrix * self.right_singular.T
        return product.applyfunc(sympy.cancel)

    @property
    def variance(self) -> sympy.Expr:
        r""":math:`\sigma_\varepsilon^2`."""
        return self.noise_std**2

    def auxiliary(self, name: str) -> sympy.Matrix:
        r"""Free column used by a proof step, one of the ring's auxiliary generators.

        ``"delta_w"`` (:math:`p`, the unknown of Eq. 28), ``"alpha"`` (:math:`r`) and
        ``"beta"`` (:math:`p - r`) for :math:`\delta w = V_r\alpha + V_\perp\beta`, ``"t"``
        (:math:`p - r`, a null-space shift), ``"b"`` (:math:`r`) and ``"c"``
        (:math:`p - r`) for :math:`g = V_r b + V_\perp c` (Eq. 35).
        """
        p, r = self.right_frame.shape[0], self.rank
        sizes = {"delta_w": p, "alpha": r, "beta": p - r, "t": p - r, "b": r, "c": p - r}
        if name not in sizes:
            raise ParameterError(f"unknown auxiliary {name!r}; choose from {sorted(sizes)}")
        return _symbol_column(name, sizes[name])

    @cached_property
    def ring(self) -> sympy.polys.domains.Domain:
        """Polynomial ring over the rationals in every symbol of the instance."""
        symbols: set[sympy.Symbol] = set()
        for matrix in (self.left_frame, self.right_frame, *self.test_gradients):
            symbols |= matrix.free_symbols
        for name in ("delta_w", "alpha", "beta", "t", "b", "c"):
            symbols |= self.auxiliary(name).free_symbols
        symbols |= {*self.singular_values, *self.noise, self.noise_std, self.ridge}
        return sympy.QQ[tuple(sorted(symbols, key=sympy.default_sort_key))]

    def exact(self, value: sympy.MatrixBase | sympy.Expr) -> RationalMatrix:
        """Convert a sympy matrix or scalar of this instance to a :class:`RationalMatrix`."""
        return RationalMatrix.from_sympy(value, self.ring)


def label_noise_setup(
    train_size: int = 2, parameter_count: int = 3, rank: int = 2, test_size: int = 2
) -> LabelNoiseSetup:
    r"""Build the symbolic instance on which :func:`label_noise_derivation` runs.

    :math:`[U_r\ U_\perp] = (I - A)(I + A)^{-1}` and :math:`[V_r\ V_\perp] = (I - A')
    (I + A')^{-1}` are Cayley frames with symbolic skew :math:`A, A'`; :math:`J = U_r S
    V_r^\top` is then a compact SVD (paper 000, App. C.1, Eq. 29).

    Parameters
    ----------
    train_size : int
        :math:`n`, number of training outputs (rows of :math:`J`), at least 1.
    parameter_count : int
        :math:`p`, number of parameters (columns of :math:`J`), at least 1.
    rank : int
        :math:`r`, with :math:`1 \le r \le \min(n, p)`.
    test_size : int
        :math:`m`, number of test inputs defining the test distribution, at least 1.

    Returns
    -------
    LabelNoiseSetup

    Raises
    ------
    ParameterError
        If a size is below 1 or ``rank > min(train_size, parameter_count)``.

    Examples
    --------
    >>> setup = label_noise_setup(train_size=2, parameter_count=3, rank=1)
    >>> setup.jacobian.shape, setup.right_complement.shape
    ((2, 3), (3, 2))
    """
    for label, value in (
        ("train_size", train_size),
        ("parameter_count", parameter_count),
        ("rank", rank),
        ("test_size", test_size),
    ):
        if value < 1:
            raise ParameterError(f"{label} must be at least 1, got {value}")
    if rank > min(train_size, parameter_count):
        raise ParameterError(
            f"rank must be at most min(train_size, parameter_count) = "
            f"{min(train_size, parameter_count)}, got {rank}"
        )
    return LabelNoiseSetup(
        left_frame=cayley_orthogonal(train_size, "u"),
        right_frame=cayley_orthogonal(parameter_count, "v"),
        rank=rank,
        singular_values=tuple(sympy.symbols(f"s_1:{rank + 1}", positive=True)),
        noise=tuple(sympy.symbols(f"epsilon_1:{train_size + 1}", real=True)),
        noise_std=sympy.Symbol("sigma_epsilon", positive=True),
        ridge=sympy.Symbol("lambda", positive=True),
        test_gradients=tuple(
            _symbol_column(f"g_{k}", parameter_count) for k in range(1, test_size + 1)
        ),
    )


@dataclass(frozen=True)
class _Exact:
    """The instance's matrices as :class:`RationalMatrix` objects (shared by all steps)."""

    U_r: RationalMatrix
    V_r: RationalMatrix
    V_perp: RationalMatrix
    S: RationalMatrix
    S_inv: RationalMatrix
    J: RationalMatrix
    eps: RationalMatrix
    gradients: tuple[RationalMatrix, ...]
    variance: RationalMatrix
    ridge: RationalMatrix
    min_norm_map: RationalMatrix

    @classmethod
    def of(cls, setup: LabelNoiseSetup) -> _Exact:
        exact = setup.exact
        U_r, V_r = exact(setup.left_singular), exact(setup.right_singular)
        S = exact(setup.singular_matrix)
        S_inv = exact(sympy.diag(*[1 / value for value in setup.singular_values]))
        return cls(
            U_r=U_r,
            V_r=V_r,
            V_perp=exact(setup.right_complement),
            S=S,
            S_inv=S_inv,
            J=U_r @ S @ V_r.T,
            eps=exact(sympy.Matrix(setup.noise)),
            gradients=tuple(exact(gradient) for gradient in setup.test_gradients),
            variance=exact(setup.variance),
            ridge=exact(setup.ridge),
            min_norm_map=V_r @ S_inv @ U_r.T,
        )


def _squared_norm(column: RationalMatrix) -> RationalMatrix:
    return column.T @ column


def _sum(terms: list[RationalMatrix]) -> RationalMatrix:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def label_noise_derivation(
    train_size: int = 2, parameter_count: int = 3, rank: int = 2, test_size: int = 2
) -> list[DerivationStep]:
    r"""Check the proof of paper 000, Theorem 3.2 (App. C.1, Eq. 26-39) step by step.

    On the symbolic instance of :func:`label_noise_setup` (:math:`J = U_r S V_r^\top`,
    noise :math:`\varepsilon`, test gradients :math:`g(x_1), \dots, g(x_m)`), the steps
    are, in the paper's order:

    * Eq. 29: :math:`U_r^\top U_r = I`, :math:`[V_r\ V_\perp]` orthogonal;
    * Eq. 27-28: :math:`\nabla L = J^\top(J\delta w - \varepsilon)` (by differentiating
      :math:`L`), the normal equations;
    * Eq. 30: :math:`J^\top J = V_r S^2 V_r^\top`, :math:`J^\top\varepsilon = V_r S
      U_r^\top\varepsilon`; in coordinates :math:`\delta w = V_r\alpha + V_\perp\beta` the
      normal equations read :math:`S^2\alpha = S U_r^\top\varepsilon` and leave
      :math:`\beta` free; :math:`J V_\perp = 0` and :math:`U_r^\top J V_r = S` (invertible),
      so :math:`\operatorname{rank} J = r` and :math:`\ker J = \operatorname{span} V_\perp`;
    * Eq. 31: :math:`\delta w_{\min} = V_r S^{-1} U_r^\top\varepsilon` solves Eq. 28, is
      orthogonal to :math:`\ker J`, and :math:`\|\delta w_{\min} + V_\perp t\|^2 =
      \|\delta w_{\min}\|^2 + \|V_\perp t\|^2`, so it is the min-norm solution; it is
      :math:`J^+\varepsilon` (four Penrose conditions; also :math:`J^\top(JJ^\top)^{-1}`
      when :math:`r = n`);
    * Eq. 34-35: :math:`g = V_r b + V_\perp c` and :math:`\delta f(x) =
      g^\top\delta w_{\min} = b^\top S^{-1} U_r^\top\varepsilon`;
    * Eq. 36: :math:`\mathbb{E}_\varepsilon[\delta f] = 0`,
      :math:`\mathbb{E}_\varepsilon[\delta f(x)^2] = \sigma^2 b^\top S^{-2} b`;
    * Eq. 37-39: :math:`B = \mathbb{E}_x[bb^\top] = V_r^\top H_{\text{eff}} V_r` and
      :math:`\mathbb{E}_{x,\varepsilon}[\delta f^2] = \sigma^2\operatorname{Tr}(S^{-2}B) =
      \sigma^2\sum_i B_{ii}/s_i^2`;
    * Eq. 1, 6 (template): :math:`C = \mathbb{E}[\delta w\,\delta w^\top] = \sigma^2 V_r
      S^{-2} V_r^\top` and :math:`\operatorname{Tr}(H_{\text{eff}} C)` is the test TPV;
    * App. C.2: :math:`J\delta w_{\min} = U_r U_r^\top\varepsilon` and the train TPV
      :math:`\tfrac1n\mathbb{E}\|J\delta w_{\min}\|^2 = \sigma^2 r/n`; ridge regime (1):
      :math:`\delta w_\lambda = (J^\top J + \lambda I)^{-1}J^\top\varepsilon` (unique, as
      :math:`J^\top J + \lambda I` is diagonalised to :math:`\operatorname{diag}(s_i^2 +
      \lambda, \lambda)`) has test TPV :math:`\sigma^2\sum_i B_{ii}
      s_i^2/(s_i^2+\lambda)^2` and train TPV :math:`\sigma^2\tfrac1n\sum_i
      (s_i^2/(s_i^2+\lambda))^2`.

    Parameters
    ----------
    train_size, parameter_count, rank, test_size : int
        :math:`n, p, r, m`; see :func:`label_noise_setup`. Rank-deficient instances
        (:math:`r < n`) are supported. The default (2, 3, 2, 2) runs in about 1 s.

    Returns
    -------
    list of DerivationStep
        The theorem is PROVED on this instance iff every step ``holds``.

    Raises
    ------
    ParameterError
        For invalid sizes, as :func:`label_noise_setup`.

    Examples
    --------
    >>> steps = label_noise_derivation()
    >>> all(step.holds for step in steps), [s.equation for s in steps if s.name == "tpv_trace"]
    (True, ['Eq. 38'])
    """
    setup = label_noise_setup(train_size, parameter_count, rank, test_size)
    exact = _Exact.of(setup)
    variance_steps, B = _prediction_variance_steps(setup, exact)
    return _solution_steps(setup, exact) + variance_steps + _ridge_steps(setup, exact, B)


def _solution_steps(setup: LabelNoiseSetup, exact: _Exact) -> list[DerivationStep]:
    """Eq. 29 frames, Eq. 27-28 gradient, Eq. 30, coordinates and kernel, Eq. 31, J^+."""
    U_r, V_r, V_perp, S, J, eps = exact.U_r, exact.V_r, exact.V_perp, exact.S, exact.J, exact.eps
    n, p = J.shape
    r = setup.rank
    ring = setup.ring
    identity_p = RationalMatrix.identity(p, ring)
    frame = V_r.hstack(V_perp)
    delta_w_symbols = setup.auxiliary("delta_w")
    delta_w = setup.exact(delta_w_symbols)
    steps = [
        equality_step(
            "left_frame_orthonormal",
            "Eq. 29",
            r"U_r^\top U_r = I_r",
            U_r.T @ U_r,
            RationalMatrix.identity(r, ring),
        ),
        equality_step(
            "right_frame_orthonormal",
            "Eq. 29",
            r"[V_r\ V_\perp]^\top [V_r\ V_\perp] = I_p",
            frame.T @ frame,
            identity_p,
        ),
    ]
    loss = _squared_norm(J @ delta_w - eps).scale(sympy.Rational(1, 2))
    gradient = loss.diff(delta_w_symbols[0])
    for symbol in delta_w_symbols[1:]:
        gradient = gradient.vstack(loss.diff(symbol))
    steps.append(
        equality_step(
            "loss_gradient",
            "Eq. 27",
            r"\nabla_{\delta w} \tfrac12\|J\delta w - \varepsilon\|^2"
            r" = J^\top(J\delta w - \varepsilon)",
            gradient,
            J.T @ (J @ delta_w - eps),
        )
    )
    normal_matrix = (J.T @ J).reduced()
    steps += [
        equality_step(
            "normal_equations",
            "Eq. 28",
            r"\nabla L = 0 \iff J^\top J\delta w = J^\top\varepsilon",
            gradient,
            normal_matrix @ delta_w - J.T @ eps,
        ),
        equality_step(
            "normal_matrix_svd",
            "Eq. 30",
            r"J^\top J = V_r S^2 V_r^\top",
            normal_matrix,
            V_r @ S @ S @ V_r.T,
        ),
        equality_step(
            "normal_rhs_svd",
            "Eq. 30",
            r"J^\top \varepsilon = V_r S U_r^\top \varepsilon",
            J.T @ eps,
            V_r @ S @ (U_r.T @ eps),
        ),
    ]
    alpha = setup.exact(setup.auxiliary("alpha"))
    beta = setup.exact(setup.auxiliary("beta"))
    general = V_r @ alpha + V_perp @ beta
    normal_residual = normal_matrix @ general - J.T @ eps
    steps += [
        equality_step(
            "coordinates_alpha",
            "App. C.1 after Eq. 30",
            r"V_r^\top(V_r\alpha + V_\perp\beta) = \alpha",
            V_r.T @ general,
            alpha,
        ),
        equality_step(
            "projected_normal_equations",
            "App. C.1 after Eq. 30",
            r"V_r^\top(J^\top J\delta w - J^\top\varepsilon) = S^2\alpha - S U_r^\top\varepsilon"
            r"\ \Rightarrow\ \alpha = S^{-1}U_r^\top\varepsilon",
            V_r.T @ normal_residual,
            S @ S @ alpha - S @ (U_r.T @ eps),
        ),
        equality_step(
            "complement_unconstrained",
            "App. C.1 after Eq. 30",
            r"V_\perp^\top(J^\top J\delta w - J^\top\varepsilon) = 0"
            r"\ \text{for all } \alpha, \beta",
            V_perp.T @ normal_residual,
            RationalMatrix.zeros(p - r, 1, ring),
        ),
        equality_step(
            "complement_in_kernel",
            "App. C.1 after Eq. 30",
            r"J V_\perp = 0",
            J @ V_perp,
            RationalMatrix.zeros(n, p - r, ring),
        ),
        equality_step(
            "rank_is_r",
            "Eq. 29",
            r"U_r^\top J V_r = S\ \text{(invertible: } \operatorname{rank} J = r,"
            r"\ \ker J = \operatorname{span} V_\perp)",
            U_r.T @ J @ V_r,
            S,
        ),
    ]
    pinv = exact.min_norm_map
    delta_w_min = pinv @ eps
    shift = V_perp @ setup.exact(setup.auxiliary("t"))
    steps += [
        equality_step(
            "min_norm_solves_normal_equations",
            "Eq. 31",
            r"J^\top J\,\delta w_{\min} = J^\top\varepsilon,"
            r"\ \delta w_{\min} = V_r S^{-1}U_r^\top\varepsilon",
            normal_matrix @ delta_w_min,
            J.T @ eps,
        ),
        equality_step(
            "min_norm_orthogonal_to_kernel",
            "Eq. 31",
            r"V_\perp^\top \delta w_{\min} = 0",
            V_perp.T @ delta_w_min,
            RationalMatrix.zeros(p - r, 1, ring),
        ),
        equality_step(
            "min_norm_pythagoras",
            "Eq. 31",
            r"\|\delta w_{\min} + V_\perp t\|^2 = \|\delta w_{\min}\|^2 + \|V_\perp t\|^2"
            r" \ge \|\delta w_{\min}\|^2",
            _squared_norm(delta_w_min + shift),
            _squared_norm(delta_w_min) + _squared_norm(shift),
        ),
    ]
    penrose = [
        ("penrose_1", r"J J^+ J = J", J @ pinv @ J, J),
        ("penrose_2", r"J^+ J J^+ = J^+", pinv @ J @ pinv, pinv),
        ("penrose_3", r"(J J^+)^\top = J J^+", (J @ pinv).T, J @ pinv),
        ("penrose_4", r"(J^+ J)^\top = J^+ J", (pinv @ J).T, pinv @ J),
    ]
    for name, claim, lhs, rhs in penrose:
        steps.append(
            equality_step(
                f"pseudoinverse_{name}",
                "Eq. 31",
                claim + r",\ J^+ := V_r S^{-1} U_r^\top",
                lhs,
                rhs,
            )
        )
    if r == n:
        # Checked without inverting: J J^T = U_r S^2 U_r^T is invertible when r = n (U_r
        # square orthogonal), so J^+ (J J^T) = J^T characterises J^+ = J^T (J J^T)^{-1}.
        steps.append(
            equality_step(
                "gram_svd",
                "Eq. 31",
                r"J J^\top = U_r S^2 U_r^\top",
                J @ J.T,
                U_r @ S @ S @ U_r.T,
            )
        )
        steps.append(
            equality_step(
                "pseudoinverse_full_row_rank",
                "Eq. 31",
                r"V_r S^{-1} U_r^\top (J J^\top) = J^\top,\ \text{i.e. } J^+ = J^\top"
                r"(J J^\top)^{-1}\ (r = n,\ J J^\top = U_r S^2 U_r^\top \text{ invertible})",
                pinv @ (J @ J.T),
                J.T,
            )
        )
    return steps


def _prediction_variance_steps(
    setup: LabelNoiseSetup, exact: _Exact
) -> tuple[list[DerivationStep], RationalMatrix]:
    """Eq. 34-39, the Tr(H_eff C) template and the train TPV (App. C.2); also returns B."""
    U_r, V_r, V_perp, S_inv, J, eps = (
        exact.U_r,
        exact.V_r,
        exact.V_perp,
        exact.S_inv,
        exact.J,
        exact.eps,
    )
    n = J.shape[0]
    r, m = setup.rank, len(exact.gradients)
    ring, variance = setup.ring, exact.variance
    delta_w_min = exact.min_norm_map @ eps
    noise_map = S_inv @ U_r.T  # b -> coefficients of eps in delta f
    b_free, c_free = (setup.exact(setup.auxiliary(name)) for name in ("b", "c"))
    gradient = exact.gradients[0]
    steps = [
        equality_step(
            "gradient_decomposition",
            "Eq. 34-35",
            r"g = V_r b + V_\perp c,\ b = V_r^\top g,\ c = V_\perp^\top g",
            V_r @ (V_r.T @ gradient) + V_perp @ (V_perp.T @ gradient),
            gradient,
        ),
        equality_step(
            "prediction_change_projected",
            "Eq. 35",
            r"(V_r b + V_\perp c)^\top V_r S^{-1} U_r^\top \varepsilon"
            r" = b^\top S^{-1} U_r^\top\varepsilon",
            (V_r @ b_free + V_perp @ c_free).T @ delta_w_min,
            b_free.T @ noise_map @ eps,
        ),
    ]
    projections = [V_r.T @ g for g in exact.gradients]
    changes = [g.T @ delta_w_min for g in exact.gradients]
    stacked_changes = changes[0]
    for change in changes[1:]:
        stacked_changes = stacked_changes.vstack(change)
    projected_changes = [b.T @ noise_map @ eps for b in projections]
    stacked_projected = projected_changes[0]
    for change in projected_changes[1:]:
        stacked_projected = stacked_projected.vstack(change)
    steps.append(
        equality_step(
            "prediction_change",
            "Eq. 34-35",
            r"\delta f(x_k) = g(x_k)^\top\delta w_{\min} = b(x_k)^\top S^{-1}U_r^\top"
            r"\varepsilon,\ b(x_k) = V_r^\top g(x_k),\ k = 1..m",
            stacked_changes,
            stacked_projected,
        )
    )
    steps.append(
        equality_step(
            "prediction_change_mean",
            "Eq. 36",
            r"\mathbb{E}_\varepsilon[\delta f(x_k)] = 0",
            expectation_isotropic(stacked_changes, setup.noise, setup.variance),
            RationalMatrix.zeros(m, 1, ring),
        )
    )
    second_moments = [
        expectation_isotropic(change @ change, setup.noise, setup.variance) for change in changes
    ]
    stacked_moments = second_moments[0]
    stacked_claims = (projections[0].T @ S_inv @ S_inv @ projections[0]).scale(variance)
    for moment, b in zip(second_moments[1:], projections[1:], strict=True):
        stacked_moments = stacked_moments.vstack(moment)
        stacked_claims = stacked_claims.vstack((b.T @ S_inv @ S_inv @ b).scale(variance))
    steps.append(
        equality_step(
            "prediction_variance_pointwise",
            "Eq. 36",
            r"\mathbb{E}_\varepsilon[\delta f(x_k)^2] = \sigma^2 b(x_k)^\top S^{-2} b(x_k)",
            stacked_moments,
            stacked_claims,
        )
    )
    inverse_m = sympy.Rational(1, m)
    test_jacobian = exact.gradients[0].T
    for g in exact.gradients[1:]:
        test_jacobian = test_jacobian.vstack(g.T)
    effective_hessian = (test_jacobian.T @ test_jacobian).scale(inverse_m)
    B = _sum([b @ b.T for b in projections]).scale(inverse_m)
    test_tpv = _sum(second_moments).scale(inverse_m)
    s_inv_squared = S_inv @ S_inv
    spectral_sum = _sum([B[i, i].scale(s_inv_squared[i, i]) for i in range(r)]).scale(variance)
    covariance = expectation_isotropic(delta_w_min @ delta_w_min.T, setup.noise, setup.variance)
    steps += [
        equality_step(
            "projected_second_moment",
            "Eq. 37",
            r"B = \mathbb{E}_x[b b^\top] = V_r^\top H_{\text{eff}} V_r,"
            r"\ H_{\text{eff}} = \tfrac1m J_{te}^\top J_{te}",
            B,
            V_r.T @ effective_hessian @ V_r,
        ),
        equality_step(
            "tpv_trace",
            "Eq. 38",
            r"\mathbb{E}_{x,\varepsilon}[\delta f(x)^2] = \sigma^2\operatorname{Tr}(S^{-2}B)",
            test_tpv,
            (s_inv_squared @ B).trace().scale(variance),
        ),
        equality_step(
            "tpv_spectral_sum",
            "Eq. 39 (Thm. 3.2, Eq. 10)",
            r"\mathbb{E}_{x,\varepsilon}[\delta f(x)^2] = \sigma^2\sum_{i=1}^r B_{ii}/s_i^2",
            test_tpv,
            spectral_sum,
        ),
        equality_step(
            "parameter_covariance",
            "App. C.2 (2b)",
            r"C = \mathbb{E}[\delta w_{\min}\delta w_{\min}^\top] = \sigma^2 V_r S^{-2} V_r^\top",
            covariance,
            (V_r @ s_inv_squared @ V_r.T).scale(variance),
        ),
        equality_step(
            "tpv_template",
            "Eq. 1, 6",
            r"\operatorname{Tr}(H_{\text{eff}} C) = \mathbb{E}_{x,\varepsilon}[\delta f(x)^2]",
            (effective_hessian @ covariance).trace(),
            test_tpv,
        ),
    ]
    train_change = (J @ delta_w_min).reduced()
    steps += [
        equality_step(
            "train_prediction_change",
            "App. C.2",
            r"J\delta w_{\min} = U_r U_r^\top\varepsilon",
            train_change,
            U_r @ (U_r.T @ eps),
        ),
        equality_step(
            "train_tpv",
            "App. C.2 (3)",
            r"\tfrac1n\mathbb{E}\|J\delta w_{\min}\|^2 = \sigma^2 r/n",
            expectation_isotropic(_squared_norm(train_change), setup.noise, setup.variance).scale(
                sympy.Rational(1, n)
            ),
            variance.scale(sympy.Rational(r, n)),
        ),
    ]
    return steps, B


def _ridge_steps(setup: LabelNoiseSetup, exact: _Exact, B: RationalMatrix) -> list[DerivationStep]:
    """App. C.2 regime (1): the ridge solution and its train and test TPV."""
    U_r, V_r, V_perp, J, eps = exact.U_r, exact.V_r, exact.V_perp, exact.J, exact.eps
    n, p = J.shape
    r, m = setup.rank, len(exact.gradients)
    lam, values = setup.ridge, setup.singular_values
    variance = exact.variance
    frame = V_r.hstack(V_perp)
    shifted = (J.T @ J).reduced() + RationalMatrix.identity(p, setup.ring).scale(exact.ridge)
    shrink = setup.exact(sympy.diag(*[s / (s**2 + lam) for s in values]))
    filter_factors = setup.exact(sympy.diag(*[s**2 / (s**2 + lam) for s in values]))
    delta_w_ridge = V_r @ shrink @ (U_r.T @ eps)
    train_change = (J @ delta_w_ridge).reduced()
    changes = [g.T @ delta_w_ridge for g in exact.gradients]
    test_tpv = _sum(
        [expectation_isotropic(change @ change, setup.noise, setup.variance) for change in changes]
    ).scale(sympy.Rational(1, m))
    weights = setup.exact(sympy.diag(*[s**2 / (s**2 + lam) ** 2 for s in values]))
    return [
        equality_step(
            "ridge_system_diagonalised",
            "App. C.2 (1)",
            r"[V_r\ V_\perp]^\top(J^\top J + \lambda I)[V_r\ V_\perp]"
            r" = \operatorname{diag}(s_i^2 + \lambda, \lambda I_{p-r}) \succ 0",
            frame.T @ shifted @ frame,
            setup.exact(sympy.diag(*[s**2 + lam for s in values], *([lam] * (p - r)))),
        ),
        equality_step(
            "ridge_solution",
            "App. C.2 (1)",
            r"(J^\top J + \lambda I)\,V_r\operatorname{diag}\big(\tfrac{s_i}{s_i^2+\lambda}\big)"
            r"U_r^\top\varepsilon = J^\top\varepsilon",
            shifted @ delta_w_ridge,
            J.T @ eps,
        ),
        equality_step(
            "ridge_train_prediction_change",
            "App. C.2 (1)",
            r"J\delta w_\lambda = U_r\operatorname{diag}\big(\tfrac{s_i^2}{s_i^2+\lambda}\big)"
            r"U_r^\top\varepsilon",
            train_change,
            U_r @ filter_factors @ (U_r.T @ eps),
        ),
        equality_step(
            "ridge_train_tpv",
            "App. C.2 (1)",
            r"\tfrac1n\mathbb{E}\|J\delta w_\lambda\|^2"
            r" = \sigma^2\tfrac1n\sum_i\big(\tfrac{s_i^2}{s_i^2+\lambda}\big)^2",
            expectation_isotropic(_squared_norm(train_change), setup.noise, setup.variance).scale(
                sympy.Rational(1, n)
            ),
            (filter_factors @ filter_factors).trace().scale(variance).scale(sympy.Rational(1, n)),
        ),
        equality_step(
            "ridge_test_tpv",
            "App. C.2 (1)",
            r"\mathbb{E}_{x,\varepsilon}[(g^\top\delta w_\lambda)^2]"
            r" = \sigma^2\sum_i B_{ii}\,\tfrac{s_i^2}{(s_i^2+\lambda)^2}",
            test_tpv,
            _sum([B[i, i].scale(weights[i, i]) for i in range(r)]).scale(variance),
        ),
    ]
