"""Tests of paper 004's symbolic derivations (:mod:`theorylab.proofs.softrank`), all claims.

Oracle: the paper's printed steps that are known to fail, and that the repairs hold.
"""


def test_printed_proofs_fail_exactly_where_expected():
    """Oracle: the paper's printed steps (Eq. 12 signs, G.4 factor, G.6 H = F, G.7 typo)."""
    from theorylab.proofs.softrank import (
        calibrated_gap,
        common,
        error_uncertainty,
        information_equality,
        properties,
        uncalibrated_gap,
    )

    failing = {
        "prop41": [s.name for s in calibrated_gap.prop41_derivation() if not s.holds],
        "prop42": [s.name for s in calibrated_gap.prop42_derivation() if not s.holds],
        "prop53": [s.name for s in error_uncertainty.prop53_derivation() if not s.holds],
        "prop54": [s.name for s in error_uncertainty.prop54_derivation() if not s.holds],
        "rank2": [s.name for s in properties.rank2_concavity_derivation() if not s.holds],
    }
    assert failing == {
        "prop41": ["eq12_first_inequality", "eq12_lemma_e1"],
        "prop42": ["printed_mixed_factor"],
        "prop53": ["first_line_hessian_replaced"],
        "prop54": ["printed_sum_bounded"],
        "rank2": ["rank2_generator_concave"],
    }
    for function in (
        calibrated_gap.prop41_derivation,
        calibrated_gap.prop42_derivation,
        error_uncertainty.prop53_derivation,
        error_uncertainty.prop54_derivation,
        properties.rank2_concavity_derivation,
    ):
        assert all(step.holds for step in function(corrected=True))
    for function in (
        properties.eq3_limit_derivation,
        common.trace_function_derivation,
        information_equality.information_equality_derivation,
        uncalibrated_gap.prop51_derivation,
    ):
        assert all(step.holds for step in function())
