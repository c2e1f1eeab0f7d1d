r"""Reusable pieces of a symbolic derivation check: exact equality, noise moments, frames.

Every proof module in :mod:`theorylab.proofs` reduces a paper's derivation to a list of
:class:`~theorylab.spec.DerivationStep` records. The helpers here are the shared vocabulary:

* :func:`equality_step` decides ``lhs == rhs`` for sympy scalars or matrices by reducing
  ``lhs - rhs`` to a canonical form and records the residual;
* :func:`expectation_isotropic` is an expectation operator for polynomials in zero-mean,
  isotropic noise, :math:`\mathbb{E}[\varepsilon] = 0`,
  :math:`\mathbb{E}[\varepsilon\varepsilon^\top] = \sigma^2 I` (the label-noise model of
  paper 000, Theorem 3.2, App. C.1);
* :class:`RationalMatrix` is an exact matrix of rational functions kept as a polynomial
  numerator matrix over a product of known denominator factors: sums use the lcm of the
  factor lists and products add exponents, so no polynomial gcd is ever computed and a zero
  test is a test of the numerator polynomials. Derivations on symbolic orthogonal frames
  run about 100 times faster this way than through ``sympy.cancel`` on expressions;
  :func:`equality_step` and :func:`expectation_isotropic` accept it;
* :func:`cayley_orthogonal` builds an orthogonal matrix whose entries are rational functions
  of free symbols, so that singular-vector frames stay exact and simplify fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import sympy
from sympy.polys.matrices import DomainMatrix
from sympy.polys.rings import PolyElement

from theorylab.errors import ParameterError
from theorylab.spec import DerivationStep

__all__ = [
    "RationalMatrix",
    "cayley_orthogonal",
    "equality_step",
    "expectation_isotropic",
    "rational_residual",
]

_Expr = sympy.Expr | sympy.MatrixBase
_Factors = Mapping[PolyElement, int]


class RationalMatrix:
    r"""Exact matrix of rational functions :math:`N / D` with a factored common denominator.

    :math:`N` is a matrix over a polynomial ring :math:`\mathbb{Q}[x_1, \dots, x_k]`
    (a :class:`~sympy.polys.matrices.DomainMatrix`) and :math:`D = \prod_f f^{e_f}` a
    product of known polynomial factors (typically :math:`\det(I + A)` of a Cayley frame,
    singular values :math:`s_i`, ridge shifts :math:`s_i^2 + \lambda`). Sums bring both
    operands to the lcm of their factor lists (maximum exponents), products add exponents;
    numerators are never reduced, so no gcd is computed. Because :math:`D \ne 0`, the matrix
    is zero iff every numerator polynomial is zero, which decides equality exactly.

    Parameters
    ----------
    numerator : DomainMatrix
        :math:`N`, over a ``PolynomialRing`` domain such as ``sympy.QQ[x, y]``.
    denominator : mapping of PolyElement to int, optional
        Factor -> exponent; empty or omitted means :math:`D = 1`.

    Examples
    --------
    >>> x, y = sympy.symbols("x y")
    >>> ring = sympy.QQ[x, y]
    >>> A = RationalMatrix.from_sympy(sympy.Matrix([[1 / (1 + x**2), y]]), ring)
    >>> (A @ A.T - RationalMatrix.from_sympy(1 / (1 + x**2) ** 2 + y**2, ring)).is_zero()
    True
    """

    __slots__ = ("denominator", "numerator")

    def __init__(self, numerator: DomainMatrix, denominator: _Factors | None = None) -> None:
        self.numerator = numerator
        self.denominator = {factor: power for factor, power in (denominator or {}).items() if power}

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_sympy(cls, value: _Expr, ring: sympy.polys.domains.Domain) -> RationalMatrix:
        """Convert a sympy matrix (or scalar, as 1 x 1) whose entries are rational in ``ring``.

        Each entry is cancelled and its denominator factored (cheap for the small atoms a
        derivation starts from); the matrix denominator is the lcm of the entries'.

        Raises
        ------
        ParameterError
            If an entry is not a rational function of the ring's generators.
        """
        matrix = value if isinstance(value, sympy.MatrixBase) else sympy.Matrix([[value]])
        entries = []
        common: dict[PolyElement, int] = {}
        for entry in matrix:
            numerator, denominator = sympy.fraction(sympy.cancel(sympy.sympify(entry)))
            try:
                constant, factors = sympy.factor_list(denominator, *ring.symbols)
                factor_powers = {ring.from_sympy(factor): power for factor, power in factors}
                scaled = ring.from_sympy(numerator) * ring.from_sympy(1 / constant)
            except (sympy.PolynomialError, sympy.CoercionFailed) as error:
                raise ParameterError(f"entry {entry} is not rational in {ring}") from error
            entries.append((scaled, factor_powers))
            for factor, power in factor_powers.items():
                common[factor] = max(common.get(factor, 0), power)
        lifted = [
            numerator * _factor_product(_quotient(common, factors), ring)
            for numerator, factors in entries
        ]
        rows, columns = matrix.shape
        grid = [lifted[row * columns : (row + 1) * columns] for row in range(rows)]
        return cls(DomainMatrix(grid, (rows, columns), ring), common)

    @classmethod
    def zeros(cls, rows: int, columns: int, ring: sympy.polys.domains.Domain) -> RationalMatrix:
        """The ``rows x columns`` zero matrix."""
        return cls(DomainMatrix.zeros((rows, columns), ring))

    @classmethod
    def identity(cls, size: int, ring: sympy.polys.domains.Domain) -> RationalMatrix:
        """The ``size x size`` identity."""
        return cls(DomainMatrix.eye(size, ring))

    # -- structure ----------------------------------------------------------------------
    @property
    def ring(self) -> sympy.polys.domains.Domain:
        """The polynomial ring of the numerator."""
        return self.numerator.domain

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, columns)``."""
        return self.numerator.shape

    @property
    def T(self) -> RationalMatrix:  # noqa: N802 - the transpose is spelled as in sympy/numpy
        """Transpose."""
        return RationalMatrix(self.numerator.transpose(), self.denominator)

    def __getitem__(self, key: tuple[slice | int, slice | int]) -> RationalMatrix:
        """Submatrix by a pair of slices (integers are taken as length-1 slices)."""
        rows, columns = (
            slice(index, index + 1) if isinstance(index, int) else index for index in key
        )
        return RationalMatrix(self.numerator[rows, columns], self.denominator)

    def hstack(self, other: RationalMatrix) -> RationalMatrix:
        """``[self other]`` side by side."""
        common = _lcm(self.denominator, other.denominator)
        return RationalMatrix(self._lift(common).hstack(other._lift(common)), common)

    def vstack(self, other: RationalMatrix) -> RationalMatrix:
        """``[self; other]``, one above the other."""
        common = _lcm(self.denominator, other.denominator)
        return RationalMatrix(self._lift(common).vstack(other._lift(common)), common)

    def trace(self) -> RationalMatrix:
        """Trace, as a 1 x 1 matrix."""
        total = self.ring.zero
        for index in range(min(self.shape)):
            total += self.numerator[index, index].element
        return RationalMatrix(DomainMatrix([[total]], (1, 1), self.ring), self.denominator)

    def map_numerator(self, transform: Callable[[PolyElement], PolyElement]) -> RationalMatrix:
        """Apply ``transform`` to every numerator entry, keeping the denominator."""
        rows, columns = self.shape
        grid = [
            [transform(self.numerator[row, column].element) for column in range(columns)]
            for row in range(rows)
        ]
        return RationalMatrix(DomainMatrix(grid, self.shape, self.ring), self.denominator)

    def diff(self, symbol: sympy.Symbol) -> RationalMatrix:
        """Entrywise partial derivative in ``symbol``, which must not occur in the denominator.

        Raises
        ------
        ParameterError
            If the denominator depends on ``symbol``.
        """
        generator = self.ring.from_sympy(symbol)
        index = self.ring.ring.gens.index(generator)
        if any(factor.degree(index) > 0 for factor in self.denominator):
            raise ParameterError(f"denominator depends on {symbol}")
        return self.map_numerator(lambda entry: entry.diff(generator))

    # -- arithmetic ---------------------------------------------------------------------
    def _lift(self, common: _Factors) -> DomainMatrix:
        """Numerator over the larger denominator ``common`` (a multiple of ours)."""
        missing = _quotient(common, self.denominator)
        if not missing:
            return self.numerator
        return self.numerator * _factor_product(missing, self.ring)

    def __add__(self, other: RationalMatrix) -> RationalMatrix:
        common = _lcm(self.denominator, other.denominator)
        return RationalMatrix(self._lift(common) + other._lift(common), common)

    def reduced(self) -> RationalMatrix:
        r"""Divide out each denominator factor as often as it divides every numerator entry.

        Only the known factors are tried (no gcd). A cheap necessary condition screens each
        trial: if :math:`f \mid p` in :math:`\mathbb{Q}[x]` with :math:`f` primitive, then
        :math:`f(x_0)` divides :math:`c\,p(x_0)` at the integer probe point :math:`x_0`
        (:math:`c` clears :math:`p`'s denominators, Gauss's lemma); only entries that pass
        are divided exactly. Call it on an intermediate result before squaring it (numerators
        are never reduced otherwise); the value of the matrix never changes.
        """
        entries = [element for row in self.numerator.to_list() for element in row]
        powers = dict(self.denominator)
        probe = _probe_point(self.ring)
        for factor in powers:
            factor_value = _integer_value(factor, probe)
            while powers[factor] and any(entries):
                if factor_value and any(
                    entry and _integer_value(entry, probe, factor_value) for entry in entries
                ):
                    break
                quotients = [entry.div(factor) for entry in entries]
                if any(remainder for _, remainder in quotients):
                    break
                entries = [quotient for quotient, _ in quotients]
                powers[factor] -= 1
        if powers == self.denominator:
            return self
        rows, columns = self.shape
        grid = [entries[row * columns : (row + 1) * columns] for row in range(rows)]
        return RationalMatrix(DomainMatrix(grid, self.shape, self.ring), powers)

    def __neg__(self) -> RationalMatrix:
        return RationalMatrix(-self.numerator, self.denominator)

    def __sub__(self, other: RationalMatrix) -> RationalMatrix:
        return self + (-other)

    def __matmul__(self, other: RationalMatrix) -> RationalMatrix:
        powers = dict(self.denominator)
        for factor, power in other.denominator.items():
            powers[factor] = powers.get(factor, 0) + power
        return RationalMatrix(self.numerator * other.numerator, powers)

    def scale(self, scalar: RationalMatrix | sympy.Expr | int) -> RationalMatrix:
        """Multiply every entry by a scalar (a 1 x 1 RationalMatrix or a sympy expression)."""
        if not isinstance(scalar, RationalMatrix):
            scalar = RationalMatrix.from_sympy(sympy.sympify(scalar), self.ring)
        if scalar.shape != (1, 1):
            raise ParameterError(f"scale needs a 1 x 1 scalar, got shape {scalar.shape}")
        powers = dict(self.denominator)
        for factor, power in scalar.denominator.items():
            powers[factor] = powers.get(factor, 0) + power
        return RationalMatrix(self.numerator * scalar.numerator[0, 0].element, powers)

    # -- decisions and output -----------------------------------------------------------
    def is_zero(self) -> bool:
        r"""Whether every entry is identically zero (numerators zero; :math:`D \ne 0`)."""
        return bool(self.numerator.is_zero_matrix)

    def to_sympy(self, cancel: bool = False) -> sympy.Matrix:
        """As a sympy Matrix ``N / D``; ``cancel=True`` reduces each entry (slow if large)."""
        denominator = sympy.Mul(
            *[factor.as_expr() ** power for factor, power in self.denominator.items()]
        )
        matrix = self.numerator.to_Matrix() / denominator
        return matrix.applyfunc(sympy.cancel) if cancel else matrix


