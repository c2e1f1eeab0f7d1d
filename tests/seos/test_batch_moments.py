"""``seos.batch_moments``: Lemma A.1's selection moment (oracles named)."""

import numpy as np

from theorylab.solvers.noise_kernel import enumerated_selection_moment, minibatch_selection_moment

FLOAT_TOL = 1e-12


def test_selection_moment_vs_enumeration_oracle():
    matrix = np.random.default_rng(0).standard_normal((5, 5))
    for batch in range(1, 6):
        np.testing.assert_allclose(
            minibatch_selection_moment(matrix, batch),
            enumerated_selection_moment(matrix, batch),
            atol=FLOAT_TOL,
        )
