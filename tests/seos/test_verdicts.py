"""Paper 002 (``seos.*``): checks give their expected verdicts at quick level."""

import pytest

from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import Level, Verdict


@pytest.mark.parametrize(
    ("claim", "check", "verdict"),
    [
        ("seos.second_moment_dynamics", "operator_enumeration", Verdict.REFUTED),
        ("seos.second_moment_dynamics.corrected", "corrected_enumeration", Verdict.HOLDS),
        ("seos.k_theorem", "sgd_matrices", Verdict.REFUTED),
        ("seos.k_approximations", "ordering_minimal", Verdict.REFUTED),
        ("seos.k_momentum", "printed_gain", Verdict.REFUTED),
        ("seos.k_momentum.corrected", "corrected_gain", Verdict.HOLDS),
        ("seos.s_eos_prediction", "k_versus_full_operator", Verdict.REFUTED),
        ("seos.s_eos_prediction.corrected", "full_criterion", Verdict.HOLDS),
    ],
)
def test_claim_checks_give_expected_verdicts(claim, check, verdict):
    registered = {c.spec.name: c for c in CATALOG.checks(claim)}
    finding = registered[check].function(CheckContext(level=Level.QUICK, seed=0))
    assert finding.verdict is verdict
    if verdict is Verdict.REFUTED:
        assert finding.counterexample is not None
