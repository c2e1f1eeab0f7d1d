"""Torch checks of ``tpv.trace_stability``: NTK scaling law and the App. F.1.1 band.

Registered without importing torch (an optional dependency): each check imports its
experiment, :mod:`.torch_scaling` or :mod:`.torch_band`, when it runs.
"""

from __future__ import annotations

from theorylab.claims.tpv.common import torch_checks
from theorylab.claims.tpv.trace_stability import TRACE_STABILITY

torch_checks(
    TRACE_STABILITY,
    __package__,
    [
        (
            "scaling_law",
            "torch_scaling.scaling_experiment",
            "error law on NTK-parametrised MLPs: ||H_tr - H_te||/||H_te|| vs "
            "n_train (LLN) and ||H(w*) - H(w0)|| vs width (A.2 / Eq. 22) after GD",
        ),
        (
            "synthetic_band",
            "torch_band.band_experiment",
            "Sec. 5.1 / App. F.1.1 synthetic grid: empirical TPV_train vs "
            "TPV_test (label and SGD noise), 50% band for n_train = 1000 vs 10",
        ),
    ],
)
