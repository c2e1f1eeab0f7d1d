"""Torch checks of ``tpv.label_noise_regimes``: (2a) on MLP Jacobians, (1) retrain, Gram route.

Registered without importing torch (an optional dependency): each check imports its
experiment, :mod:`.torch_interpolation`, :mod:`.torch_retrain` or :mod:`.torch_gram`, when
it runs.
"""

from __future__ import annotations

from theorylab.claims.tpv.common import torch_checks
from theorylab.claims.tpv.label_noise_regimes import LABEL_NOISE_REGIMES

torch_checks(
    LABEL_NOISE_REGIMES,
    __package__,
    [
        (
            "mlp_interpolation_regime",
            "torch_interpolation.interpolation_experiment",
            "(2a) on real MLP Jacobians: 3-layer ReLU MLP trained on a linear teacher "
            "(App. F.2.1), train/test inputs from one law, r = n, λ = 0: TPV_test/σ² vs the "
            "paper's ≈ 1",
        ),
        (
            "mlp_perturb_and_retrain",
            "torch_retrain.retrain_experiment",
            "(1) Sec. 5.2 / App. C.3.4: perturb-and-retrain the NON-linear MLP from w* with "
            "proximity γ on noisy labels, vs the exact linearised ridge TPV (train and test); "
            "first-order error law measured over σ",
        ),
        (
            "gram_route_exact_tpv",
            "torch_gram.gram_route_experiment",
            "App. C.3.3 'numerically intractable': exact label-noise TPV through the n×n NTK "
            "Gram matrix (dense float64 eigensolver, no CG); quick: small MLP vs the SVD solver; "
            "full on CUDA: ≥ 1M parameters, n_train = 4000",
        ),
    ],
)
