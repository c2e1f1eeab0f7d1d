"""``seos.empirical_k`` (Sec. 4.1, Fig. 3-5): K from trained networks, on the CPU at quick."""

import pytest

from tests.verdicts import expect_verdicts
from theorylab.spec import Verdict

pytest.importorskip("torch")

test_trained_networks = expect_verdicts(
    [("seos.empirical_k", "fcn_grid", Verdict.HOLDS_APPROX),
     ("seos.empirical_k", "final_loss_vs_k", Verdict.HOLDS_APPROX)]
)