def _probe_point(ring: sympy.polys.domains.Domain) -> tuple[int, ...]:
    """Fixed integer point (distinct primes) at which divisibility is screened."""
    return tuple(sympy.prime(index + 1) for index in range(len(ring.symbols)))


def _integer_value(polynomial: PolyElement, point: tuple[int, ...], modulus: int = 0) -> int:
    """Value at ``point`` of ``polynomial`` times the lcm of its coefficient denominators.

    With ``modulus`` nonzero the value is reduced modulo ``|modulus|`` along the way.
    """
    _, integral = polynomial.clear_denoms()
    modulus = abs(modulus)
    total = 0
    for monomial, coefficient in integral.terms():
        term = int(coefficient.numerator)
        for base, exponent in zip(point, monomial, strict=True):
            if exponent:
                term *= pow(base, exponent, modulus) if modulus else base**exponent
        total += term % modulus if modulus else term
    return total % modulus if modulus else total


def _lcm(first: _Factors, second: _Factors) -> dict[PolyElement, int]:
    common = dict(first)
    for factor, power in second.items():
        common[factor] = max(common.get(factor, 0), power)
    return common


def _quotient(multiple: _Factors, divisor: _Factors) -> dict[PolyElement, int]:
    return {
        factor: power - divisor.get(factor, 0)
        for factor, power in multiple.items()
        if power > divisor.get(factor, 0)
    }


