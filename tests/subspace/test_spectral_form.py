"""``subspace.spectral_form``: Eq. 16 when only the top-D eigenvectors are shared."""

import numpy as np

from theorylab.claims.subspace.spectral_form import _shared_top_pair, assumption2_only
from theorylab.registry import CheckContext
from theorylab.spec import Verdict


def test_shared_top_pair_shares_only_the_top_frame():
    rng = np.random.default_rng(1)
    before, after, increments = _shared_top_pair(rng, 5, 2)
    values, vectors = np.linalg.eigh(before)
    top = vectors[:, np.argsort(values)[::-1][:2]]
    top_values = np.sort(values)[::-1][:2]
    scale = 64 * np.finfo(float).eps * 5 * np.abs(after).max()
    assert np.allclose(after @ top, top * (top_values + increments), atol=scale)
    rest = vectors[:, np.argsort(values)[::-1][2:]]
    off = rest.T @ (after - before) @ rest
    assert np.abs(off - np.diag(np.diag(off))).max() > scale  # the complement rotates


def test_assumption2_only_holds():
    assert assumption2_only(CheckContext(seed=0)).verdict is Verdict.HOLDS
