"""``seos.k_full_batch`` (Sec. 2.3): at B = n, K is the full-batch operator's own criterion."""

from tests.verdicts import expect_verdicts
from theorylab.spec import Verdict

test_full_batch = expect_verdicts([("seos.k_full_batch", "full_batch", Verdict.HOLDS)])
