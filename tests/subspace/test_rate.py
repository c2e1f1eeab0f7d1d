"""``subspace.rate``: Theorem 2's bound (Eq. 10) by hand."""

import pytest

from theorylab.solvers import subspace_rate_bound


def test_rate_bound_hand_case_and_full_space():
    assert subspace_rate_bound(1, 1, 1, 1, 1, 1) == pytest.approx(6.0)
    assert subspace_rate_bound(1, 0, 1, 2, 3, 3) == pytest.approx((12 + 3 * 16 * 15) / 16)
