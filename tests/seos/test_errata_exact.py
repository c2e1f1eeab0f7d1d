"""Exact re-checks of paper 002's stability counterexamples (errata), against float64 oracles."""

import numpy as np
import pytest
import sympy

from theorylab.claims.seos import k_theorem, s_eos_prediction, second_moment_dynamics
from theorylab.claims.seos.common import small_rationals
from theorylab.errata.exact.common import instance_numbers
from theorylab.errata.exact.registry import NUMERIC_ONLY, exact_check
from theorylab.errata.exact.seos_stability import enumerated_operator, schur_stable
from theorylab.errors import ParameterError
from theorylab.solvers.noise_kernel_second_moment import enumerated_second_moment_operator
from theorylab.spec import Counterexample


def _exact(claim_id: str, check: str, **instance):
    return exact_check(claim_id, check, Counterexample(instance=instance, message=""))


def test_small_rationals_refuses_irrational_entries():
    assert small_rationals([[0.8, 1 / 3]]) == [[0.8, 1 / 3]]
    with pytest.raises(ParameterError):
        small_rationals([np.sqrt(2)])


def test_schur_stability_certificate_matches_float64_spectral_radius():
    """Stein certificate vs numpy's spectral radius on small rational matrices."""
    rng = np.random.default_rng(3)
    for _ in range(12):
        entries = rng.integers(-6, 7, (2, 2))
        matrix = sympy.Matrix(entries.tolist()) / 7
        stable, _ = schur_stable(matrix)
        radius = float(np.max(np.abs(np.linalg.eigvals(entries / 7))))
        if abs(radius - 1) > 1e-9:
            assert stable == (radius < 1)


def test_enumerated_operator_matches_the_float64_enumeration():
    ntk = [[sympy.Rational(34, 25), sympy.Rational(-12, 25)],
           [sympy.Rational(-12, 25), sympy.Rational(41, 25)]]
    exact = enumerated_operator(sympy.Matrix(ntk), sympy.Rational(16, 25), 1)
    brute = enumerated_second_moment_operator(np.array(ntk, dtype=float), 0.64, 1)
    np.testing.assert_allclose(np.array(exact, dtype=float), brute, atol=1e-14)


def test_k_theorem_minimal_instance_is_exact_and_refutes():
    case = k_theorem._sgd_case(np.array(k_theorem.MINIMAL["ntk"]), 1.0, 1)
    assert instance_numbers(case["instance"]) is not None
    result = exact_check("seos.k_theorem", "sgd_matrices",
                         Counterexample(instance=case["instance"], message=""))
    assert result.refutes and "||A||_op = 7/5, K = 4/5" in result.claimed
    assert "rho(M) < 1" in result.actual
    # a wrong stored A is not re-verified
    assert _exact("seos.k_theorem", "sgd_matrices", **{**case["instance"], "A": [[0, 0], [0, 0]]}
                  ) is None
    # a stable small-eta instance agrees with the theorem: not refuted
    agree = _exact("seos.k_theorem", "sgd_matrices", ntk=[[0.8, 0.4], [0.4, 0.8]], eta=0.25, B=1)
    assert not agree.refutes


def test_s_eos_minimal_instance_is_exact_and_refutes():
    case = s_eos_prediction._minimal_instance()
    assert case["K"] < 1 < case["rho_T"]  # float64 oracle (dense eig of T)
    assert instance_numbers(case["instance"]) is not None
    result = exact_check("seos.s_eos_prediction", "k_versus_full_operator",
                         Counterexample(instance=case["instance"], message=""))
    assert result.refutes and "< 1: converges" in result.claimed
    assert "1 real root(s) outside [-1, 1]" in result.actual
    assert "seos.s_eos_prediction" not in NUMERIC_ONLY
    # small eta: K < 1 and T stable, exactly
    assert not _exact("seos.s_eos_prediction", "k_versus_full_operator",
                      ntk=case["instance"]["ntk"], eta=0.25, B=1).refutes


def test_second_moment_minimal_instance_is_exact_and_refutes():
    case = second_moment_dynamics._minimal_case()
    assert case["gaps"]["derived"] < 1e-12 < min(case["gaps"]["eq8"], case["gaps"]["eq33"])
    result = exact_check("seos.second_moment_dynamics", "operator_enumeration",
                         Counterexample(instance={"reading": "eq8", **case["instance"]},
                                        message=""))
    assert result.refutes and "(= the derived A+B: True)" in result.actual
    assert "eq8 and eq33 as printed differ" in result.actual
    # a jacobian inconsistent with the stored NTK is not re-verified
    assert _exact("seos.second_moment_dynamics", "operator_enumeration",
                  **{**case["instance"], "jacobian": [[1, 0], [0, 1]]}) is None


def test_degenerate_spectrum_k_depends_on_the_eigenframe():
    """Float64 K in both frames vs the exact re-check; the frame-free T decides."""
    case = s_eos_prediction._degenerate_case()
    low, high = case["K_frames"]
    assert low < 1 < high and case["rho_T"] > 1 and case["frame_gap"] < 1e-14
    assert instance_numbers(case["instance"]) is not None
    result = exact_check("seos.s_eos_prediction", "degenerate_spectrum",
                         Counterexample(instance=case["instance"], message=""))
    assert result.refutes and "= 0.995669 (< 1)" in result.claimed
    assert "= 1.01822 (>= 1)" in result.claimed
    # the library's own K (numpy's eigenframe) is a third value for the same NTK
    from theorylab.solvers.noise_kernel import noise_kernel_norm

    k_numpy = noise_kernel_norm(np.array(case["instance"]["ntk"]), 5 / 16, 1).value
    assert low - 1e-12 <= k_numpy <= high + 1e-12
    # a rotation that is not a rotation, or a frame that does not diagonalise: not re-checked
    assert _exact("seos.s_eos_prediction", "degenerate_spectrum",
                  **{**case["instance"], "rotation": [0.8, 0.8]}) is None
