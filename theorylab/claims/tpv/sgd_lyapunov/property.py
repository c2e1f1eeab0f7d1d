"""Counterexample searches of ``tpv.sgd_lyapunov`` and its corrected companion."""

from __future__ import annotations

import numpy as np

from theorylab.claims.tpv.sgd_lyapunov import SGD_LYAPUNOV, SGD_LYAPUNOV_CORRECTED
from theorylab.errors import StabilityError
from theorylab.registry import CATALOG
from theorylab.solvers.lyapunov import linearised_sgd_stationary, sgd_stationary_covariance
from theorylab.solvers.sgd_noise import batch_factor
from theorylab.spec import Counterexample

__all__ = ["lyapunov_search", "multiplicative_search"]


def _lyapunov_probe(instance: tuple[np.ndarray, np.ndarray, float]) -> Counterexample | None:
    hessian, noise, fraction = instance
    largest = float(np.linalg.eigvalsh(hessian)[-1])
    rate = fraction / largest if largest > 0 else fraction
    results = {}
    for kind in ("discrete", "continuous"):
        results[kind] = sgd_stationary_covariance(hessian, noise, rate, kind, null_space="restrict")
    message = None
    for kind, result in results.items():
        if result.residual > 1e-8:
            message = f"{kind} Lyapunov residual {result.residual:.2e}"
        smallest = np.linalg.eigvalsh(result.covariance)[0]
        if smallest < -1e-9 * max(1.0, np.abs(result.covariance).max()):
            message = f"{kind} covariance not PSD"
    discrete = results["discrete"].covariance
    trace_d = float(np.sum(hessian * discrete))
    trace_c = float(np.sum(hessian * results["continuous"].covariance))
    kept = trace_c * 2 / rate  # = Tr of Σ restricted to range
    exact = trace_d - rate / 2 * float(np.sum((hessian @ hessian) * discrete)) - rate / 2 * kept
    scale = max(trace_d, 1e-300)
    if abs(exact) > 1e-8 * scale + 1e-14:
        message = f"exact discrete trace identity off by {exact:.2e}"
    if largest > 0 and trace_d > 0:
        ratio = trace_d / trace_c
        upper = 2.0 / (2.0 - rate * largest)
        if not (1 - 1e-9 <= ratio <= upper * (1 + 1e-9)):
            message = f"Tr(HC_d)/Tr(HC_c) = {ratio:.6g} outside [1, {upper:.6g}]"
    if message:
        return Counterexample(instance={"hessian": hessian.tolist(), "noise": noise.tolist(),
                                        "eta_lambda_max": fraction}, message=message)
    return None


def _lyapunov_strategy() -> object:
    from hypothesis import strategies as st

    from theorylab.strategies import psd_matrices

    @st.composite
    def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float]:
        hessian = draw(psd_matrices(max_size=5))
        noise_factor = draw(psd_matrices(max_size=5).filter(lambda m: True))
        size = hessian.shape[0]
        noise = noise_factor[:size, :size] if noise_factor.shape[0] >= size else np.eye(size)
        exponent = draw(st.integers(-6, 4))
        hessian = hessian * 2.0**exponent
        fraction = draw(st.floats(1e-3, 1.99, allow_nan=False))
        return hessian, noise, fraction

    return instances()


lyapunov_search = CATALOG.search(
    SGD_LYAPUNOV,
    name="lyapunov_solutions_and_trace_bounds",
    description=(
        "hypothesis over PSD H of any rank (scaled 2^-6..2^4), PSD Σ, ηλmax in [1e-3, 1.99]: "
        "Eq. 66 and Eq. 70 residuals ≤ 1e-8 on the range of H, C ⪰ 0, exact trace identity "
        "Tr(HC) = (η/2)TrΣ + (η/2)Tr(H²C), and 1 ≤ Tr(HC_d)/Tr(HC_c) ≤ 2/(2−ηλmax)"
    ),
    strategy=_lyapunov_strategy,
    probe=_lyapunov_probe,
)

def _multiplicative_probe(instance: tuple[np.ndarray, np.ndarray, float, int, bool]) -> (
    Counterexample | None
):
    rows, residuals, fraction, batch, replacement = instance
    h_eff = rows.T @ rows / rows.shape[0]
    largest = float(np.linalg.eigvalsh(h_eff)[-1])
    if largest == 0:
        return None
    rate = fraction / largest
    try:
        result = linearised_sgd_stationary(rows, residuals, rate, batch, replacement)
    except StabilityError:
        return None  # not mean-square stable: outside the claim's domain
    kappa = batch_factor(rows.shape[0], batch, replacement)
    rhs = rate * kappa / 2 * result.weighted_residual_norm + rate / 2 * (1 - kappa) * float(
        np.sum((h_eff @ h_eff) * result.covariance)
    )
    scale = rate * float(np.sum(rows**2)) * max(float(np.mean(residuals**2)), 1.0)
    gap = abs(result.tpv_train - rhs)
    message = None
    if gap > 1e-7 * scale:
        message = f"trace identity off by {gap:.3g}"
    if not np.any(residuals) and result.tpv_train != 0:
        message = f"zero residuals but TPV {result.tpv_train:.3g}"
    if np.linalg.eigvalsh(result.covariance)[0] < -1e-8 * max(1.0, np.abs(result.covariance).max()):
        message = "stationary covariance not PSD"
    if message:
        return Counterexample(instance={"jacobian": rows.tolist(), "residuals": residuals.tolist(),
                                        "eta_lambda_max": fraction, "batch_size": batch,
                                        "replacement": replacement}, message=message)
    return None


def _multiplicative_strategy() -> object:
    import sympy
    from hypothesis import strategies as st

    from theorylab.strategies import low_rank_integer_matrices

    @st.composite
    def instances(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, float, int, bool]:
        n, p = draw(st.integers(1, 6)), draw(st.integers(1, 3))
        rank = draw(st.integers(1, min(n, p)))
        rows = draw(low_rank_integer_matrices(n, p, rank))
        # residuals r = N z with N an integer basis of ker(J^T): J^T r = 0 exactly
        null_basis = [
            np.array(vector.T * sympy.ilcm(1, *[entry.q for entry in vector]), dtype=float).ravel()
            for vector in sympy.Matrix(rows.T.astype(np.int64)).nullspace()
        ]
        residuals = np.zeros(n)
        for vector in null_basis:
            residuals = residuals + draw(st.integers(-2, 2)) * vector
        replacement = draw(st.booleans())
        batch = draw(st.integers(1, n if not replacement else 4))
        fraction = draw(st.floats(1e-3, 1.5, allow_nan=False))
        return rows, residuals, fraction, batch, replacement

    return instances()


multiplicative_search = CATALOG.search(
    SGD_LYAPUNOV_CORRECTED,
    name="multiplicative_trace_identity",
    description=(
        "hypothesis over integer Jacobians (n ≤ 6, p ≤ 3, any rank ≥ 1), zero or least-"
        "squares residuals, b ∈ [1, n] with/without replacement, ηλmax ∈ [1e-3, 1.5] (mean-"
        "square-unstable draws are outside the domain): exact trace identity, C ⪰ 0, C = 0 "
        "at zero residuals"
    ),
    strategy=_multiplicative_strategy,
    probe=_multiplicative_probe,
)
