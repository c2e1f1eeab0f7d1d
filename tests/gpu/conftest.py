"""Fixtures shared by the torch-backend tests: the small classification problem of n = 12."""

import pytest


@pytest.fixture(scope="module")
def problem():
    """``(model, X, y)``: a 3-class MLP on 12 points in 3 dimensions (float64)."""
    pytest.importorskip("torch")
    from gpu_oracles import classification_problem

    return classification_problem(12, 3, 3)
