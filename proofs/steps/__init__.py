r"""Reusable pieces of a symbolic derivation check: exact equality, noise moments, frames.

Every proof module in :mod:`theorylab.proofs` reduces a paper's derivation to a list of
:class:`~theorylab.spec.DerivationStep` records. The helpers here are the shared vocabulary:

* :func:`equality_step` decides ``lhs == rhs`` for sympy scalars or matrices by reducing
  ``lhs - rhs`` to a canonical form and records the residual;
* :func:`expectation_isotropic` is an expectation operator for polynomials in zero-mean,
  isotropic noise, :math:`\mathbb{E}[\varepsilon] = 0`,
  :math:`\mathbb{E}[\varepsilon\varepsilon^\top] = \sigma^2 I` (the label-noise model of
  paper 000, Theorem 3.2, App. C.1);
* :class:`RationalMatrix` is an exact matrix of rational functions kept as a polynomial
  numerator matrix over a product of known denominator factors: sums use the lcm of the
  factor lists and products add exponents, so no polynomial gcd is ever computed and a zero
  test is a test of the numerator polynomials. Derivations on symbolic orthogonal frames
  run about 100 times faster this way than through ``sympy.cancel`` on expressions;
  :func:`equality_step` and :func:`expectation_isotropic` accept it;
* :func:`cayley_orthogonal` builds an orthogonal matrix whose entries are rational functions
  of free symbols, so that singular-vector frames stay exact and simplify fast.

The helpers live in :mod:`~theorylab.proofs.steps.equality`,
:mod:`~theorylab.proofs.steps.expectation`, :mod:`~theorylab.proofs.steps.rational_matrix`
and :mod:`~theorylab.proofs.steps.frames`; import them from here.
"""

from __future__ import annotations

from theorylab.proofs.steps.equality import equality_step, rational_residual
from theorylab.proofs.steps.expectation import expectation_isotropic
from theorylab.proofs.steps.frames import cayley_orthogonal
from theorylab.proofs.steps.rational_matrix import RationalMatrix

__all__ = [
    "RationalMatrix",
    "cayley_orthogonal",
    "equality_step",
    "expectation_isotropic",
    "rational_residual",
]
