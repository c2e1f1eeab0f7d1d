r"""``classics.gd_quadratic_stability`` — GD on a quadratic converges iff 0 < η < 2/λ_max.

For :math:`f(x) = \tfrac12 x^\top A x` with :math:`A = A^\top \succ 0`, gradient descent
:math:`x_{k+1} = x_k - \eta\nabla f(x_k) = (I - \eta A)x_k` gives
:math:`x_k = Q\,\mathrm{diag}\big((1 - \eta\lambda_i)^k\big)Q^\top x_0`, so it converges to the
minimiser 0 from every start iff :math:`|1 - \eta\lambda_i| < 1` for every eigenvalue, i.e.
:math:`0 < \eta < 2/\lambda_{\max}(A)`. Four checks: the derivation in sympy; the criterion
against brute-force iteration (powers of :math:`I - \eta A` by repeated squaring, no
eigenvalues) at step sizes 1% either side of the threshold; a hypothesis search over integer
matrices and step sizes; and the measured contraction rate of autograd gradient descent in
torch against :math:`\max_i|1 - \eta\lambda_i|`.
"""

from __future__ import annotations

import numpy as np
import sympy

from theorylab.authoring import (
    Assumption,
    CheckContext,
    CheckKind,
    Claim,
    ClaimKind,
    Counterexample,
    DerivationStep,
    Finding,
    PropertySearch,
    Source,
    Tolerance,
    Verdict,
    add_claim,
    add_search,
    cayley_orthogonal,
    check,
    equality_step,
    judge_derivation,
    labelled,
)

__all__ = ["GD_QUADRATIC_STABILITY", "gd_converges", "stability_derivation"]

GD_QUADRATIC_STABILITY = add_claim(
    Claim(
        id="classics.gd_quadratic_stability",
        title="GD on a quadratic converges from every start iff 0 < η < 2/λ_max",
        source=Source(
            paper="classical", title="Gradient descent on quadratics", location="folklore"
        ),
        statement=r"x_{k+1} = (I - \eta A)x_k \to 0\ \forall x_0"
        r" \iff 0 < \eta < 2/\lambda_{\max}(A)",
        kind=ClaimKind.EQUIVALENCE,
        assumptions=[Assumption(name="A SPD", statement=r"$A = A^\top \succ 0$")],
        tolerance=Tolerance(
            rtol=0.0, rationale="a yes/no statement: decided exactly, or left undecided"
        ),
    )
)

SQUARINGS = 64
"""Brute force runs up to 2**64 steps of gradient descent (by repeated squaring)."""


def gd_converges(matrix: np.ndarray, learning_rate: float) -> bool | None:
    r"""Brute force: does :math:`(I - \eta A)^k \to 0`? ``None`` if undecided in 2**64 steps.

    Squares :math:`M = I - \eta A` up to :data:`SQUARINGS` times; :math:`M^{2^j}` below
    :math:`10^{-20}` in Frobenius norm means every start has shrunk by that factor (for
    symmetric :math:`M`, :math:`\|M^k\|_2` is monotone in :math:`k`), above :math:`10^{20}`
    that some start diverges. No eigenvalue is computed.

    Examples
    --------
    >>> gd_converges(np.eye(2), 0.5), gd_converges(np.eye(2), 2.5), gd_converges(np.eye(2), 0.0)
    (True, False, None)
    """
    power = np.eye(len(matrix)) - learning_rate * matrix
    for _ in range(SQUARINGS):
        power = power @ power
        size = float(np.linalg.norm(power))
        if size < 1e-20:
            return True
        if not np.isfinite(size) or size > 1e20:
            return False
    return None


