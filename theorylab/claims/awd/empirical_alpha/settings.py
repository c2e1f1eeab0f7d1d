"""Table-1 settings of ``awd.empirical_alpha`` and the rows its experiments return.

Torch-free: the checks and :mod:`.torch` / :mod:`.seeds` share these types and constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from theorylab.solvers.hierarchical_bootstrap import HierarchicalBootstrap

__all__ = [
    "DIFFERENCE",
    "ExperimentRow",
    "SeededRow",
    "Setting",
    "settings_for",
    "training_seeds",
]

BOOTSTRAP = 60
"""Within-seed (samples-only) bootstrap replicates per trained network."""
RESAMPLES = 20 * BOOTSTRAP
"""Two-level bootstrap replicates per setting (cheap: they recombine the within-seed ones)."""
SEEDS = {False: 2, True: 3}
"""Training seeds per Table-1 setting at quick (False) and full (True) level."""
SEED_STRIDE = 1000
DIFFERENCE = (-1.0, 1.0)
"""Contrast alpha_AWD - alpha over the statistics (alpha, alpha_AWD)."""


@dataclass(frozen=True)
class Setting:
    """One Table-1 row: data set, model, loss, sizes and training schedule."""

    data: str
    model: str
    loss: str
    classes: int
    per_class: int
    width: int
    steps: int
    learning_rate: float
    batch_size: int = 16
    checkpoint: bool = False
    """An early-training snapshot (Remark 5.2): not near a minimum, excluded from Table 1."""


@dataclass(frozen=True)
class ExperimentRow:
    r"""What one trained network measured (exponents with 95 % samples-only intervals).

    ``alpha_draws`` holds the within-seed bootstrap replicates of
    :math:`(\alpha, \alpha_{\rm AWD})`, shape ``(BOOTSTRAP, 2)``, paired.
    """

    setting: Setting
    seed: int
    parameters: int
    samples: int
    train_accuracy: float
    gradient_norm: float
    alpha_measured: float
    alpha_measured_ci: tuple[float, float]
    alpha_awd: float
    alpha_awd_ci: tuple[float, float]
    difference_ci: tuple[float, float]
    alpha_isotropic: float
    alpha_ols_ci: tuple[float, float]
    window: tuple[float, float]
    points: int
    implied_bounds: tuple[float, float] | None
    not_psd: int
    eq19_lower_holds: bool
    eq19_upper_holds: bool
    most_negative: float
    lambda_max: float
    coupling: float
    coupling_baseline: float
    coupling_p_value: float
    awd_shape_error: float
    awd_scale: float
    spikes: int
    suppression: dict[str, float] = field(default_factory=dict)
    scatter: dict[str, list[float]] = field(default_factory=dict)
    alpha_draws: np.ndarray = field(
        default_factory=lambda: np.empty((0, 2)), compare=False, repr=False
    )


@dataclass(frozen=True)
class SeededRow:
    r"""One Table-1 setting trained for several seeds, with its two-level bootstrap.

    ``runs[k]`` is the network of training seed ``seeds[k]`` (``runs[0]``: the context
    seed, identical to a single-seed run); ``exponents`` bootstraps
    :math:`(\alpha, \alpha_{\rm AWD})` averaged over seeds (seeds, then samples).
    """

    setting: Setting
    seeds: tuple[int, ...]
    runs: tuple[ExperimentRow, ...]
    exponents: HierarchicalBootstrap = field(compare=False, repr=False)

    @property
    def alpha_measured(self) -> float:
        """Mean over seeds of the measured (Eq. 2) exponent."""
        return float(self.exponents.estimate[0])

    @property
    def alpha_awd(self) -> float:
        """Mean over seeds of the AWD-predicted (Eq. 58 Term I) exponent."""
        return float(self.exponents.estimate[1])

    @property
    def alpha_measured_ci(self) -> tuple[float, float]:
        """95 % seed + sample interval of the seed-mean measured exponent."""
        return self.exponents.interval(0)

    @property
    def alpha_awd_ci(self) -> tuple[float, float]:
        """95 % seed + sample interval of the seed-mean AWD exponent."""
        return self.exponents.interval(1)

    @property
    def difference_ci(self) -> tuple[float, float]:
        """95 % seed + sample interval of the seed mean of alpha_AWD - alpha (paired)."""
        return self.exponents.interval(DIFFERENCE)


def training_seeds(seed: int, full: bool, setting: Setting) -> tuple[int, ...]:
    """``seed + 1000 k`` for ``k < SEEDS[full]``; one seed for an early checkpoint.

    The first is ``seed`` itself, so ``runs[0]`` reproduces the single-seed experiment.
    """
    count = 1 if setting.checkpoint else SEEDS[full]
    return tuple(seed + SEED_STRIDE * k for k in range(count))


def settings_for(full: bool) -> list[Setting]:
    """Quick: tiny digit MLPs (64-parameter layer); full: MLP and CNN, digits and synthetic.

    Both levels add an early softmax+MSE checkpoint (20 SGD steps), whose per-sample
    Hessians are not PSD: it tests Theorem 5.1's assumption check, not Table 1.
    """
    early = Setting("digits", "mlp", "mse", 3, 40, 8, 20, 0.2, checkpoint=True)
    if not full:
        return [Setting("digits", "mlp", loss, 3, 40, 8, 600, 0.2) for loss in ("ce", "mse")] + [
            early
        ]
    rows = [early]
    for data, model in (("digits", "mlp"), ("digits", "cnn"), ("synthetic", "mlp")):
        for loss in ("ce", "mse"):
            rows.append(
                Setting(
                    data,
                    model,
                    loss,
                    3,
                    120,
                    12 if model == "mlp" else 4,
                    3000,
                    0.5 if model == "mlp" else 0.2,
                    32,
                )
            )
    return rows
