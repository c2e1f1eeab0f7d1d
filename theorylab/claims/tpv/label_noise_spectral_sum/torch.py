"""Torch check of ``tpv.label_noise_spectral_sum``: the linearised MLP retrained on noisy labels.

Registered without importing torch (an optional dependency): the check imports its
experiment, :mod:`.torch_retrain`, when it runs (closed form from the torch.func Jacobian
vs perturb-and-retrain of the linearised MLP).
"""

from __future__ import annotations

from theorylab.claims.tpv.common import torch_checks
from theorylab.claims.tpv.label_noise_spectral_sum import LABEL_NOISE_SPECTRAL_SUM

torch_checks(
    LABEL_NOISE_SPECTRAL_SUM,
    __package__,
    [
        (
            "mlp_linearised_retrain",
            "torch_retrain.linearised_retrain_experiment",
            "real MLP: closed form from the torch.func Jacobian vs retraining the linearised "
            "network (matrix-free CGLS) on Gaussian label noise",
        ),
    ],
)
