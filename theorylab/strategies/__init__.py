"""Reusable hypothesis strategies for theorems about curvature and noise.

Public, for users' own property tests; the property suites (``property_tests/``) and
``theorylab falsify`` draw from them. Each strategy covers the whole domain the relevant
assumptions allow — every rank from 0 to full, tall and wide shapes, several outputs, and
ill-conditioning — and shrinks to small, readable integer-valued cases.

Jacobians are built from integer factors and scaled column-wise by powers of two, so the
stored float64 matrix is *exactly* the intended one (rank included) and exact rational
oracles can judge the solvers without any rounding of their own.

The generic matrix strategies live in :mod:`theorylab.strategies.matrices`, the instances of
one paper in the module named by its key (:mod:`theorylab.strategies.tpv`,
:mod:`~theorylab.strategies.seos`, :mod:`~theorylab.strategies.subspace`,
:mod:`~theorylab.strategies.softrank`); every public name is importable from here.
"""

from __future__ import annotations

from theorylab.strategies.matrices import (
    JacobianPair,
    design_matrices,
    jacobian_pairs,
    low_rank_integer_matrices,
    per_sample_hessian_stacks,
    psd_matrices,
    symmetric_matrices,
    symmetric_psd_pairs,
)
from theorylab.strategies.seos import quadratic_regression_instances, sgd_noise_problems
from theorylab.strategies.softrank import (
    softrank_block_instances,
    softrank_confident_predictions,
    softrank_regularizers,
)
from theorylab.strategies.subspace import (
    eigenvalue_increment_instances,
    quadratic_loss_sequences,
    quadratic_probe_instances,
)
from theorylab.strategies.tpv import pruning_instances

__all__ = [
    "JacobianPair",
    "design_matrices",
    "eigenvalue_increment_instances",
    "jacobian_pairs",
    "low_rank_integer_matrices",
    "per_sample_hessian_stacks",
    "pruning_instances",
    "psd_matrices",
    "quadratic_loss_sequences",
    "quadratic_probe_instances",
    "quadratic_regression_instances",
    "sgd_noise_problems",
    "softrank_block_instances",
    "softrank_confident_predictions",
    "softrank_regularizers",
    "symmetric_matrices",
    "symmetric_psd_pairs",
]
