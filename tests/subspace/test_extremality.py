"""``subspace.extremality``: brute-force extremality and the minimal Prop. 3 counterexample."""

import numpy as np
import pytest

from theorylab.claims.subspace.extremality import best_index_sets
from theorylab.registry import CheckContext
from theorylab.solvers import spectral_criterion
from theorylab.spec import Verdict


def test_spectral_criterion_and_brute_force_extremality():
    # oracle: brute-force enumeration of index sets
    assert spectral_criterion([0.0, 1.0], 1.0, indices=[1]) == pytest.approx(0.75)
    best, maximisers = best_index_sets(np.array([0.0, 1.0]), 1)
    assert best == 3.0 and maximisers == [(1,)]


def test_proposition3_minimal_verdict():
    from theorylab.claims.subspace import extremality

    context = CheckContext()
    assert extremality.proposition3_minimal(context).verdict is Verdict.REFUTED
