"""Symbolic derivations of paper 000 (tpv), one module per claim stem.

``label_noise_spectral_sum`` (Theorem 3.2, App. C.1-C.2) and ``label_noise_regimes``
(App. C.2) share the symbolic instance of :mod:`theorylab.proofs.tpv.label_noise_setup`.

The App. D derivations (``sgd_noise_covariance``, ``sgd_lyapunov``): every step of the
paper's derivation is rebuilt on a small symbolic instance and compared with sympy;
expectations are computed from the construction (averages over enumerated minibatches,
moment substitution, exact integrals), never by substituting the claimed result. Steps the
paper marks "≈" are recorded as the *exact* identity for what they drop, so each
approximation is named with its exact error term; the size of that term is measured
numerically by the claims.
"""
