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


def test_ridge_outside_the_losses_breaks_only_the_printed_gradient():
    from theorylab.claims.subspace.reduction import _ridge_outside, regulariser_outside_losses

    rng = np.random.default_rng(0)
    increment, center, gap, new, old, difference, _ = _ridge_outside(rng, 4, 3, 0.5)
    # brute force: central differences are exact (to round-off) on the quadratic increment
    step, eye = 0.5, np.eye(3)
    plus, minus = increment(center + step * eye), increment(center - step * eye)
    assert np.allclose((plus - minus) / (2 * step), new - old, rtol=1e-12, atol=1e-12)
    assert np.allclose((plus + minus - 2 * gap) / step**2, np.diag(difference), atol=1e-12)
    assert np.linalg.norm(old) > 1e-3  # w_k* is not a minimiser of L_k
    finding = regulariser_outside_losses(CheckContext(seed=0))
    assert finding.verdict is Verdict.NOT_APPLICABLE
    assert max(finding.details["printed_relative_error"]) > 1e-3
