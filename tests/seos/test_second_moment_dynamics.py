"""``seos.second_moment_dynamics``: Eq. 26's operator (oracles named)."""

import numpy as np

from theorylab.solvers.noise_kernel_second_moment import (
    enumerated_second_moment_operator,
    second_moment_operator,
)


def test_operator_formula_vs_batch_enumeration_oracle(flat_ntk):
    eta = 1.0 / np.linalg.eigvalsh(flat_ntk)[-1]
    for batch in (1, 2, 5):
        np.testing.assert_allclose(
            second_moment_operator(flat_ntk, eta, batch),
            enumerated_second_moment_operator(flat_ntk, eta, batch),
            atol=1e-12,
        )
