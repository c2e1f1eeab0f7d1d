"""Property suite for ``seos.s_eos_prediction.corrected``: try to break the statements that hold.

Tests draw from the same :class:`~theorylab.falsify.PropertySearch` objects that the claims
register (``theorylab falsify`` reproduces any failure).
"""

from hypothesis import given

from theorylab.solvers.noise_kernel import noise_kernel_norm
from theorylab.solvers.noise_kernel_second_moment import (
    noise_kernel_norm_full,
    second_moment_spectral_radius,
)
from theorylab.strategies import sgd_noise_problems


@given(sgd_noise_problems(max_size=4))
def test_full_criterion_matches_dense_spectral_radius(instance):
    """Oracle: dense eigenvalues of the D^2 x D^2 operator T; K <= K_full always."""
    ntk, eta, batch = instance["ntk"], instance["learning_rate"], instance["batch_size"]
    radius = second_moment_spectral_radius(ntk, eta, batch, method="dense").spectral_radius
    full = noise_kernel_norm_full(ntk, eta, batch)
    if abs(radius - 1) > 1e-9 and abs(full - 1) > 1e-9:
        assert (radius < 1) == (full < 1)
    assert noise_kernel_norm(ntk, eta, batch).value <= full + 1e-10
