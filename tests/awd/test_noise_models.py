"""The nonlinear model of ``awd.*``: softmax regression derivatives."""

import numpy as np

from theorylab.claims.awd.noise_models import SoftmaxRegression


def test_softmax_regression_hessian_vs_finite_differences():
    rng = np.random.default_rng(2)
    model = SoftmaxRegression.random(5, 3, 3, rng)
    weights = rng.standard_normal(model.parameters)
    samples = np.arange(5)
    step = 1e-6
    columns = []
    for j in range(model.parameters):
        shift = step * np.eye(model.parameters)[j]
        plus = model.gradients(np.broadcast_to(weights + shift, (5, 9)), samples)
        minus = model.gradients(np.broadcast_to(weights - shift, (5, 9)), samples)
        columns.append((plus - minus) / (2 * step))
    np.testing.assert_allclose(np.stack(columns, axis=2), model.hessians(weights), atol=1e-8)
