"""Property suite for ``tpv.label_noise_regimes`` (and its Gram route).

Each test draws from the strategy and probe the claim's registered ``PropertySearch`` uses,
so a failure is a counterexample ``theorylab falsify`` reproduces.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theorylab.claims.tpv.label_noise_regimes.property import regime_search
from theorylab.falsify import hypothesis_test
from theorylab.solvers import label_noise_tpv
from theorylab.solvers.linear_label_noise import gram_label_noise_tpv
from theorylab.strategies import jacobian_pairs

test_train_tpv_regimes_in_exact_rationals = hypothesis_test(regime_search)


@given(jacobian_pairs(max_outputs=1), st.integers(-4, 4))
def test_gram_route_agrees_with_spectral_solver(pair, exponent):
    ridge = 2.0**exponent
    spectral = label_noise_tpv(pair.train, pair.test, 1.0, ridge=ridge)
    kernel = gram_label_noise_tpv(
        pair.train_rows @ pair.train_rows.T, pair.test_rows @ pair.train_rows.T, 1.0, ridge=ridge
    )
    # forming K = J Jᵀ squares the conditioning: relative error ~ n eps (‖K‖ + λ) / λ.
    gram_norm = float(np.linalg.norm(pair.train_rows, 2)) ** 2
    relative = 100 * pair.train_rows.shape[0] * np.finfo(float).eps * (gram_norm + ridge) / ridge
    scale = np.sum(pair.test_rows**2) / pair.test_rows.shape[0] * gram_norm / ridge**2
    assert abs(kernel.test - spectral.test) <= relative * max(spectral.test, 1e-3 * scale) + 1e-300
    assert abs(kernel.train - spectral.train) <= relative + 1e-12
