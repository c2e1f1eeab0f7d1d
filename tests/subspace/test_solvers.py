"""Paper 003's solvers: exact sequential minimisers and typed errors on bad input."""

import numpy as np
import pytest

from theorylab.errors import NonFiniteError, NotSymmetricError, ParameterError, ShapeError
from theorylab.solvers import gaussian_moment_criterion, spectral_criterion, subspace_rate_bound
from theorylab.solvers.subspace_probing import compress_increment, top_eigenspace
from theorylab.solvers.subspace_sequences import make_sequential_problem, sequential_increments


def test_sequential_minimisers_are_stationary():
    # oracle: exact gradient of L_k at w_k* (closed form ridge, Newton logistic)
    for kind in ("ridge", "logistic"):
        problem = make_sequential_problem(kind, 201, 4, np.random.default_rng(4))
        sequence = sequential_increments(problem, 1, 200)
        assert sequence.stationarity < 1e-11


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: gaussian_moment_criterion(0.0, [1.0], [[1.0]], 0.0), ParameterError),
        (lambda: gaussian_moment_criterion(0.0, [1.0], [[1.0]], -1.0), ParameterError),
        (lambda: gaussian_moment_criterion(0.0, [1.0, 2.0], [[1.0]], 1.0), ShapeError),
        (lambda: gaussian_moment_criterion(np.nan, [1.0], [[1.0]], 1.0), NonFiniteError),
        (lambda: gaussian_moment_criterion(0.0, [np.nan], [[1.0]], 1.0), NonFiniteError),
        (lambda: gaussian_moment_criterion(0.0, [0.0, 0.0], [[1.0, 2.0], [0.0, 1.0]], 1.0),
         NotSymmetricError),
        (lambda: top_eigenspace(np.eye(2), 3), ParameterError),
        (lambda: compress_increment(0.0, [0.0, 0.0], np.eye(2), np.ones((2, 3))), ShapeError),
        (lambda: subspace_rate_bound(1, 1, 1, 0.0, 1, 1), ParameterError),
        (lambda: spectral_criterion([1.0, 2.0], 1.0, indices=[0, 0]), ParameterError),
    ],
)
def test_bad_input_raises_typed_errors(call, error):
    with pytest.raises(error):
        call()
