"""``softrank.geometry`` (Sec. 3, Eq. 4-5): Monte Carlo and the calibrated error limit."""

from tests.verdicts import expect_verdicts
from theorylab.spec import Verdict

test_geometry = expect_verdicts(
    [("softrank.geometry", "monte_carlo_eq4_eq5", Verdict.HOLDS_APPROX),
     ("softrank.geometry", "calibrated_parameter_error_limit", Verdict.HOLDS_APPROX)]
)
