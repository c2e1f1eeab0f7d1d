"""Shared fixtures of the paper-002 (``seos.*``) tests."""

import numpy as np
import pytest

from theorylab.claims.seos.common import ntk_setting

RNG_SEED = 7


@pytest.fixture
def flat_ntk():
    return ntk_setting("flat", 5, 7, np.random.default_rng(RNG_SEED))