def _factor_product(factors: _Factors, ring: sympy.polys.domains.Domain) -> PolyElement:
    product = ring.one
    for factor, power in factors.items():
        product *= factor**power
    return product


def _reduce(expression: sympy.Expr, method: str) -> sympy.Expr:
    """Reduce one scalar to canonical form: ``cancel`` always, ``simplify`` as a fallback."""
    reduced = sympy.cancel(sympy.together(expression))
    if reduced != 0 and method == "simplify":
        reduced = sympy.simplify(reduced)
    return reduced


def rational_residual(lhs: _Expr, rhs: _Expr, method: str = "simplify") -> _Expr:
    """Return ``lhs - rhs`` reduced to canonical form, entrywise for matrices.

    Parameters
    ----------
    lhs, rhs : sympy.Expr or sympy.MatrixBase
        The two sides; matrices must have equal shapes.
    method : {"simplify", "cancel"}
        ``"cancel"`` brings each entry to the normal form ``p/q`` of a rational function
        (coprime, expanded), which is zero exactly when the entry is identically zero; this
        decides equality for rational expressions. ``"simplify"`` does the same and, for an
        entry that does not cancel to zero, also tries :func:`sympy.simplify` (for roots,
        exponentials, ...).

    Returns
    -------
    sympy.Expr or sympy.MatrixBase
        The reduced difference; identically zero iff the two sides agree.

    Raises
    ------
    ParameterError
        If ``method`` is unknown or a matrix side is compared with a scalar or a matrix of
        another shape.

    Examples
    --------
    >>> x = sympy.Symbol("x")
    >>> rational_residual((x**2 - 1) / (x - 1), x + 1)
    0
    """
    if method not in ("simplify", "cancel"):
        raise ParameterError(f"method must be 'simplify' or 'cancel', got {method!r}")
    lhs_is_matrix = isinstance(lhs, sympy.MatrixBase)
    if lhs_is_matrix != isinstance(rhs, sympy.MatrixBase):
        raise ParameterError("cannot compare a matrix with a scalar")
    if lhs_is_matrix:
        if lhs.shape != rhs.shape:
            raise ParameterError(f"shape mismatch: {lhs.shape} vs {rhs.shape}")
        return (lhs - rhs).applyfunc(lambda entry: _reduce(entry, method))
    return _reduce(sympy.sympify(lhs) - sympy.sympify(rhs), method)


