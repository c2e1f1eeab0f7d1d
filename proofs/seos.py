r"""Symbolic checks of paper 002, App. A.1-A.4 (Lemma A.1, Eq. 7/26, 30, 32, 8/33, Thm. 2.1).

Every step is an exact sympy identity built from the construction (enumerated batches, the
update rule :math:`z_{t+1} = (I - \eta\beta^{-1}\hat\Theta P)z_t`), never copied from the
paper; the paper's printed right-hand side is the other operand, so a misprint shows up as a
failing step with its residual.
"""

from __future__ import annotations

from itertools import combinations

import sympy

from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.spec import DerivationStep

__all__ = [
    "batch_masks",
    "batch_moment_steps",
    "default_frames",
    "diagonal_restriction_steps",
    "high_dimensional_limit_steps",
    "second_moment_steps",
    "theorem_steps",
]

ETA, LAM = sympy.symbols("eta lambda", positive=True)


def _symmetric(name: str, size: int) -> sympy.Matrix:
    return sympy.Matrix(
        size, size, lambda i, j: sympy.Symbol(f"{name}_{min(i, j)}{max(i, j)}", real=True)
    )


def _fractions(batch: int, size: int) -> tuple[sympy.Rational, sympy.Rational]:
    tilde = sympy.Integer(1) if size == 1 else sympy.Rational(batch - 1, size - 1)
    return sympy.Rational(batch, size), tilde


def batch_masks(size: int, batch: int) -> list[sympy.Matrix]:
    """Every diagonal selection matrix ``P`` with exactly ``batch`` ones (Sec. 2.2)."""
    return [
        sympy.diag(*[1 if index in chosen else 0 for index in range(size)])
        for chosen in combinations(range(size), batch)
    ]


def _diag(matrix: sympy.Matrix) -> sympy.Matrix:
    return sympy.diag(*[matrix[index, index] for index in range(matrix.shape[0])])


def batch_moment_steps(size: int, batch: int) -> list[DerivationStep]:
    """Lemma A.1 (Eq. 19, 22-23): enumerate all ``C(D, B)`` batches with a symbolic ``M``."""
    beta, tilde = _fractions(batch, size)
    masks = batch_masks(size, batch)
    generic = sympy.Matrix(size, size, lambda i, j: sympy.Symbol(f"M_{i}{j}", real=True))
    first = sum(masks, sympy.zeros(size, size)) / len(masks)
    cross = sum((p * generic * q for p in masks for q in masks), sympy.zeros(size, size))
    same = sum((p * generic * p for p in masks), sympy.zeros(size, size)) / len(masks)
    tag = f"[D={size}, B={batch}]"
    return [
        equality_step(
            f"{tag} E[P]", "Eq. 19", r"\mathbb{E}[P] = \beta I", first, beta * sympy.eye(size)
        ),
        equality_step(
            f"{tag} E[P M P'] (independent)",
            "Eq. 19",
            r"\mathbb{E}[P_t M P_{t+1}] = \beta^2 M",
            cross / len(masks) ** 2,
            beta**2 * generic,
        ),
        equality_step(
            f"{tag} E[P M P]",
            "Eq. 19, 23",
            r"\mathbb{E}[PMP] = \beta\tilde\beta M + \beta(1-\tilde\beta)\mathrm{diag}M",
            same,
            beta * tilde * generic + beta * (1 - tilde) * _diag(generic),
        ),
    ]


def second_moment_steps(size: int, batch: int) -> list[DerivationStep]:
    r"""Eq. 24-26 / Eq. 7 from the update rule, by enumerating every batch (symbolic Θ, Σ)."""
    beta, tilde = _fractions(batch, size)
    ntk = _symmetric("Theta", size)
    covariance = _symmetric("Sigma", size)
    masks = batch_masks(size, batch)
    updates = [sympy.eye(size) - ETA / beta * ntk * mask for mask in masks]
    expected = sum((u * covariance * u.T for u in updates), sympy.zeros(size, size)) / len(masks)
    eq26 = (
        covariance
        - ETA * (ntk * covariance + covariance * ntk)
        + tilde / beta * ETA**2 * ntk * covariance * ntk
        + (1 / beta - tilde / beta) * ETA**2 * ntk * _diag(covariance) * ntk
    )
    tag = f"[D={size}, B={batch}]"
    return [
        equality_step(
            f"{tag} second moment from the update rule",
            "Eq. 7, 26",
            r"\mathbb{E}_P[z'z'^\top] = T(zz^\top)",
            expected.applyfunc(sympy.expand),
            eq26.applyfunc(sympy.expand),
            method="cancel",
        ),
    ]


