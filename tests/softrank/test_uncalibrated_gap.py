"""``softrank.uncalibrated_gap`` (Prop. 5.1, Eq. 1, 6-8): derivation, Monte Carlo, error laws."""

from tests.verdicts import expect_verdicts
from theorylab.spec import Verdict

test_uncalibrated_gap = expect_verdicts(
    [("softrank.uncalibrated_gap", "derivation", Verdict.PROVED),
     ("softrank.uncalibrated_gap", "monte_carlo_eq1_and_estimators", Verdict.HOLDS_APPROX),
     ("softrank.uncalibrated_gap", "prop51_lambda_law", Verdict.HOLDS_APPROX),
     ("softrank.uncalibrated_gap", "eq8_error_law", Verdict.HOLDS_APPROX)]
)
