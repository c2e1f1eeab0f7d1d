"""Property suite for ``seos.k_theorem``: try to break the statements that hold.

Tests draw from the same :class:`~theorylab.falsify.PropertySearch` objects that the claims
register (``theorylab falsify`` reproduces any failure).
"""

import numpy as np
from hypothesis import given

from theorylab.claims.seos.k_theorem import corrected_search as theorem_corrected
from theorylab.falsify import hypothesis_test
from theorylab.solvers.noise_kernel import noise_kernel_norm
from theorylab.strategies import sgd_noise_problems

test_corrected_theorem_2_1_on_sgd_matrices = hypothesis_test(theorem_corrected)


@given(sgd_noise_problems(max_size=3))
def test_k_is_nonnegative(instance):
    value = noise_kernel_norm(
        instance["ntk"], instance["learning_rate"], instance["batch_size"]
    ).value
    assert value >= -1e-12 and np.isfinite(value)
