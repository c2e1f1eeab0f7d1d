"""``awd.random_baseline``: the sqrt(2/(pi K)) baseline, the z-test, the exact limit."""

import pytest

from theorylab.claims.awd.random_baseline import equal_spikes_error_law, z_test_size
from theorylab.proofs.awd.random_baseline import coupling_limit_derivation
from theorylab.registry import CheckContext
from theorylab.spec import Verdict


def test_corrected_eq40_derivation_steps_all_hold():
    steps = coupling_limit_derivation((2, 3))
    failing = [step.name for step in steps if not step.holds]
    assert not failing, failing


@pytest.mark.parametrize(
    ("check", "expected"),
    [
        (equal_spikes_error_law, Verdict.HOLDS_APPROX),
        (z_test_size, Verdict.REFUTED),
    ],
)
def test_claim_checks_give_expected_verdicts(check, expected):
    assert check(CheckContext(seed=0)).verdict is expected