def stability_derivation() -> list[DerivationStep]:
    """The steps from the gradient of the quadratic to the interval (0, 2/λ_max)."""
    a, b, c, eta = sympy.symbols("a b c eta", real=True)
    x = sympy.Matrix(sympy.symbols("x1 x2", real=True))
    matrix = sympy.Matrix([[a, b], [b, c]])
    loss = (x.T * matrix * x)[0] / 2
    gradient = sympy.Matrix([loss.diff(entry) for entry in x])
    identity = sympy.eye(2)
    lam1, lam2, lam, lam_max = sympy.symbols("lambda1 lambda2 lambda lambda_max", positive=True)
    frame = cayley_orthogonal(2, "t")
    spectral = frame * sympy.diag(lam1, lam2) * frame.T
    steps = [
        equality_step("gradient", "f = x^T A x / 2", r"\nabla f(x) = Ax", gradient, matrix * x),
        equality_step(
            "iteration_map", "GD", r"x - \eta\nabla f(x) = (I - \eta A)x",
            x - eta * gradient, (identity - eta * matrix) * x,
        ),
        equality_step(
            "modes", "A = Q diag(λ) Qᵀ", r"I - \eta A = Q\,\mathrm{diag}(1 - \eta\lambda_i)Q^\top",
            identity - eta * spectral,
            frame * sympy.diag(1 - eta * lam1, 1 - eta * lam2) * frame.T, method="cancel",
        ),
    ]
    interval = sympy.solveset(sympy.Abs(1 - eta * lam) < 1, eta, sympy.S.Reals)
    expected = sympy.Interval.open(0, 2 / lam)
    steps.append(
        DerivationStep(
            name="one_mode", equation="|1 - ηλ| < 1", claim=r"\{\eta: |1 - \eta\lambda| < 1\} = "
            r"(0, 2/\lambda)", holds=interval == expected, method="sympy solveset, λ > 0",
            residual="0" if interval == expected else str(interval),
        )
    )
    smaller = sympy.Symbol("u", nonnegative=True)  # λ = λ_max / (1 + u) ≤ λ_max
    gap = sympy.simplify(
        interval.subs(lam, lam_max / (1 + smaller)).end - interval.subs(lam, lam_max).end
    )
    steps.append(
        DerivationStep(
            name="all_modes", equation="λ ≤ λ_max",
            claim=r"\bigcap_i (0, 2/\lambda_i) = (0, 2/\lambda_{\max})",
            holds=bool(gap.is_nonnegative), method="right ends: 2/λ - 2/λ_max >= 0",
            residual="0" if gap.is_nonnegative else str(gap),
        )
    )
    return steps


@check(GD_QUADRATIC_STABILITY, kind=CheckKind.SYMBOLIC, description="sympy: ∇f = Ax, "
       "I - ηA = Q diag(1 - ηλ_i) Qᵀ, {η: |1 - ηλ| < 1} = (0, 2/λ), intersected over modes")
def derivation(context: CheckContext) -> Finding:
    """Judge :func:`stability_derivation` (2×2 symbolic ``A``, one generic eigenvalue)."""
    return judge_derivation(labelled("2x2", stability_derivation()), cases=1)


def _random_spd(size: int, rng: np.random.Generator) -> np.ndarray:
    """``Q diag(λ) Qᵀ``: λ log-spaced in [1, 100], Q from the QR of a Gaussian matrix."""
    frame, _ = np.linalg.qr(rng.standard_normal((size, size)))
    return frame @ np.diag(np.geomspace(1.0, 100.0, size)) @ frame.T


FRACTIONS_OF_LIMIT = (-0.5, 0.25, 0.5, 0.9, 0.99, 1.01, 1.1, 1.5, 2.0)
"""Step sizes η = f · 2/λ_max: inside (0, 1) the claim says GD converges, outside it diverges."""


@check(GD_QUADRATIC_STABILITY, kind=CheckKind.EXACT, description="criterion vs brute-force "
       "GD (2**64 steps by squaring) at η = f·2/λ_max, f within 1% of the threshold")
def brute_force(context: CheckContext) -> Finding:
    """Random SPD matrices, condition number 100, sizes 2..8, every step size fraction."""
    rng = context.rng()
    mismatches, undecided, instances = [], 0, 0
    for size in range(2, 9):
        matrix = _random_spd(size, rng)
        limit = 2.0 / float(np.linalg.eigvalsh(matrix)[-1])
        for fraction in FRACTIONS_OF_LIMIT:
            instances += 1
            observed = gd_converges(matrix, fraction * limit)
            if observed is None:
                undecided += 1
            elif observed != (0 < fraction < 1):
                mismatches.append({"size": size, "fraction": fraction, "converges": observed})
    verdict = Verdict.HOLDS if not undecided else Verdict.INCONCLUSIVE
    verdict = Verdict.REFUTED if mismatches else verdict
    return Finding(
        verdict=verdict,
        summary=f"{instances} (A, η) pairs: {len(mismatches)} disagree with 0 < η < 2/λ_max, "
        f"{undecided} undecided",
        instances=instances,
        counterexample=Counterexample(
            instance=mismatches[0], claimed=0 < mismatches[0]["fraction"] < 1,
            actual=mismatches[0]["converges"], message="brute force disagrees with the criterion",
        ) if mismatches else None,
    )


