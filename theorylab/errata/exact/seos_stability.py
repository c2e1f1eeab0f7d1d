r"""Exact linear algebra of paper 002's (seos) SGD stability, and its three re-checks.

Shared by :mod:`theorylab.errata.exact.seos`: the exact NTK eigenframe, ``A`` and ``B`` of
the diagonal recursion (Eq. 8, 32-33, each printed reading), :math:`\mathcal{K}` (Eq. 9), the
second-moment operator ``T`` by enumerating every minibatch (Eq. 7/26), and Schur stability
:math:`\rho(M) < 1` certified by a positive-definite solution of the Stein equation. The
re-checks, each on a stored small-rational instance:

* Theorem 2.1 on SGD's own ``A``, ``B``: :math:`\|A\|_{op} \ge 1` yet :math:`\rho(A+B) < 1`;
* Sec. 2.3: :math:`\mathcal{K} < 1` yet :math:`\max|\lambda(T)| > 1` (a real root of ``T``'s
  characteristic polynomial beyond 1, by exact root counting), and ``K`` on both sides of 1
  for two eigenframes of one NTK with a repeated eigenvalue;
* Eq. 8 / Eq. 33 against the diagonal restriction of the enumerated ``T``.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from theorylab.errata.exact.common import (
    ExactCheck,
    ExactFunction,
    exact_number,
    matrix_text,
    sympy_matrix,
)
from theorylab.spec import Counterexample

__all__ = [
    "CHECKS",
    "enumerated_operator",
    "exact_frame",
    "kernel_norm",
    "kernel_parts",
    "positive_definite",
    "schur_stable",
    "sgd_instance",
    "shown",
]

MAX_SIZE = 3
"""Largest ``D`` re-checked (``T`` is :math:`D^2\times D^2`, its Stein system :math:`D^4`)."""


def exact_frame(matrix: Any, *, unique: bool) -> tuple[list[Any], Any] | None:
    """Eigenvalues (descending) and orthonormal eigenvectors (columns) of a symmetric matrix.

    A repeated eigenvalue gets a Gram-Schmidt basis of its eigenspace; with ``unique`` it
    gives ``None`` instead (the frame, hence ``C``, would depend on that choice).
    """
    import sympy

    pairs = sorted(matrix.eigenvects(), key=lambda pair: -pair[0])
    if unique and any(multiplicity > 1 for _, multiplicity, _ in pairs):
        return None
    values, columns = [], []
    for value, multiplicity, vectors in pairs:
        values += [sympy.nsimplify(value)] * multiplicity
        columns += sympy.GramSchmidt(vectors, True)
    return values, sympy.Matrix.hstack(*columns)


def kernel_parts(frame: tuple[list[Any], Any], eta: Any, batch: Any,
                  reading: str = "derived") -> tuple[Any, Any]:
    r"""``A`` and ``B`` of the diagonal recursion (Eq. 8, 32-33) from an exact eigenframe.

    Derived: :math:`A = (1-\eta\lambda)^2 + (\tilde\beta/\beta-1)\eta^2\lambda^2` (diagonal),
    :math:`B = (1-\tilde\beta)\beta^{-1}\eta^2\Lambda C\Lambda`, :math:`C_{\alpha\mu} =
    \sum_i V_{i\alpha}^2V_{i\mu}^2`; ``"eq8"`` drops the :math:`\eta^2` of ``A``'s second
    term, ``"eq33"`` prints :math:`B`'s factor as :math:`(\beta^{-1}-1)\eta^2`.
    """
    import sympy

    values, vectors = frame
    size = len(values)
    beta = sympy.Rational(batch) / size
    tilde = sympy.Integer(1) if size == 1 else sympy.Rational(batch - 1, size - 1)
    scale = 1 if reading == "eq8" else eta**2
    deterministic = sympy.diag(*[(1 - eta * lam) ** 2 + (tilde / beta - 1) * scale * lam**2
                                 for lam in values])
    noise = (1 / beta - 1 if reading == "eq33" else (1 - tilde) / beta) * eta**2
    squares = vectors.applyfunc(lambda entry: sympy.nsimplify(entry**2))
    coupling = squares.T * squares
    stochastic = sympy.Matrix(size, size, lambda a, b: noise * values[a] * coupling[a, b]
                              * values[b])
    return deterministic, stochastic


def kernel_norm(deterministic: Any, stochastic: Any) -> Any:
    r""":math:`\mathcal{K} = \lambda_{\max}((I-A)^{-1}B)` (Eq. 9): the largest root, exactly."""
    import sympy

    product = (sympy.eye(deterministic.rows) - deterministic).inv() * stochastic
    return max(product.charpoly().real_roots())  # similar to a symmetric matrix: all real


def shown(value: Any) -> str:
    """An exact number as text, with six digits where it is irrational (``CRootOf``, roots)."""
    import sympy

    return str(value) if value.is_Rational else f"{value} = {sympy.N(value, 6)}"


def positive_definite(matrix: Any) -> bool:
    """Sylvester's criterion: every leading principal minor of a symmetric matrix is > 0."""
    return all(matrix[:k, :k].det() > 0 for k in range(1, matrix.rows + 1))


