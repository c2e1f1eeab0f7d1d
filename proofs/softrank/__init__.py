"""Symbolic (sympy) derivations of paper 004 ("Flatness After All?"), one module per claim.

``properties`` (Eq. 3, Sec. 4), ``information_equality`` (Prop. 2.2), ``calibrated_gap``
(Props 4.1, 4.2), ``uncalibrated_gap`` (Prop. 5.1), ``error_uncertainty`` (Props 5.3, 5.4);
``common`` holds the generic symbolic matrices and App. C's trace-function identity, which
``softrank.properties`` and ``softrank.block_diagonal`` share.
"""
