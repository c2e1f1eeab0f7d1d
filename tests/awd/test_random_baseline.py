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


def test_bulk_spectrum_lowers_the_haar_null_below_eq40():
    from theorylab.claims.awd.random_baseline import bulk_spectrum, spiked_spectrum

    spectrum = spiked_spectrum(2, 5, bulk=0.25)
    assert spectrum.tolist() == [1.0, 1.0, 0.25, 0.25, 0.25]
    finding = bulk_spectrum(CheckContext(seed=0))
    assert finding.verdict is Verdict.NOT_APPLICABLE  # the instances leave App. C.2's premise
    ratios, errors = finding.details["ratio_to_eq40"], finding.details["ratio_stderr"]
    # the largest bulk sits below the zero-bulk null by more than 5 combined stderr
    gap = ratios[0] - ratios[-1]
    assert gap > 5.0 * (errors[0] ** 2 + errors[-1] ** 2) ** 0.5