def schur_stable(matrix: Any) -> tuple[bool, Any]:
    r"""Whether :math:`\rho(M) < 1`, with the Stein certificate ``X``: :math:`X - M^\top XM = I`.

    Lyapunov: :math:`\rho(M) < 1` iff that equation has a positive-definite solution (then
    unique); a singular system (:math:`\lambda_i\lambda_j = 1`) means :math:`\rho \ge 1`.
    """
    import sympy

    size = matrix.rows
    system = sympy.eye(size * size) - sympy.kronecker_product(matrix.T, matrix.T)
    if system.det() == 0:
        return False, None
    solution = system.solve(sympy.eye(size).reshape(size * size, 1)).reshape(size, size)
    return solution == solution.T and positive_definite(solution), solution


def enumerated_operator(ntk: Any, eta: Any, batch: int) -> Any:
    r"""``T`` (Eq. 7/26) as :math:`\binom{D}{B}^{-1}\sum_P M_P\otimes M_P`, row-major ``vec``.

    :math:`M_P = I - \eta(D/B)\hat\Theta P` (Eq. 5, :math:`\hat\Theta = JJ^\top/D`), every
    minibatch ``P`` of size ``B`` enumerated.
    """
    import sympy

    size = ntk.rows
    updates = [sympy.eye(size) - eta * sympy.Rational(size, batch) * ntk
               * sympy.diag(*[int(i in chosen) for i in range(size)])
               for chosen in combinations(range(size), batch)]
    return sum((sympy.kronecker_product(m, m) for m in updates),
               sympy.zeros(size * size, size * size)) / len(updates)


def sgd_instance(item: dict[str, Any]) -> tuple[Any, Any, int] | None:
    r"""A stored ``{"ntk", "eta", "B"}`` (and ``"jacobian"``, :math:`JJ^\top/D`), exactly."""
    import sympy

    try:
        ntk = sympy_matrix(item["ntk"])
        eta = sympy.Rational(exact_number(item["eta"]))
        batch = exact_number(item["B"])
        if "jacobian" in item:
            jac = sympy_matrix(item["jacobian"])
            if jac * jac.T / jac.rows != ntk:
                return None
    except (KeyError, TypeError, ValueError):
        return None
    if ntk != ntk.T or batch.denominator != 1 or not 1 <= batch <= ntk.rows or eta <= 0:
        return None
    return ntk, eta, int(batch)


def _text(matrix: Any) -> str:
    return matrix_text(matrix.tolist())


def _parts(example: Counterexample) -> tuple[Any, Any, int, Any, Any, Any] | None:
    """``(ntk, eta, B, frame, A, B_noise)`` of a stored instance with a unique exact frame.

    Eigenvalues ascending (the order the claim modules store ``A`` and ``B`` in); a stored
    ``A`` or ``B_noise`` must equal the exact one.
    """
    parsed = sgd_instance(example.instance)
    if parsed is None or parsed[0].rows > MAX_SIZE:
        return None
    ntk, eta, batch = parsed
    frame = exact_frame(ntk, unique=ntk.rows > 1)
    if frame is None or min(frame[0]) <= 0:
        return None
    frame = (frame[0][::-1], frame[1][:, ::-1])  # ascending, as numpy.linalg.eigh stores A, B
    deterministic, stochastic = kernel_parts(frame, eta, batch)
    for key, matrix in (("A", deterministic), ("B_noise", stochastic)):
        if key in example.instance and sympy_matrix(example.instance[key]) != matrix:
            return None  # the stored A or B is not what Eq. 32 gives
    return ntk, eta, batch, frame, deterministic, stochastic