def _matrices_and_fractions() -> object:
    from hypothesis import strategies as st

    from theorylab.strategies import psd_matrices

    positive_definite = psd_matrices(max_size=5).map(lambda gram: gram + np.eye(len(gram)))
    sixty_fourths = st.integers(-32, 160).filter(lambda k: k != 64).map(lambda k: k / 64)
    return st.tuples(positive_definite, sixty_fourths)


def _probe(instance: tuple[np.ndarray, float]) -> Counterexample | None:
    matrix, fraction = instance
    largest = float(np.linalg.eigvalsh(matrix)[-1])
    observed = gd_converges(matrix, fraction * 2.0 / largest)
    if observed is None or observed == (0 < fraction < 1):
        return None
    return Counterexample(
        instance={"A": matrix.tolist(), "eta": fraction * 2.0 / largest},
        claimed=0 < fraction < 1, actual=observed, message=f"GD at η = {fraction}·2/λ_max",
    )


add_search(GD_QUADRATIC_STABILITY, PropertySearch(
    name="criterion_matches_iteration",
    description="hypothesis: A = GGᵀ + I (integer G, any rank), η = k/64 · 2/λ_max",
    strategy=_matrices_and_fractions,
    probe=_probe,
))


@check(GD_QUADRATIC_STABILITY, kind=CheckKind.TORCH, description="autograd GD on ½xᵀAx: "
       "fitted per-step rate of ||x_k|| vs max_i |1 - ηλ_i|, and converging iff rate < 1")
def autograd_rate(context: CheckContext) -> Finding:
    r"""Fit :math:`\log\|x_k\|` over steps 100..200 for η = f·2/λ_max; compare the slope.

    After :math:`k` steps the slowest mode dominates up to a relative weight
    :math:`(\rho_2/\rho_1)^{2k}` (second-largest over largest :math:`|1 - \eta\lambda_i|`), so
    the fitted rate may differ from :math:`\rho_1` by about that much; the tolerance is ten
    times it at the window's start, plus float64 roundoff.
    """
    import torch

    generator = torch.Generator().manual_seed(context.seed)
    eigenvalues = torch.linspace(1.0, 10.0, 20, dtype=torch.float64)
    frame, _ = torch.linalg.qr(torch.randn(20, 20, generator=generator, dtype=torch.float64))
    matrix = frame @ torch.diag(eigenvalues) @ frame.T
    rows, worst = [], 0.0
    for fraction in (0.5, 0.9, 0.95, 1.05, 1.1):
        learning_rate = fraction * 2.0 / float(eigenvalues[-1])
        point = torch.randn(20, generator=generator, dtype=torch.float64, requires_grad=True)
        norms = []
        for _ in range(200):
            (gradient,) = torch.autograd.grad(0.5 * point @ matrix @ point, point)
            point = (point - learning_rate * gradient).detach().requires_grad_(True)
            norms.append(float(torch.linalg.norm(point.detach())))
        rate = float(np.exp(np.polyfit(np.arange(100, 200), np.log(norms[100:]), 1)[0]))
        factors = sorted(abs(1 - learning_rate * eigenvalues).tolist())
        predicted = factors[-1]
        tolerance = 10 * (factors[-2] / predicted) ** 200 + 1e-12
        error = abs(rate - predicted) / predicted
        agrees = error <= tolerance and (rate < 1) == (0 < fraction < 1)
        worst = max(worst, error / tolerance) if agrees else float("inf")
        rows.append({"fraction": fraction, "rate": rate, "predicted": predicted, "agrees": agrees})
    return Finding(
        verdict=Verdict.HOLDS if all(row["agrees"] for row in rows) else Verdict.REFUTED,
        summary=f"fitted rates {[round(row['rate'], 6) for row in rows]} match max|1 - ηλ_i| "
        f"(worst error {worst:.2g} of its tolerance); converging iff η < 2/λ_max",
        residual=worst, backend="torch", sizes={"n": 20, "steps": 200},
        instances=len(rows), details={"rows": rows},
    )
