"""``awd.alignment_limits``: Prop. 5.3 / 5.5 and their derivation."""

import pytest

from theorylab.claims.awd.alignment_limits import perfect_alignment
from theorylab.proofs.awd.alignment_limits import alignment_limits_derivation
from theorylab.registry import CheckContext
from theorylab.spec import Verdict


def test_app_e4_derivation_steps_all_hold():
    steps = alignment_limits_derivation(2)
    failing = [step.name for step in steps if not step.holds]
    assert not failing, failing


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (perfect_alignment, Verdict.HOLDS),
    ],
)
def test_claim_checks_give_expected_verdicts(check, expected):
    assert check(CheckContext(seed=0)).verdict is expected


def test_independent_magnitudes_break_the_empirical_variance_condition_only():
    import numpy as np

    from theorylab.claims.awd.alignment_limits import aligned_stack, independent_magnitudes

    rng = np.random.default_rng(0)
    shared = aligned_stack(30, 4, rng)
    independent = aligned_stack(30, 4, rng, independent=True)
    for stack, exact in ((shared, True), (independent, False)):
        values = np.linalg.eigvalsh(stack)[:, ::-1]  # descending per sample; frame shared
        ratio = values.var(axis=0) / values.mean(axis=0) ** 2  # kappa_i in the sample
        assert np.allclose(ratio, ratio[0], rtol=1e-10) is exact
    assert independent_magnitudes(CheckContext(seed=0)).verdict is Verdict.HOLDS_APPROX
