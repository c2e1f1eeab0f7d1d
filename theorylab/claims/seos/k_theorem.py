r"""``seos.k_theorem`` (Theorem 2.1) and its corrected companion.

Theorem 2.1: for PSD ``A`` and ``B``, the diagonal recursion :math:`\tilde p_{t+1} =
(A+B)\tilde p_t` converges to 0 for every start iff :math:`\|A\|_{op} < 1` and
:math:`\mathcal{K} = \lambda_{\max}((I-A)^{-1}B) < 1`; the text asserts SGD's own ``A``, ``B``
are PSD. Checked as a matrix statement and on SGD's ``A``, ``B`` (derived reading, see
:mod:`theorylab.claims.seos.second_moment_dynamics`). SGD's ``A`` is *not* PSD for small batches
(:math:`A_{\alpha\alpha} = 1 - 2\eta\lambda_\alpha +
\tilde\beta\beta^{-1}\eta^2\lambda_\alpha^2 < 0`
for :math:`\eta\lambda` near :math:`\beta/\tilde\beta`), and then :math:`\|A\|_{op}\ge 1` does
not imply divergence: the corrected companion replaces :math:`\|A\|_{op}` by
:math:`\lambda_{\max}(A)`.
"""

from __future__ import annotations

import numpy as np

from theorylab.claims.seos.common import (
    SGDInstance,
    exact_finding,
    ntk_setting,
    setting_ntks,
    sgd_search_pair,
    small_rationals,
)
from theorylab.claims.seos.paper import cite
from theorylab.derivations import judge_derivation
from theorylab.findings import judged
from theorylab.registry import CATALOG, CheckContext
from theorylab.solvers.noise_kernel import noise_kernel_matrices, noise_kernel_norm
from theorylab.spec import CheckKind, Counterexample, Finding

__all__ = [
    "K_THEOREM",
    "K_THEOREM_CORRECTED",
    "k_by_boundary",
    "matrix_theorem_gap",
]

K_THEOREM, K_THEOREM_CORRECTED = CATALOG.add_specs(__file__, cite)

BOUNDARY = 1e-9


def k_by_boundary(deterministic: np.ndarray, stochastic: np.ndarray) -> float:
    r"""Third way: :math:`\mathcal{K} = 1/s^*`, :math:`\lambda_{\max}(A+s^*B) = 1`.

    :math:`\lambda_{\max}(A+sB)` is non-decreasing in ``s`` (B PSD); bisection on
    :math:`\log s`. Returns 0 when no root exists (``B = 0`` on the relevant subspace).
    """

    def top(scale: float) -> float:
        matrix = deterministic + scale * stochastic
        return float(np.linalg.eigvalsh((matrix + matrix.T) / 2)[-1])

    low, high = 0.0, 1.0
    while top(high) < 1.0:
        high *= 2.0
        if high > 1e15:
            return 0.0
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if top(middle) < 1.0 else (low, middle)
    return 1.0 / high


def _k(deterministic: np.ndarray, stochastic: np.ndarray) -> float:
    gap = np.linalg.eigh(np.eye(len(deterministic)) - deterministic)
    root = gap[1] @ np.diag(gap[0] ** -0.5) @ gap[1].T
    return float(np.linalg.eigvalsh(root @ stochastic @ root)[-1])


def matrix_theorem_gap(deterministic: np.ndarray, stochastic: np.ndarray) -> tuple[bool, bool]:
    """(recursion converges, paper's condition ||A|| < 1 and K < 1) for one pair."""
    total = deterministic + stochastic
    radius = float(np.max(np.abs(np.linalg.eigvals(total))))
    norm = float(np.linalg.norm(deterministic, 2))
    condition = norm < 1 and _k(deterministic, stochastic) < 1
    return radius < 1, condition


@CATALOG.check(
    K_THEOREM,
    kind=CheckKind.SYMBOLIC,
    description="Lemmas A.2-A.4 and Eq. 47-50 of the proof, step by step",
)
def theorem_symbolic(context: CheckContext) -> Finding:
    """The algebra of App. A.3."""
    from theorylab.proofs.seos.k_theorem import theorem_steps

    return judge_derivation(theorem_steps(), cases=1)


