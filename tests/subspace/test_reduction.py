"""``subspace.reduction``: Lemma 1 on an exact ridge increment and the logistic error law."""

import numpy as np

from theorylab.registry import CheckContext
from theorylab.solvers.subspace_probing import (
    compress_increment,
    direct_monte_carlo,
    top_eigenspace,
)
from theorylab.solvers.subspace_sequences import make_sequential_problem, sequential_increments
from theorylab.spec import Verdict


def test_direct_monte_carlo_on_exact_ridge_increment():
    # oracle: on ridge the increment is quadratic, so direct MC must match Eq. 15 (stderr)
    rng = np.random.default_rng(3)
    problem = make_sequential_problem("ridge", 51, 3, rng)
    sequence = sequential_increments(problem, 50, 50)
    _, basis = top_eigenspace(sequence.hessians[0], 2)
    compressed = compress_increment(sequence.value_gaps[0], sequence.gradients[0],
                                    sequence.hessian_differences[0], basis)
    estimate = direct_monte_carlo(lambda w: problem.increment(w, 50), sequence.minimisers[0],
                                  basis, 0.5, 20000, rng)
    assert abs(estimate.mean - compressed.criterion(0.5)) <= 5 * estimate.stderr


def test_reduction_error_law_verdict():
    from theorylab.claims.subspace.reduction import reduction_error_law

    context = CheckContext()
    finding = reduction_error_law(context)
    assert finding.verdict is Verdict.HOLDS_APPROX
    assert abs(finding.details["criterion_exponent"] - 4.0) < 0.5