def equality_step(
    name: str,
    equation: str,
    claim_latex: str,
    lhs: _Expr | RationalMatrix,
    rhs: _Expr | RationalMatrix,
    method: str = "simplify",
) -> DerivationStep:
    r"""Check the identity ``lhs == rhs`` symbolically and record it as a derivation step.

    For sympy operands the step holds iff :func:`rational_residual` reduces every entry of
    :math:`\mathrm{lhs} - \mathrm{rhs}` to exactly zero. If either side is a
    :class:`RationalMatrix` (the other is converted), the difference is formed over the lcm
    of the factored denominators and the step holds iff every numerator polynomial is zero
    (exact, no simplification heuristics; ``method`` is then not used). The residual,
    cancelled, is stored as a string so a failing step shows what is left over.

    Parameters
    ----------
    name : str
        Short identifier of the step, e.g. ``"normal_equations"``.
    equation : str
        Where the step sits in the paper, e.g. ``"Eq. 28"`` (paper 000, App. C.1).
    claim_latex : str
        The asserted identity in LaTeX.
    lhs, rhs : sympy.Expr, sympy.MatrixBase or RationalMatrix
        The two sides as computed from the construction (not copied from the paper).
    method : {"simplify", "cancel"}
        Reduction strategy for sympy operands, see :func:`rational_residual`.

    Returns
    -------
    DerivationStep
        With ``holds`` True iff the residual is identically zero.

    Raises
    ------
    ParameterError
        As :func:`rational_residual`, or if matrix shapes differ.

    Examples
    --------
    >>> a, b = sympy.symbols("a b")
    >>> equality_step("square", "Ex.", "(a+b)^2 = a^2+2ab+b^2", (a + b)**2,
    ...               a**2 + 2*a*b + b**2).holds
    True
    >>> equality_step("wrong", "Ex.", "(a+b)^2 = a^2+b^2", (a + b)**2, a**2 + b**2).residual
    '2*a*b'
    """
    if isinstance(lhs, RationalMatrix) or isinstance(rhs, RationalMatrix):
        return _exact_equality_step(name, equation, claim_latex, lhs, rhs)
    residual = rational_residual(lhs, rhs, method)
    if isinstance(residual, sympy.MatrixBase):
        holds = all(entry == 0 for entry in residual)
        residual_text = "0" if holds else str(residual.tolist())
    else:
        holds = residual == 0
        residual_text = str(residual)
    description = {
        "cancel": "cancel: rational normal form of lhs - rhs (entrywise)",
        "simplify": "cancel, then simplify if nonzero: lhs - rhs (entrywise)",
    }[method]
    return DerivationStep(
        name=name,
        equation=equation,
        claim=claim_latex,
        holds=bool(holds),
        method=description,
        residual=residual_text,
    )


