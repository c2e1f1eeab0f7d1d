"""Paper 002 (``seos.*``): checks give their expected verdicts at quick level."""

from tests.verdicts import expect_verdicts
from theorylab.spec import Verdict

test_claim_checks_give_expected_verdicts = expect_verdicts(
    [
        ("seos.second_moment_dynamics", "operator_enumeration", Verdict.REFUTED),
        ("seos.second_moment_dynamics.corrected", "corrected_enumeration", Verdict.HOLDS),
        ("seos.k_theorem", "sgd_matrices", Verdict.REFUTED),
        ("seos.k_approximations", "ordering_minimal", Verdict.REFUTED),
        ("seos.k_momentum", "printed_gain", Verdict.REFUTED),
        ("seos.k_momentum.corrected", "corrected_gain", Verdict.HOLDS),
        ("seos.s_eos_prediction", "k_versus_full_operator", Verdict.REFUTED),
        ("seos.s_eos_prediction.corrected", "full_criterion", Verdict.HOLDS),
    ]
)
