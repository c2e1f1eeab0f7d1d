"""``seos.k_full_batch`` (Sec. 2.3): at B = n, K = 0; max λ(A+B) is not always (1-ηλ_min)^2."""

import numpy as np

from tests.verdicts import expect_verdicts
from theorylab.claims.seos.k_full_batch import MINIMAL
from theorylab.errata.exact.registry import exact_check
from theorylab.solvers.noise_kernel import noise_kernel_norm
from theorylab.spec import Counterexample, Verdict

test_full_batch = expect_verdicts([
    ("seos.k_full_batch", "full_batch", Verdict.REFUTED),
    ("seos.k_full_batch.corrected", "full_batch_corrected", Verdict.HOLDS),
])


def test_minimal_instance_dense_oracle_and_exact_recheck():
    """diag(1/2, 1), eta = 3/2: dense eig of A + B is 1/4, the printed value is 1/16."""
    norm = noise_kernel_norm(np.array(MINIMAL["ntk"]), MINIMAL["eta"], MINIMAL["B"])
    assert abs(norm.value) < 1e-15 and abs(norm.diagonal_max - 0.25) < 1e-15
    result = exact_check("seos.k_full_batch", "full_batch",
                         Counterexample(instance=MINIMAL, message=""))
    assert result.refutes and result.claimed.endswith("= 1/16")
    assert result.actual.endswith("max lambda[A+B] = 1/4")
    small = exact_check("seos.k_full_batch", "full_batch",
                        Counterexample(instance={**MINIMAL, "eta": 0.5}, message=""))
    assert not small.refutes  # eta (lambda_min + lambda_max) = 3/4 <= 2: printed value exact
