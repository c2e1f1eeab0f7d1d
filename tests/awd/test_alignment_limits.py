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
