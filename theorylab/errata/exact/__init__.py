"""Hand-checkable counterexamples: small rational instances, re-verified in exact arithmetic.

Where a check's instance can be re-checked without floating point,
:func:`theorylab.errata.exact.registry.exact_checks` maps it to a function that reads the
*stored* instance and recomputes both sides of the claim with :class:`fractions.Fraction`
(or sympy), so "verified exactly" on a sheet comes from that computation, never from the
check's own float64 numbers. :mod:`~theorylab.errata.exact.common` holds the exact-number
primitives, one module per paper the re-checks (each exporting ``CHECKS``), and
:mod:`~theorylab.errata.exact.registry` the dispatch and :data:`NUMERIC_ONLY`.
"""
