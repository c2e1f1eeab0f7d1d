"""Quantization TPV (paper 000, Remark 3.4 / App. E) against Gauss-Legendre quadrature."""

import numpy as np
import pytest

from theorylab.claims.tpv.quantization.exact import (
    gauss_legendre_quantization_tpv,
    quadratic_quantization_tpv,
)


def test_quadratic_quantization_matches_quadrature():
    rng = np.random.default_rng(2)
    jacobian = rng.standard_normal((3, 2))
    raw = rng.standard_normal((3, 2, 2))
    curvatures = raw + raw.transpose(0, 2, 1)

    def changes(points):
        return points @ jacobian.T + 0.5 * np.einsum("mj,ijk,mk->mi", points, curvatures, points)

    for step in (1e-2, 0.3, 2.0):
        exact = quadratic_quantization_tpv(jacobian, curvatures, step)
        assert exact == pytest.approx(gauss_legendre_quantization_tpv(changes, 2, step), rel=1e-12)
