"""Symbolic derivations of paper 002 (``seos.*``), one module per claim.

:mod:`~theorylab.proofs.seos.batch_moments` (Lemma A.1),
:mod:`~theorylab.proofs.seos.second_moment_dynamics` (Eq. 7/26, 30, 32, 8/33),
:mod:`~theorylab.proofs.seos.k_theorem` (Theorem 2.1),
:mod:`~theorylab.proofs.seos.k_approximations` (Eq. 10/11/52),
:mod:`~theorylab.proofs.seos.k_momentum` (App. A.5) and
:mod:`~theorylab.proofs.seos.conservative_sharpening` (Theorem 3.1);
shared building blocks in :mod:`~theorylab.proofs.seos.common`.
"""
