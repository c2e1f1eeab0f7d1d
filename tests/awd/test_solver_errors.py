"""Typed errors of the paper-001 solvers on bad input."""

import numpy as np
import pytest

from theorylab.errors import NonFiniteError, NotSymmetricError, ParameterError, ShapeError
from theorylab.solvers.awd import (
    awd_noise_covariance,
    eigenbasis_diagonals,
    fit_power_law,
    minimal_awd_perturbation,
    window_slope_bounds,
)
from theorylab.solvers.awd_coupling import coupling_matrix


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: minimal_awd_perturbation([[1.0, np.nan]], [1.0, 0.0], [0.0, 1.0]), NonFiniteError),
        (lambda: minimal_awd_perturbation([[1.0, 2.0]], [1.0, 0.0, 0.0], [0.0, 1.0]), ShapeError),
        (lambda: minimal_awd_perturbation([[1.0, 2.0]], [0.0, 0.0], [0.0, 1.0]), ParameterError),
        (lambda: awd_noise_covariance([[[1.0, 2.0], [0.0, 1.0]]]), NotSymmetricError),
        (lambda: awd_noise_covariance([[1.0]]), ShapeError),
        (lambda: awd_noise_covariance([[[1.0]]], weight_variance=0.0), ParameterError),
        (lambda: awd_noise_covariance([[[1.0]]], weight_variance=-1.0), ParameterError),
        (lambda: awd_noise_covariance([[[1.0]]], batch_size=0), ParameterError),
        (lambda: awd_noise_covariance([[[1.0]]], batch_size=1.5), ParameterError),
        (lambda: awd_noise_covariance([[[np.nan]]]), NonFiniteError),
        (lambda: eigenbasis_diagonals(np.eye(2), np.eye(3)), ShapeError),
        (lambda: fit_power_law([1.0, 2.0], [1.0]), ShapeError),
        (lambda: fit_power_law([1.0, 1.0], [1.0, 2.0]), ParameterError),
        (lambda: coupling_matrix([[0.0, 0.0], [0.0, 1.0]]), ParameterError),
        (lambda: window_slope_bounds([0.0, 1.0], 0.5), ParameterError),
    ],
)
def test_bad_input_raises_typed_errors(call, error):
    with pytest.raises(error):
        call()