def _exact_equality_step(
    name: str,
    equation: str,
    claim_latex: str,
    lhs: _Expr | RationalMatrix,
    rhs: _Expr | RationalMatrix,
) -> DerivationStep:
    ring = (lhs if isinstance(lhs, RationalMatrix) else rhs).ring
    left, right = (
        side if isinstance(side, RationalMatrix) else RationalMatrix.from_sympy(side, ring)
        for side in (lhs, rhs)
    )
    if left.shape != right.shape:
        raise ParameterError(f"shape mismatch: {left.shape} vs {right.shape}")
    difference = left - right
    holds = difference.is_zero()
    if holds:
        residual_text = "0"
    else:
        residual = difference.to_sympy(cancel=True)
        residual_text = str(residual[0, 0] if residual.shape == (1, 1) else residual.tolist())
    return DerivationStep(
        name=name,
        equation=equation,
        claim=claim_latex,
        holds=holds,
        method="exact: numerator of lhs - rhs over the lcm of factored denominators "
        "is the zero polynomial (entrywise)",
        residual=residual_text,
    )


def expectation_isotropic(
    expression: _Expr | RationalMatrix,
    noise_symbols: Sequence[sympy.Symbol],
    variance: sympy.Expr,
) -> _Expr | RationalMatrix:
    r"""Expectation of a polynomial of degree at most 2 in zero-mean isotropic noise.

    The noise model is that of paper 000, Theorem 3.2 / App. C.1 (before Eq. 36):
    :math:`\mathbb{E}[\varepsilon_i] = 0` and
    :math:`\mathbb{E}[\varepsilon_i\varepsilon_j] = \sigma^2\delta_{ij}`. The expression is
    expanded as a polynomial in the noise symbols (other symbols are coefficients) and each
    monomial is replaced by its moment:

    .. math:: 1 \mapsto 1,\quad \varepsilon_i \mapsto 0,\quad
              \varepsilon_i\varepsilon_j \mapsto \sigma^2 \delta_{ij}.

    Monomials of degree 3 or more are rejected: the assumption does not fix third or fourth
    moments, so no value could be justified.

    Parameters
    ----------
    expression : sympy.Expr, sympy.MatrixBase or RationalMatrix
        Polynomial in ``noise_symbols`` whose coefficients may be any expressions free of
        them; matrices are handled entrywise. For a :class:`RationalMatrix` the noise
        symbols must be generators of its ring, absent from its denominator.
    noise_symbols : sequence of sympy.Symbol
        :math:`\varepsilon_1, \dots, \varepsilon_n`, distinct.
    variance : sympy.Expr
        :math:`\sigma^2` (the variance, not the standard deviation); for a
        :class:`RationalMatrix`, a polynomial in its ring's generators.

    Returns
    -------
    sympy.Expr, sympy.MatrixBase or RationalMatrix
        :math:`\mathbb{E}[\text{expression}]`, free of the noise symbols.

    Raises
    ------
    ParameterError
        If ``noise_symbols`` is empty or repeats a symbol, the expression is not polynomial
        in them (for a :class:`RationalMatrix`: a noise symbol is not a generator or occurs
        in the denominator), or a monomial of degree above 2 has a nonzero coefficient.

    Examples
    --------
    >>> a, b, e1, e2, s2 = sympy.symbols("a b epsilon_1 epsilon_2 sigma2")
    >>> expectation_isotropic((a*e1 + b*e2)**2, [e1, e2], s2)
    a**2*sigma2 + b**2*sigma2
    """
    noise = tuple(noise_symbols)
    if not noise or len(set(noise)) != len(noise):
        raise ParameterError("noise_symbols must be a non-empty sequence of distinct symbols")
    if isinstance(expression, RationalMatrix):
        return _expectation_exact(expression, noise, variance)
    if isinstance(expression, sympy.MatrixBase):
        return expression.applyfunc(lambda entry: expectation_isotropic(entry, noise, variance))
    try:
        polynomial = sympy.Poly(expression, *noise)
    except sympy.PolynomialError as error:
        raise ParameterError(f"expression is not polynomial in the noise: {error}") from error
    expectation = sympy.Integer(0)
    for exponents, coefficient in polynomial.terms():
        expectation += coefficient * _isotropic_moment(exponents, variance)
    return expectation


