"""Property search of ``tpv.label_noise_spectral_sum``: float64 solver vs exact rationals."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from theorylab.claims.tpv.label_noise_spectral_sum import EXACT_RTOL, LABEL_NOISE_SPECTRAL_SUM
from theorylab.oracles import rational_label_noise
from theorylab.registry import CATALOG
from theorylab.solvers.linalg import jacobian_rows
from theorylab.solvers.tpv import LabelNoiseTPV, label_noise_tpv
from theorylab.spec import Counterexample

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from theorylab.strategies import JacobianPair

__all__ = ["floating_error_bound", "label_noise_search", "ridge_fractions"]

ERROR_CONSTANT = 8.0
EPS = float(np.finfo(np.float64).eps)


def floating_error_bound(
    train_rows: np.ndarray, other_rows: np.ndarray, other_count: int, result: LabelNoiseTPV
) -> float:
    r"""Normwise float64 error bound for a TPV computed on ``other_rows`` (test or train).

    With solution map :math:`M = V_r\,\mathrm{diag}(s_i/(s_i^2+\lambda))\,U_r^\top` and
    :math:`\kappa = \|J\|_2\|M\|_2`, a backward-stable SVD perturbs :math:`M` by at most
    :math:`c\,\epsilon\,\kappa\,\|M\|_2` (pseudo-inverse perturbation theory, rank kept), so
    :math:`|\Delta\mathrm{TPV}| \le 8(m+p)\,\epsilon\,\kappa\,\sigma^2\|J_o\|_F^2\|M\|_2^2/n_o`.
    """
    if result.rank == 0:
        return 0.0
    factors = result.singular_values / (result.singular_values**2 + result.ridge)
    map_norm = float(np.max(factors))
    condition = float(result.singular_values[0]) * map_norm
    size = sum(train_rows.shape)
    other_norm = float(np.sum(other_rows**2))
    return (
        ERROR_CONSTANT
        * size
        * EPS
        * condition
        * result.noise_std**2
        * other_norm
        * map_norm**2
        / other_count
    )


def _probe(instance: tuple[JacobianPair, float, Fraction]) -> Counterexample | None:
    pair, noise_std, ridge = instance
    train_rows, samples = jacobian_rows(pair.train)
    test_rows, tests = jacobian_rows(pair.test)
    result = label_noise_tpv(pair.train, pair.test, noise_std, ridge=float(ridge))
    exact_test, exact_train = rational_label_noise(train_rows, test_rows, samples, tests, ridge)
    claimed = (result.test, result.train)
    truth = (noise_std**2 * float(exact_test), noise_std**2 * float(exact_train))
    bounds = (
        floating_error_bound(train_rows, test_rows, tests, result),
        floating_error_bound(train_rows, train_rows, samples, result),
    )
    for label, value, reference, bound in zip(
        ("test", "train"), claimed, truth, bounds, strict=True
    ):
        if abs(value - reference) > bound + EXACT_RTOL * abs(reference):
            return Counterexample(
                instance={**pair.describe(), "noise_std": noise_std, "ridge": float(ridge)},
                claimed=value,
                actual=reference,
                message=(
                    f"{label} TPV {value!r} differs from the exact {reference!r} by "
                    f"{abs(value - reference):.3g} > error bound {bound:.3g}"
                ),
            )
    exact_rank = np.linalg.matrix_rank(train_rows)  # cross-check the rank decision too
    if ridge == 0 and result.rank != exact_rank:
        return Counterexample(
            instance={**pair.describe(), "noise_std": noise_std},
            claimed=result.rank,
            actual=int(exact_rank),
            message=f"rank {result.rank} differs from matrix_rank {exact_rank}",
        )
    return None


def ridge_fractions() -> SearchStrategy[Fraction]:
    """Ridge ``0`` or ``2^k``, ``k`` in ``[-8, 8]``, as fractions (both label-noise claims)."""
    from hypothesis import strategies as st

    return st.one_of(
        st.just(Fraction(0)),
        st.integers(-8, 8).map(lambda exponent: Fraction(2) ** exponent),
    )


def _strategy() -> object:
    from hypothesis import strategies as st

    from theorylab.strategies import jacobian_pairs

    noise = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False)
    return st.tuples(jacobian_pairs(), noise, ridge_fractions())


label_noise_search = CATALOG.search(
    LABEL_NOISE_SPECTRAL_SUM,
    name="closed_form_matches_exact_rationals",
    description=(
        "hypothesis over integer Jacobians of every rank and shape (scalar and vector "
        "outputs, columns scaled by 2^±8), noise σ in [0, 10], ridge 0 or 2^k: the float64 "
        "solver vs exact rational arithmetic within the normwise error bound"
    ),
    strategy=_strategy,
    probe=_probe,
)
