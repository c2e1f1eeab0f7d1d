r"""``subspace.empirical`` — paper 003, Sec. 6 (Fig. 3-6, Table 3) on a tiny causal transformer.

Statement: a top-:math:`D` probe reproduces the full-space :math:`\Delta_2` within
numerical noise in the validated local regime (:math:`\sigma\le10^{-3}`), and after subspace
construction the GM estimator is orders of magnitude faster than direct Monte Carlo.

Error model of the "≈": from Eq. 15 for both probes,
:math:`1 - \Delta_2^{(D)}/\Delta_2 = \sigma^2[a_k(\mathrm{Tr}A_k-\mathrm{Tr}B_k) + \|g\|^2 -
\|c_k\|^2]/a_k^2 + O(\sigma^4)`, so the ratio tends to 1 like :math:`\sigma^2` for *any*
probe subspace whenever :math:`a_k\ne0`; a random :math:`D`-frame is run as the control.
The torch checks are in :mod:`.torch` (the experiment, :mod:`.experiment` and :mod:`.measures`,
is imported lazily) and their judgements in :mod:`.judges`.
"""

from __future__ import annotations

from theorylab.claims.subspace.paper import cite
from theorylab.registry import CATALOG

__all__ = ["EMPIRICAL", "EMPIRICAL_CORRECTED"]

EMPIRICAL, EMPIRICAL_CORRECTED = CATALOG.add_specs(__file__, cite)

# Registers the checks (after both claims exist: the module imports them from here).
from theorylab.claims.subspace.empirical import torch as _torch  # noqa: E402, F401
