r"""Symbolic instance of the linearised label-noise problem (paper 000, App. C.1-C.2).

Shared by the derivations of ``tpv.label_noise_spectral_sum``
(:mod:`theorylab.proofs.tpv.label_noise_spectral_sum`) and ``tpv.label_noise_regimes``.

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
from theorylab.proofs.steps import RationalMatrix, cayley_orthogonal

__all__ = [
    "ExactInstance",
    "LabelNoiseSetup",
    "label_noise_setup",
    "matrix_sum",
    "squared_norm",
]


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
class ExactInstance:
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
    def of(cls, setup: LabelNoiseSetup) -> ExactInstance:
        """The matrices of ``setup`` in its polynomial ring."""
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


def squared_norm(column: RationalMatrix) -> RationalMatrix:
    """``columnᵀ column`` (a 1 x 1 matrix)."""
    return column.T @ column


def matrix_sum(terms: list[RationalMatrix]) -> RationalMatrix:
    """The sum of a non-empty list of matrices, added left to right."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
