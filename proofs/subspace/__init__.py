r"""Symbolic checks of paper 003 (curvature-aligned probing): Eq. 5-9, 15, 20-23, App. A.

One module per claim stem (:mod:`.increment_identity`, :mod:`.reduction`,
:mod:`.gaussian_moment`, :mod:`.rate`, :mod:`.spectral_form`, :mod:`.extremality`) and the
shared exact Gaussian moments in :mod:`.common`. Each function returns
:class:`~theorylab.spec.DerivationStep` records built from the construction (never copied from
the paper) and compared with the paper's formula by
:func:`~theorylab.proofs.steps.equality_step`.
"""
