r"""Symbolic checks of paper 001 (SGD noise vs curvature), App. E.1-E.4, step by step.

Each paper step is rebuilt on a small symbolic instance and compared with sympy; expectations
come from the construction (isotropic-moment substitution, enumeration of minibatches),
never from the claimed result. Inequalities are checked as exact *identities* for their gap
(gap = explicit sum of non-negative terms), so the sign follows by inspection of the terms.
One module per claim stem: :mod:`.minimal_duality` (App. E.1), :mod:`.spectral_decomposition`
(App. E.2), :mod:`.alpha_bounds` (App. E.3 and the corrected window bound),
:mod:`.alignment_limits` (App. E.4) and :mod:`.random_baseline` (corrected Eq. 40).
"""