def _rotated_operator(eigenvectors: sympy.Matrix, size: int, batch: int) -> tuple:
    """T in the eigenbasis: S -> V^T T(V S V^T) V, and Eq. 30's formula, on symbolic S."""
    beta, tilde = _fractions(batch, size)
    lams = sympy.symbols(f"lambda_0:{size}", positive=True)
    ntk = eigenvectors * sympy.diag(*lams) * eigenvectors.T
    rotated = _symmetric("S", size)
    covariance = eigenvectors * rotated * eigenvectors.T
    image = (
        covariance
        - ETA * (ntk * covariance + covariance * ntk)
        + tilde / beta * ETA**2 * ntk * covariance * ntk
        + (1 / beta - tilde / beta) * ETA**2 * ntk * _diag(covariance) * ntk
    )
    direct = eigenvectors.T * image * eigenvectors

    def eq30(mu: int, nu: int) -> sympy.Expr:
        total = sympy.Integer(0)
        for b in range(size):
            for g in range(size):
                delta = 1 if (mu == b and nu == g) else 0
                coupling = sum(
                    eigenvectors[a, b]
                    * eigenvectors[a, g]
                    * eigenvectors[a, mu]
                    * eigenvectors[a, nu]
                    for a in range(size)
                )
                entry = (
                    delta
                    * (
                        1
                        - ETA * (lams[mu] + lams[nu])
                        + tilde / beta * ETA**2 * lams[mu] * lams[nu]
                    )
                    + (1 / beta - tilde / beta) * ETA**2 * lams[mu] * lams[nu] * coupling
                )
                total += entry * rotated[b, g]
        return total

    formula = sympy.Matrix(size, size, eq30)
    return lams, direct, formula, (beta, tilde)


def diagonal_restriction_steps(size: int, batch: int, frame: sympy.Matrix) -> list[DerivationStep]:
    r"""Eq. 30 (T in the S basis), Eq. 32 (diagonal restriction) and the two readings Eq. 8 / 33."""
    lams, direct, formula, (beta, tilde) = _rotated_operator(frame, size, batch)
    tag = f"[D={size}, B={batch}]"
    steps = [
        equality_step(
            f"{tag} T in the NTK eigenbasis",
            "Eq. 28-30",
            r"(S_{t+1})_{\mu\nu} = \sum T_{\mu\nu,\beta\gamma}(S_t)_{\beta\gamma}",
            direct,
            formula,
            method="cancel",
        ),
    ]
    lam = sympy.diag(*lams)
    coupling = sympy.Matrix(
        size, size, lambda b, m: sum(frame[a, b] ** 2 * frame[a, m] ** 2 for a in range(size))
    )
    # Diagonal restriction: D_{mu beta} = T_{mu mu, beta beta} read off the derived operator.
    restriction = sympy.Matrix(
        size, size, lambda m, b: sympy.diff(formula[m, m], sympy.Symbol(f"S_{b}{b}", real=True))
    )
    identity = sympy.eye(size)
    eq32 = (
        (identity - ETA * lam) ** 2
        + (tilde / beta - 1) * ETA**2 * lam**2
        + ETA**2 * (1 / beta - tilde / beta) * lam**2 * coupling
    )
    steps.append(
        equality_step(
            f"{tag} diagonal restriction",
            "Eq. 31-32",
            r"D = (I-\eta\Lambda)^2 + (\tilde\beta\beta^{-1}-1)\eta^2\Lambda^2"
            r" + \eta^2(\beta^{-1}-\tilde\beta\beta^{-1})\Lambda^2 C",
            restriction,
            eq32,
            method="cancel",
        )
    )
    similar = lam.inv() * restriction * lam
    derived_a = (identity - ETA * lam) ** 2 + (tilde / beta - 1) * ETA**2 * lam**2
    derived_b = (1 / beta - tilde / beta) * ETA**2 * lam * coupling * lam
    eq33 = derived_a + ETA**2 * (1 / beta - 1) * lam * coupling * lam
    eq8 = (identity - ETA * lam) ** 2 + (tilde / beta - 1) * lam**2 + derived_b
    steps += [
        equality_step(
            f"{tag} Lambda^+ similarity (derived A+B)",
            "Eq. 33 (derived)",
            r"\Lambda^{-1}D\Lambda = A + B",
            similar,
            derived_a + derived_b,
            method="cancel",
        ),
        equality_step(
            f"{tag} Eq. 33 as printed",
            "Eq. 33",
            r"\Lambda^{-1}D\Lambda = \ldots + \eta^2(\beta^{-1}-1)\Lambda C\Lambda",
            similar,
            eq33,
            method="cancel",
        ),
        equality_step(
            f"{tag} Eq. 8 as printed",
            "Eq. 8",
            r"A + B,\ A = (I-\eta\Lambda)^2 + (\tilde\beta\beta^{-1}-1)\Lambda^2",
            similar,
            eq8,
            method="cancel",
        ),
    ]
    return steps