@CATALOG.check(
    K_THEOREM,
    kind=CheckKind.EXACT,
    description=(
        "matrix statement on random PSD A, B (both sides of the boundary); K three ways (eig of "
        "(I-A)^-1 B, symmetric form, stability boundary of A + sB)"
    ),
)
def matrix_statement(context: CheckContext) -> Finding:
    """The 'iff' for PSD A, B, and K >= 0, with K computed three independent ways."""
    rng = context.rng()
    mismatches, worst_k, count = 0, 0.0, 0
    for _ in range(400 if context.full else 120):
        size = int(rng.integers(1, 7))
        left = rng.standard_normal((size, size)) * rng.uniform(0.1, 0.8)
        deterministic = left @ left.T
        right = rng.standard_normal((size, int(rng.integers(0, size + 1))))
        stochastic = right @ right.T * rng.uniform(0.01, 0.5)
        converges, condition = matrix_theorem_gap(deterministic, stochastic)
        radius = float(np.max(np.abs(np.linalg.eigvals(deterministic + stochastic))))
        if abs(radius - 1) < BOUNDARY:
            continue
        count += 1
        mismatches += converges != condition
        if np.linalg.norm(deterministic, 2) < 1:
            gap = np.eye(size) - deterministic
            k_eig = float(np.max(np.linalg.eigvals(np.linalg.solve(gap, stochastic)).real))
            k_sym = _k(deterministic, stochastic)
            k_bnd = k_by_boundary(deterministic, stochastic)
            scale = max(1.0, k_sym)
            worst_k = max(
                worst_k, abs(k_eig - k_sym) / scale, abs(k_bnd - k_sym) / scale, max(0.0, -k_sym)
            )
    worst = float(mismatches) + worst_k
    return exact_finding(
        worst,
        1e-8,
        f"iff for PSD A, B: {mismatches} mismatches in {count}; K three ways + K>=0",
        instances=count,
        details={"mismatches": mismatches, "k_three_ways_gap": worst_k},
    )


MINIMAL = {"ntk": [[0.8, 0.4], [0.4, 0.8]], "eta": 1.0, "B": 1}
"""Hand-minimal SGD instance: eigenvalues 6/5, 2/5, ``B = 1`` of ``D = 2``, ``eta = 1``."""


def _sgd_case(ntk: np.ndarray, eta: float, batch: int) -> dict[str, object]:
    """The exact instance (``A``, ``B`` as the small rationals they are) and its float64 figures."""
    parts = noise_kernel_matrices(ntk, eta, batch)
    norm = noise_kernel_norm(ntk, eta, batch)
    state = np.ones(len(ntk))
    for _ in range(4000):
        state = (parts.deterministic + parts.stochastic) @ state
    return {
        "instance": {
            "ntk": ntk.tolist(),
            "eta": eta,
            "B": batch,
            "A": small_rationals(parts.deterministic),
            "B_noise": small_rationals(parts.stochastic),
        },
        "A_diagonal": np.diag(parts.deterministic).tolist(),
        "norm_A": norm.deterministic_norm,
        "K": norm.value,
        "rho_diagonal": norm.diagonal_spectral_radius,
        "iterate_norm_after_4000": float(np.linalg.norm(state)),
    }


