"""Paper 002's noise-kernel solvers: bad input raises typed errors."""

import numpy as np
import pytest

from theorylab.errors import NonFiniteError, NotPSDError, ParameterError, StabilityError
from theorylab.solvers.noise_kernel import noise_kernel_norm
from theorylab.solvers.noise_kernel_second_moment import (
    noise_kernel_norm_full,
    second_moment_operator,
    second_moment_spectral_radius,
)


@pytest.mark.parametrize(
    ("ntk", "eta", "batch", "error"),
    [
        ([[1.0, 2.0], [2.0, 1.0]], 0.1, 1, NotPSDError),
        ([[1.0, 0.0], [0.0, np.nan]], 0.1, 1, NonFiniteError),
        (np.eye(2), 0.0, 1, ParameterError),
        (np.eye(2), 0.1, 3, ParameterError),
        (np.eye(2), 0.1, 0, ParameterError),
        (np.eye(2), 2.5, 1, StabilityError),
    ],
)
def test_bad_input_raises_typed_errors(ntk, eta, batch, error):
    for solver in (
        noise_kernel_norm,
        second_moment_operator,
        second_moment_spectral_radius,
        noise_kernel_norm_full,
    ):
        with pytest.raises(error):
            solver(ntk, eta, batch)


def test_zero_mode_makes_k_undefined():
    with pytest.raises(StabilityError):
        noise_kernel_norm(np.diag([1.0, 0.0]), 0.5, 1)