def theorem_steps() -> list[DerivationStep]:
    r"""The algebra of Lemmas A.2-A.4 and of the proof of Theorem 2.1 (Eq. 35, 41-44, 47-50)."""
    a, b = sympy.symbols("a b", real=True)
    steps = [
        equality_step(
            "Lemma A.2: a^2+b^2-|ab| is a sum of squares",
            "Lemma A.2",
            r"a^2+b^2-|ab| = (|a|-|b|)^2 + |a||b|",
            a**2 + b**2 - sympy.Abs(a * b),
            (sympy.Abs(a) - sympy.Abs(b)) ** 2 + sympy.Abs(a) * sympy.Abs(b),
        ),
    ]
    first = _symmetric("A", 2)
    second = _symmetric("B", 2)
    vector = sympy.Matrix(sympy.symbols("w_0:2", real=True))
    omega, nu = sympy.symbols("omega nu", real=True)
    # Eq. 35: with A v = l v and |v| = 1, v^T (A+B) v - l - v^T B v = v^T (A v - l v) = 0.
    top = sympy.Symbol("l", real=True)
    lhs35 = (vector.T * (first + second) * vector)[0] - top * (vector.T * vector)[0]
    rhs35 = (vector.T * second * vector)[0] + (vector.T * (first * vector - top * vector))[0]
    steps.append(
        equality_step(
            "Lemma A.3: Rayleigh quotient at the top eigenvector",
            "Eq. 35",
            r"v^\top(A+B)v - \lambda_{\max}(A) = "
            r"v^\top Bv + v^\top(Av-\lambda v)",
            sympy.expand(lhs35),
            sympy.expand(rhs35),
        )
    )
    root = _symmetric("R", 2)
    t = sympy.Symbol("t")
    steps.append(
        equality_step(
            "Lemma A.4: AB ~ B^{1/2} A B^{1/2} (same characteristic polynomial)",
            "Eq. 39-44",
            r"\det(tI - A R^2) = \det(tI - RAR)",
            sympy.expand((t * sympy.eye(2) - first * root * root).det()),
            sympy.expand((t * sympy.eye(2) - root * first * root).det()),
        )
    )
    # Eq. 47-48: B w = omega (I - A) w  =>  w^T (A+B) w = omega w^T w + (1-omega) w^T A w.
    bw = omega * (sympy.eye(2) - first) * vector
    lhs48 = (vector.T * first * vector)[0] + (vector.T * bw)[0]
    rhs48 = omega * (vector.T * vector)[0] + (1 - omega) * (vector.T * first * vector)[0]
    steps.append(
        equality_step(
            "Thm 2.1: Eq. 47 => Eq. 48",
            "Eq. 47-48",
            r"w^\top(A+B)w = \omega w^\top w + (1-\omega)w^\top Aw",
            sympy.expand(lhs48),
            sympy.expand(rhs48),
        )
    )
    # Eq. 50: (A+B)u = nu u  =>  u^T B u / u^T (I-A) u = 1 + (nu-1) u^T u / u^T (I-A) u.
    bu = (nu * sympy.eye(2) - first) * vector
    quadratic = (vector.T * (sympy.eye(2) - first) * vector)[0]
    lhs50 = (vector.T * bu)[0] / quadratic
    rhs50 = 1 + (nu - 1) * (vector.T * vector)[0] / quadratic
    steps.append(
        equality_step(
            "Thm 2.1: Rayleigh quotient of (I-A)^{-1/2}B(I-A)^{-1/2}",
            "Eq. 50",
            r"\frac{u^\top Bu}{u^\top(I-A)u} = 1 + "
            r"\frac{(\nu-1)u^\top u}{u^\top(I-A)u}",
            lhs50,
            rhs50,
            method="cancel",
        )
    )
    return steps