@CATALOG.check(
    K_THEOREM,
    kind=CheckKind.EXACT,
    description=(
        "SGD's own A and B: PSD-ness across regimes, and the 'iff' on the hand-minimal instance "
        "D=2, B=1, Θ=[[4/5,2/5],[2/5,4/5]], η=1 (A = diag(-7/5, 1/5), stored exactly)"
    ),
)
def sgd_matrices(context: CheckContext) -> Finding:
    """Check that SGD's A is PSD and that ||A|| >= 1 forces divergence (Thm 2.1)."""
    rng = context.rng()
    negative, count = 0, 0
    for size in (4, 8, 16):
        for batch in (1, 2, size // 2, size):
            ntk = ntk_setting("flat", size, size + 4, rng)
            for fraction in (0.3, 0.6, 0.9):
                eta = 2 * fraction / float(np.linalg.eigvalsh(ntk)[-1])
                parts = noise_kernel_matrices(ntk, eta, batch)
                negative += bool(np.min(np.diag(parts.deterministic)) < 0)
                count += 1
    case = _sgd_case(np.array(MINIMAL["ntk"]), MINIMAL["eta"], MINIMAL["B"])
    theorem_says_stable = case["norm_A"] < 1 and case["K"] < 1
    actually_stable = case["rho_diagonal"] < 1
    refuted = negative > 0 or theorem_says_stable != actually_stable
    summary = (
        f"SGD's A has a negative eigenvalue in {negative}/{count} (D, B, η) settings; "
        f"minimal case: ||A||={case['norm_A']:.2f} >= 1 yet rho(A+B)="
        f"{case['rho_diagonal']:.3f} < 1 (K={case['K']:.2f}), iterate -> "
        f"{case['iterate_norm_after_4000']:.1e}"
    )
    return judged(
        not refuted,
        summary,
        instance=lambda: case["instance"],
        claimed=f"A PSD; ||A||={case['norm_A']:.2f} >= 1 => divergence",
        actual=f"A_diag={np.diag(case['instance']['A']).tolist()}; "
        f"rho(A+B)={case['rho_diagonal']:.4f} < 1: converges",
        residual=float(case["norm_A"]),
        bound=1.0,
        instances=count + 1,
        details={"negative_A_settings": negative, "settings": count, "case": case},
    )


def _theorem_probe(problem: SGDInstance, *, corrected: bool) -> Counterexample | None:
    norm = noise_kernel_norm(problem.ntk, problem.eta, problem.batch)
    if abs(norm.diagonal_spectral_radius - 1) < BOUNDARY or abs(norm.value - 1) < BOUNDARY:
        return None
    stable = norm.diagonal_spectral_radius < 1
    guard = norm.deterministic_max if corrected else norm.deterministic_norm
    predicted = guard < 1 and norm.value < 1
    extra = corrected and abs(norm.diagonal_spectral_radius - norm.diagonal_max) > 1e-9
    if stable != predicted or norm.value < -1e-12 or extra:
        return Counterexample(
            instance=problem.record(),
            claimed=f"stable={predicted}",
            actual=f"stable={stable}",
            message=(
                f"rho(A+B)={norm.diagonal_spectral_radius:.4f}, ||A||="
                f"{norm.deterministic_norm:.3f}, lambda_max(A)={norm.deterministic_max:.3f},"
                f" K={norm.value:.4f}"
            ),
        )
    return None


theorem_search, corrected_search = sgd_search_pair(
    K_THEOREM,
    K_THEOREM_CORRECTED,
    _theorem_probe,
    names=("theorem_2_1_on_sgd_matrices", "corrected_theorem_on_sgd_matrices"),
    descriptions=(
        "hypothesis over SGD problems: rho(A+B) < 1 iff ||A||_op < 1 and K < 1",
        "hypothesis over SGD problems: rho(A+B) = lambda_max(A+B), and rho < 1 iff "
        "lambda_max(A) < 1 and K < 1",
    ),
)


@CATALOG.check(
    K_THEOREM_CORRECTED,
    kind=CheckKind.SYMBOLIC,
    description=(
        "Sylvester congruence: I-A-B = (I-A)^{1/2}(I-M)(I-A)^{1/2}; D_mm >= (1-eta lambda)^2 since "
        "(beta~ + (1-beta~)/D)/beta = 1, so Lambda(A+B)Lambda^-1 is entrywise >= 0"
    ),
)
def corrected_symbolic(context: CheckContext) -> Finding:
    """The two facts the corrected statement rests on, exactly."""
    import sympy

    from theorylab.proofs.steps import equality_step

    size, batch = sympy.symbols("D B", positive=True)
    beta, tilde = batch / size, (batch - 1) / (size - 1)
    steps = [
        equality_step(
            "diagonal of the restriction at C_mm = 1/D",
            "Eq. 32",
            r"(\tilde\beta + (1-\tilde\beta)/D)/\beta = 1",
            (tilde + (1 - tilde) / size) / beta,
            sympy.Integer(1),
            method="cancel",
        )
    ]
    root = sympy.diag(*sympy.symbols("g_0:2", positive=True))
    noise = sympy.Matrix(2, 2, lambda i, j: sympy.Symbol(f"b_{min(i, j)}{max(i, j)}"))
    scaled = root.inv() * noise * root.inv()
    steps.append(
        equality_step(
            "congruence",
            "Thm 2.1 (corrected)",
            r"(I-A) - B = (I-A)^{1/2}(I - (I-A)^{-1/2}B(I-A)^{-1/2})(I-A)^{1/2}",
            root * root - noise,
            root * (sympy.eye(2) - scaled) * root,
            method="cancel",
        )
    )
    return judge_derivation(steps, cases=1)


@CATALOG.check(
    K_THEOREM_CORRECTED,
    kind=CheckKind.EXACT,
    description="SGD A, B over flat/dispersed/localized NTKs, every B, eta to the EOS",
)
def corrected_exact(context: CheckContext) -> Finding:
    """rho(A+B) = lambda_max(A+B) and the corrected iff, on SGD's own matrices."""
    rng = context.rng()
    failures, count, witness = 0, 0, {}
    for _, size, ntk in setting_ntks(rng, (3, 6, 12), 2):
        for batch in range(1, size + 1, max(1, size // 4)):
            for fraction in np.linspace(0.05, 0.99, 8):
                eta = 2 * fraction / float(np.linalg.eigvalsh(ntk)[-1])
                problem = SGDInstance(ntk=ntk, eta=float(eta), batch=batch)
                found = _theorem_probe(problem, corrected=True)
                count += 1
                if found is not None:
                    failures += 1
                    witness = found.instance
    return exact_finding(
        float(failures),
        0.0,
        "corrected Theorem 2.1 on SGD's A, B",
        instances=count,
        worst_case=witness,
    )