def _isotropic_moment(exponents: Sequence[int], variance: object) -> object:
    """E[prod eps_i^k_i] under E[eps] = 0, E[eps eps^T] = variance * I; 0 or 1 or variance."""
    degree = sum(exponents)
    if degree > 2:
        raise ParameterError(
            f"monomial of degree {degree} in the noise; only moments up to order 2 "
            "are fixed by E[eps] = 0, E[eps eps^T] = sigma^2 I"
        )
    if degree == 0:
        return 1
    if degree == 2 and max(exponents) == 2:
        return variance
    return 0  # a single eps_i has mean zero; distinct eps_i eps_j are uncorrelated.


def _expectation_exact(
    matrix: RationalMatrix, noise: tuple[sympy.Symbol, ...], variance: sympy.Expr
) -> RationalMatrix:
    ring = matrix.ring
    polynomial_ring = ring.ring
    try:
        indices = [polynomial_ring.gens.index(ring.from_sympy(symbol)) for symbol in noise]
        variance_polynomial = ring.from_sympy(variance)
    except (ValueError, sympy.CoercionFailed) as error:
        raise ParameterError(f"noise or variance not expressible in {ring}") from error
    if any(factor.degree(index) > 0 for factor in matrix.denominator for index in indices):
        raise ParameterError("the denominator depends on the noise")

    def moment(entry: PolyElement) -> PolyElement:
        constant_part: dict[tuple[int, ...], object] = {}
        variance_part: dict[tuple[int, ...], object] = {}
        for monomial, coefficient in entry.terms():
            noise_exponents = [monomial[index] for index in indices]
            moment_value = _isotropic_moment(noise_exponents, "variance")
            if moment_value == 0:
                continue
            target = constant_part if moment_value == 1 else variance_part
            stripped = list(monomial)
            for index in indices:
                stripped[index] = 0
            key = tuple(stripped)
            target[key] = target.get(key, 0) + coefficient
        return (
            polynomial_ring.from_dict(constant_part)
            + polynomial_ring.from_dict(variance_part) * variance_polynomial
        )

    return matrix.map_numerator(moment)