def high_dimensional_limit_steps(size: int = 3) -> list[DerivationStep]:
    r"""HD limit (C = 11^T/D, β̃ = β): K of the rank-one B vs Eq. 10; trace limits Eq. 11/52."""
    beta = sympy.Symbol("beta", positive=True)
    batch = beta * size
    scaled = sympy.symbols(f"x_0:{size}", positive=True)  # x = eta * lambda
    # A = (1-x)^2 (beta~ = beta), B = (1/beta - 1) eta^2 Lambda C Lambda, C = 11^T / D.
    # Rank one: K = sum_a B_aa / (1 - A_aa) = (1/beta-1)/D sum x^2 / (2x - x^2).
    limit = sum((1 / beta - 1) / size * x**2 / (1 - (1 - x) ** 2) for x in scaled)
    eq10 = sum(x / (2 - x) for x in scaled) / batch
    steps = [
        equality_step(
            "HD limit of K over Eq. 10 tends to 1 as beta -> 0",
            "Eq. 10, 51",
            r"\lim_{\beta\to0}\lim\mathcal{K}/\hat{\mathcal{K}}_{HD} = 1",
            sympy.limit(sympy.cancel(limit / eq10), beta, 0),
            sympy.Integer(1),
        ),
        equality_step(
            "HD limit of K equals (1-beta) Eq. 10",
            "Eq. 10 (corrected)",
            r"\lim\mathcal{K} = (1-\beta)\hat{\mathcal{K}}_{HD}",
            limit,
            (1 - beta) * eq10,
            method="cancel",
        ),
    ]
    epsilon = sympy.Symbol("epsilon", positive=True)
    leading = sympy.series(eq10.subs({x: epsilon * x for x in scaled}), epsilon, 0, 2).removeO()
    eq11 = sum(epsilon * x for x in scaled) / (2 * batch)
    steps += [
        equality_step(
            "leading order of Eq. 10 in eta*lambda is Eq. 11",
            "Eq. 11",
            r"\hat{\mathcal{K}}_{HD} = \frac{\eta}{2B}\mathrm{tr}\hat\Theta + O(\eta^2)",
            leading,
            eq11,
        ),
        equality_step(
            "leading order of Eq. 10 in eta*lambda is Eq. 52 as printed",
            "Eq. 52",
            r"\hat{\mathcal{K}}_{HD} = \frac{\eta}{B}\mathrm{tr}\hat\Theta + O(\eta^2)",
            leading,
            2 * eq11,
        ),
    ]
    return steps


def default_frames() -> dict[int, sympy.Matrix]:
    """A symbolic Cayley frame for D = 2 and a rational orthogonal frame for D = 3."""
    rational = cayley_orthogonal(3, "c").subs(
        {
            sympy.Symbol("c_01", real=True): sympy.Rational(1, 2),
            sympy.Symbol("c_02", real=True): sympy.Rational(1, 3),
            sympy.Symbol("c_12", real=True): sympy.Rational(-1, 4),
        }
    )
    return {2: cayley_orthogonal(2, "a"), 3: rational}
