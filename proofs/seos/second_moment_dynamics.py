r"""App. A.2 of paper 002 (``seos.second_moment_dynamics``): Eq. 7/26, 30, 32 and 8/33.

Every step is an exact sympy identity built from the construction (enumerated batches, the
update rule :math:`z_{t+1} = (I - \eta\beta^{-1}\hat\Theta P)z_t`), never copied from the
paper; the paper's printed right-hand side is the other operand, so a misprint shows up as a
failing step with its residual.
"""

from __future__ import annotations

import sympy

from theorylab.proofs.seos.common import ETA, batch_masks, diagonal, fractions, symmetric
from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.spec import DerivationStep

__all__ = ["default_frames", "diagonal_restriction_steps", "second_moment_steps"]


def second_moment_steps(size: int, batch: int) -> list[DerivationStep]:
    r"""Eq. 24-26 / Eq. 7 from the update rule, by enumerating every batch (symbolic Θ, Σ)."""
    beta, tilde = fractions(batch, size)
    ntk = symmetric("Theta", size)
    covariance = symmetric("Sigma", size)
    masks = batch_masks(size, batch)
    updates = [sympy.eye(size) - ETA / beta * ntk * mask for mask in masks]
    expected = sum((u * covariance * u.T for u in updates), sympy.zeros(size, size)) / len(masks)
    eq26 = (
        covariance
        - ETA * (ntk * covariance + covariance * ntk)
        + tilde / beta * ETA**2 * ntk * covariance * ntk
        + (1 / beta - tilde / beta) * ETA**2 * ntk * diagonal(covariance) * ntk
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
    beta, tilde = fractions(batch, size)
    lams = sympy.symbols(f"lambda_0:{size}", positive=True)
    ntk = eigenvectors * sympy.diag(*lams) * eigenvectors.T
    rotated = symmetric("S", size)
    covariance = eigenvectors * rotated * eigenvectors.T
    image = (
        covariance
        - ETA * (ntk * covariance + covariance * ntk)
        + tilde / beta * ETA**2 * ntk * covariance * ntk
        + (1 / beta - tilde / beta) * ETA**2 * ntk * diagonal(covariance) * ntk
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
