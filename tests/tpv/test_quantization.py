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


def test_test_set_reading_closed_form_norms_and_minimal_instance():
    # premise audit: |J|^2 of the tanh-bilinear model in closed form vs the model's Jacobian
    from theorylab.claims.tpv.models import tanh_bilinear_model
    from theorylab.claims.tpv.quantization.premises import jacobian_norms, minimal_test_set_instance

    rng = np.random.default_rng(2)
    inputs, weights = rng.standard_normal((7, 3)), rng.standard_normal(6)
    jacobian = tanh_bilinear_model(inputs, weights)[1]
    assert jacobian_norms(inputs, weights) == pytest.approx(np.sum(jacobian**2, axis=1),
                                                            rel=1e-14)
    assert minimal_test_set_instance()["ratio_test_tpv_to_eq12"] == "5/2"


def test_test_set_reading_error_follows_the_clt_law():
    from theorylab.checks import CheckContext
    from theorylab.claims.tpv.quantization.premises import test_set_tpv_error_law
    from theorylab.spec import Verdict

    finding = test_set_tpv_error_law(CheckContext(seed=1))
    assert finding.verdict is Verdict.HOLDS_APPROX
    assert finding.details["rms"][0] > 10 * finding.details["rms"][-1]  # decays in n only
