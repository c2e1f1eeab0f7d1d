"""``awd.minimal_duality``: the closed-form minimal perturbation and its derivation."""

import numpy as np

from theorylab.claims.awd.minimal_duality import minimum_norm_reference
from theorylab.proofs.awd.minimal_duality import minimal_duality_derivation
from theorylab.solvers.awd import minimal_awd_perturbation


def test_minimal_perturbation_matches_svd_least_norm_oracle():
    rng = np.random.default_rng(0)
    weight, activity, delta = (
        rng.standard_normal((3, 4)),
        rng.standard_normal(4),
        rng.standard_normal(4),
    )
    closed = minimal_awd_perturbation(weight, activity, delta)
    np.testing.assert_allclose(closed, minimum_norm_reference(weight, activity, delta), rtol=1e-12)
    np.testing.assert_allclose(
        (weight + closed) @ activity, weight @ (activity + delta), rtol=1e-12
    )


def test_minimal_perturbation_hand_checked_case():
    # W = [1 2], a = e1, da = e2: W da = 2, dW = 2 e1^T.
    np.testing.assert_array_equal(
        minimal_awd_perturbation([[1.0, 2.0]], [1.0, 0.0], [0.0, 1.0]), [[2.0, 0.0]]
    )


def test_app_e1_derivation_steps_all_hold():
    steps = minimal_duality_derivation(2, 2)
    failing = [step.name for step in steps if not step.holds]
    assert not failing, failing