def cayley_orthogonal(size: int, prefix: str) -> sympy.Matrix:
    r"""Orthogonal matrix with rational entries from the Cayley transform of a skew matrix.

    With :math:`A` skew-symmetric, :math:`A_{ij} = a_{ij}` for :math:`i < j` free real symbols
    named ``f"{prefix}_{i}{j}"``,

    .. math:: Q = (I - A)(I + A)^{-1}

    satisfies :math:`Q^\top Q = I` identically (:math:`I + A` is invertible because the
    eigenvalues of a real skew matrix are imaginary). Entries are rational functions of the
    :math:`a_{ij}`, so products of such frames cancel exactly; used for the singular-vector
    frames :math:`[U_r\ U_\perp]`, :math:`[V_r\ V_\perp]` of paper 000, App. C.1, Eq. 29.

    Parameters
    ----------
    size : int
        Order of :math:`Q`, at least 1 (``size == 1`` gives ``[[1]]``).
    prefix : str
        Name prefix of the parameter symbols.

    Returns
    -------
    sympy.Matrix
        ``size x size`` orthogonal matrix, entries in canonical rational form.

    Raises
    ------
    ParameterError
        If ``size < 1``.

    Examples
    --------
    >>> Q = cayley_orthogonal(2, "a")
    >>> Q
    Matrix([
    [(1 - a_01**2)/(a_01**2 + 1),       -2*a_01/(a_01**2 + 1)],
    [       2*a_01/(a_01**2 + 1), (1 - a_01**2)/(a_01**2 + 1)]])
    >>> (Q.T * Q).applyfunc(sympy.cancel) == sympy.eye(2)
    True
    """
    if size < 1:
        raise ParameterError(f"size must be at least 1, got {size}")
    skew = sympy.zeros(size, size)
    for row in range(size):
        for column in range(row + 1, size):
            parameter = sympy.Symbol(f"{prefix}_{row}{column}", real=True)
            skew[row, column] = parameter
            skew[column, row] = -parameter
    identity = sympy.eye(size)
    # (I + A)^{-1} = adj(I + A) / det(I + A); division-free Berkowitz keeps this fast.
    determinant = sympy.expand((identity + skew).det(method="berkowitz"))
    adjugate = (identity + skew).adjugate(method="berkowitz")
    numerator = ((identity - skew) * adjugate).applyfunc(sympy.expand)
    return numerator.applyfunc(lambda entry: sympy.cancel(entry / determinant))