def _theorem_on_sgd(example: Counterexample) -> ExactCheck | None:
    r"""Theorem 2.1 on SGD's ``A``, ``B``: :math:`\rho(A+B)<1` iff :math:`\|A\|_{op}<1`, K < 1.

    ``A`` is diagonal, so :math:`\|A\|_{op} = \max|A_{\alpha\alpha}|`; with :math:`I-A \succ 0`,
    :math:`\mathcal{K} < 1` iff :math:`I-A-B \succ 0` (congruence); :math:`\rho(A+B) < 1` iff
    the Stein equation has a positive-definite solution.
    """
    import sympy

    parts = _parts(example)
    if parts is None:
        return None
    *_, deterministic, stochastic = parts
    eye = sympy.eye(deterministic.rows)
    diagonal = [deterministic[a, a] for a in range(deterministic.rows)]
    norm = max(abs(value) for value in diagonal)
    gap_pd = positive_definite(eye - deterministic)
    k_text = f"K = {shown(kernel_norm(deterministic, stochastic))}" if gap_pd else "K undefined"
    predicted = norm < 1 and gap_pd and positive_definite(eye - deterministic - stochastic)
    stable, certificate = schur_stable(deterministic + stochastic)
    witness = diagonal.index(max(diagonal, key=abs))
    stein = (f"X = {_text(certificate)} solves X - M^T X M = I and is positive definite"
             if stable else "the Stein equation X - M^T X M = I has no positive-definite "
             "solution")
    return ExactCheck(
        claimed=f"Thm 2.1: ||A||_op = {norm}, {k_text}: "
        + ("converges" if predicted else "diverges (||A||_op < 1 and K < 1 fail)"),
        actual=f"A = {_text(deterministic)} (A e_{witness} = {diagonal[witness]} e_{witness}), "
        f"B = {_text(stochastic)}, M = A + B = {_text(deterministic + stochastic)}: "
        + (f"rho(M) < 1, converges ({stein})" if stable else f"rho(M) >= 1 ({stein})"),
        refutes=predicted != stable,
        arithmetic="sympy",
    )


def _k_versus_operator(example: Counterexample) -> ExactCheck | None:
    r"""Sec. 2.3: :math:`\mathcal{K} < 1` iff :math:`\max|\lambda(T)| < 1`, ``T`` enumerated.

    Divergence is shown by a real root of :math:`\det(xI - T)` in :math:`(1,\infty)` or
    :math:`(-\infty,-1)` (exact root counting), convergence by the Stein certificate of ``T``.
    """
    import sympy

    parts = _parts(example)
    if parts is None:
        return None
    ntk, eta, batch, _, deterministic, stochastic = parts
    eye = sympy.eye(ntk.rows)
    if not positive_definite(eye - deterministic):
        return None  # K (Eq. 9) is defined for I - A > 0
    k_below = positive_definite(eye - deterministic - stochastic)
    radius = _operator_radius(ntk, eta, batch)
    if radius is None:
        return None
    return ExactCheck(
        claimed=f"K = {shown(kernel_norm(deterministic, stochastic))} "
        + ("< 1: converges" if k_below else ">= 1: diverges"),
        actual=radius[1],
        refutes=k_below != radius[0],
        arithmetic="sympy",
    )


def _operator_radius(ntk: Any, eta: Any, batch: int) -> tuple[bool, str] | None:
    """(max|lambda(T)| < 1, why) for the enumerated ``T``; ``None`` on the boundary."""
    import sympy

    operator = enumerated_operator(ntk, eta, batch)
    x = sympy.Symbol("x")
    poly = operator.charpoly(x)
    if poly.eval(1) == 0 or poly.eval(-1) == 0:
        return None
    beyond = poly.count_roots(1, None) + poly.count_roots(None, -1)
    stable = beyond == 0 and schur_stable(operator)[0]
    root = max((r for r in poly.real_roots() if abs(r) > 1), key=abs, default=None)
    example_root = "" if root is None else f", e.g. {shown(root)}"
    return stable, ("max|lambda(T)| < 1 (Stein certificate of T)" if stable else
                    f"det(xI - T) = {sympy.factor(poly.as_expr())} has {beyond} real root(s) "
                    f"outside [-1, 1]{example_root}")


def _degenerate_frames(example: Counterexample) -> ExactCheck | None:
    r"""``K`` (Eq. 8-9) in two eigenframes of one NTK with a repeated eigenvalue, vs ``T``.

    The stored ``frame`` ``Q`` (orthogonal) diagonalises ``ntk``; the second frame turns
    its first two columns (one eigenspace) by ``rotation`` = (cos, sin).
    """
    import sympy

    parsed = sgd_instance(example.instance)
    try:
        frame = sympy_matrix(example.instance["frame"])
        cos, sin = (sympy.Rational(exact_number(v)) for v in example.instance["rotation"])
    except (KeyError, TypeError, ValueError):
        return None
    if parsed is None or parsed[0].rows > MAX_SIZE or frame.shape != parsed[0].shape:
        return None
    ntk, eta, batch = parsed
    size = ntk.rows
    turn = sympy.eye(size)
    turn[:2, :2] = sympy.Matrix([[cos, -sin], [sin, cos]])
    diagonal = frame.T * ntk * frame
    values = [diagonal[a, a] for a in range(size)]
    if (frame.T * frame != sympy.eye(size) or cos**2 + sin**2 != 1 or values[0] != values[1]
            or diagonal != sympy.diag(*values) or min(values) <= 0):
        return None
    eye, ks, below = sympy.eye(size), [], []
    for vectors in (frame, frame * turn):
        deterministic, stochastic = kernel_parts((values, vectors), eta, batch)
        if not positive_definite(eye - deterministic):
            return None
        ks.append(kernel_norm(deterministic, stochastic))
        below.append(positive_definite(eye - deterministic - stochastic))
    radius = _operator_radius(ntk, eta, batch)
    if radius is None:
        return None
    return ExactCheck(
        claimed="diverges iff K > 1, K one number per NTK: "
        + " and ".join(f"K = {shown(k)} ({'<' if b else '>='} 1)"
                       for k, b in zip(ks, below, strict=True))
        + " in the two eigenframes",
        actual=radius[1],
        refutes=any(b != radius[0] for b in below),
        arithmetic="sympy",
    )


def _restriction(example: Counterexample) -> ExactCheck | None:
    r"""Eq. 8 / Eq. 33's :math:`A+B` vs :math:`\Lambda^{-1}R\Lambda`, ``R`` read off ``T``.

    :math:`R_{\alpha\mu} = (v_\alpha\otimes v_\alpha)^\top T(v_\mu\otimes v_\mu)`: the
    diagonal-to-diagonal block of the enumerated ``T`` in the NTK eigenframe (Eq. 30, 32).
    """
    import sympy

    parts = _parts(example)
    if parts is None:
        return None
    ntk, eta, batch, frame, *_ = parts
    size, (values, vectors) = ntk.rows, frame
    rotation = sympy.kronecker_product(vectors, vectors)
    rotated = rotation.T * enumerated_operator(ntk, eta, batch) * rotation
    index = [a * (size + 1) for a in range(size)]
    similar = sympy.Matrix(size, size, lambda a, b: sympy.nsimplify(
        rotated[index[a], index[b]] * values[b] / values[a]))
    sums = {reading: (lambda pair: pair[0] + pair[1])(kernel_parts(frame, eta, batch, reading))
            for reading in ("eq8", "eq33", "derived")}
    wrong = [reading for reading in ("eq8", "eq33")
             if (sums[reading] - similar).applyfunc(sympy.simplify) != sympy.zeros(size)]
    return ExactCheck(
        claimed=", ".join(f"A+B of {name} = {_text(sums[name])}" for name in ("eq8", "eq33")),
        actual=f"Lambda^-1 R Lambda from the enumerated T = {_text(similar)}"
        + f" (= the derived A+B: {(sums['derived'] - similar).is_zero_matrix})"
        + (f"; {' and '.join(wrong)} as printed differ" if wrong else ""),
        refutes=bool(wrong),
        arithmetic="sympy",
    )


def _full_batch(example: Counterexample) -> ExactCheck | None:
    r"""Sec. 2.3 at :math:`\beta = 1`, as printed, against ``A + B`` of Eq. 32 exactly.

    Printed: :math:`\mathcal{K} = 0`, :math:`\max\lambda[A+B] = (1-\eta\lambda_{\min})^2`.
    """
    parsed = sgd_instance(example.instance)
    if parsed is None or parsed[2] != parsed[0].rows:
        return None
    ntk, eta, batch = parsed
    frame = exact_frame(ntk, unique=False)
    deterministic, stochastic = kernel_parts(frame, eta, batch)
    top = max((deterministic + stochastic).eigenvals())
    printed = (1 - eta * min(frame[0])) ** 2
    return ExactCheck(
        claimed=f"K = 0, max lambda[A+B] = (1 - eta lambda_min)^2 = {printed}",
        actual=f"B = {_text(stochastic)}, A = {_text(deterministic)}: max lambda[A+B] = {top}",
        refutes=top != printed or not stochastic.is_zero_matrix,
        arithmetic="sympy",
    )


CHECKS: dict[tuple[str, str], ExactFunction] = {
    ("seos.k_theorem", "sgd_matrices"): _theorem_on_sgd,
    ("seos.s_eos_prediction", "k_versus_full_operator"): _k_versus_operator,
    ("seos.s_eos_prediction", "degenerate_spectrum"): _degenerate_frames,
    ("seos.second_moment_dynamics", "operator_enumeration"): _restriction,
    ("seos.k_full_batch", "full_batch"): _full_batch,
}
"""(claim id, check name) → exact re-check of that check's stored counterexample."""
