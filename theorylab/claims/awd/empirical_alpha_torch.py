r"""Torch experiments of paper 001, Sec. 4 / Table 1, Fig. 1-3, App. B.3 (lazily imported).

A network is trained (plain SGD, float64) on a few classes of scikit-learn digits or on a
synthetic Gaussian-cluster task, with cross-entropy or softmax + MSE (App. B.1). For one fully
connected layer :math:`W` (MLP: hidden-to-hidden; CNN: features-to-head), at the trained
weights, with exact ``torch.func`` derivatives:

* per-sample Hessians :math:`H_s` (:func:`theorylab.gpu.per_sample_hessians`), their PSD
  report (count of non-PSD slices, most negative eigenvalue);
* the measured minibatch noise covariance from per-sample gradients (Eq. 2);
* the AWD prediction (Lemma 3.3, Eq. 58 Term I): partner = nearest same-class sample in input
  space (Sec. 3.1), :math:`\Delta W_s = (W\Delta a)a^\top/\|a\|^2` (Def. 3.1),
  :math:`\delta g_s = H_s\,\mathrm{vec}\,\Delta W_s`; and its isotropic form
  :math:`(\sigma_w^2/b)\mathbb{E}H_s^2` (Theorem 3.4);
* exponents :math:`\alpha` with OLS and bootstrap (over samples) 95 % intervals, the window
  and the window bounds implied by Eq. 19; the coupling :math:`\rho` vs the random baseline;
  the App. B.3 suppression and homogenisation.

Each Table-1 setting is trained for several training seeds (model initialisation and SGD
minibatch order; the data set is the context seed's): :func:`run_seeded_setting` combines
their within-seed (samples-only) bootstrap draws of :math:`(\alpha, \alpha_{\rm AWD})` by
the two-level bootstrap :func:`theorylab.solvers.hierarchical_bootstrap` (resample seeds, then
samples), whose intervals contain the seed-to-seed spread of the exponent.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict

from theorylab.gpu import MLP, SmallCNN, load_digits, per_sample_hessians
from theorylab.gpu.adapter import FunctionalModel
from theorylab.solvers.awd import (
    awd_noise_covariance,
    eigenbasis_diagonals,
    elementwise_alpha_bounds,
    empirical_noise_covariance,
    fit_power_law,
    per_sample_psd_report,
)
from theorylab.solvers.awd_coupling import (
    coupling_matrix,
    haar_null_p_value,
    mean_offdiagonal_coupling,
    random_coupling_baseline,
    suppress_per_sample_spectra,
)
from theorylab.solvers.hierarchical_bootstrap import (
    HierarchicalBootstrap,
    hierarchical_bootstrap,
)
from theorylab.sweep import Cell, SweepOptions, run_sweep
from theorylab.sweep.cells import json_round_trip

__all__ = [
    "ExperimentRow",
    "SeedRun",
    "SeededRow",
    "Setting",
    "run_seeded_setting",
    "run_setting",
    "run_table",
    "seed_run_cell",
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


def _softmax_mse(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Softmax followed by MSE (App. B.1): mean of 0.5 ||softmax(f) - onehot||^2."""
    return 0.5 * (torch.softmax(outputs, dim=-1) - targets).square().sum(-1).mean()


def _cross_entropy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(outputs, targets.argmax(-1))


def _data(setting: Setting, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    if setting.data == "digits":
        inputs, labels = load_digits(images=setting.model == "cnn", dtype=torch.float64)
        chosen = torch.cat(
            [
                torch.nonzero(labels == c).flatten()[: setting.per_class]
                for c in range(setting.classes)
            ]
        )
        return inputs[chosen], labels[chosen]
    centres = 1.5 * torch.randn(setting.classes, 16, generator=generator, dtype=torch.float64)
    labels = torch.arange(setting.classes).repeat_interleave(setting.per_class)
    inputs = centres[labels] + torch.randn(
        labels.numel(), 16, generator=generator, dtype=torch.float64
    )
    return inputs / 4.0, labels


def _model(setting: Setting, input_dim: int, seed: int) -> tuple[torch.nn.Module, str, Any]:
    if setting.model == "cnn":
        model = SmallCNN(num_classes=setting.classes, channels=setting.width, seed=seed)
        return model, "head.weight", lambda m, x: m.features(x).flatten(1)
    model = MLP(
        input_dim, width=setting.width, depth=2, output_dim=setting.classes, bias=False, seed=seed
    )
    return model, "2.weight", lambda m, x: torch.relu(m[0](x))


def _train(
    model: torch.nn.Module,
    loss: Any,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    setting: Setting,
    seed: int,
) -> None:
    generator = torch.Generator().manual_seed(seed + 1)
    optimiser = torch.optim.SGD(model.parameters(), lr=setting.learning_rate)
    for _ in range(setting.steps):
        batch = torch.randint(0, inputs.shape[0], (setting.batch_size,), generator=generator)
        batch = batch.to(inputs.device)
        optimiser.zero_grad()
        loss(model(inputs[batch]), targets[batch]).backward()
        optimiser.step()


def _partners(inputs: torch.Tensor, labels: torch.Tensor) -> np.ndarray:
    """Nearest same-class sample (Sec. 3.1), excluding the sample itself."""
    flat = inputs.reshape(inputs.shape[0], -1)
    distances = torch.cdist(flat, flat)
    distances[labels[:, None] != labels[None, :]] = float("inf")
    distances.fill_diagonal_(float("inf"))
    return distances.argmin(dim=1).cpu().numpy()


def _alphas_with_bootstrap(
    hessians: np.ndarray,
    gradient_sets: list[np.ndarray],
    top: int,
    batch: int,
    rng: np.random.Generator,
) -> tuple[list[Any], np.ndarray]:
    """Fits for each gradient set and paired bootstrap draws ``(BOOTSTRAP, len(sets))``."""

    def alphas_of(rows: np.ndarray) -> list[Any]:
        hessian = hessians[rows].mean(axis=0)
        fits = []
        for gradients in gradient_sets:
            diagonals = eigenbasis_diagonals(
                hessian, empirical_noise_covariance(gradients[rows], batch)
            )
            fits.append(
                fit_power_law(diagonals.h_diag, diagonals.c_diag, top=top, drop_nonpositive=True)
            )
        return fits

    everything = np.arange(hessians.shape[0])
    draws = np.array(
        [
            [fit.alpha for fit in alphas_of(rng.integers(0, everything.size, everything.size))]
            for _ in range(BOOTSTRAP)
        ]
    )
    return alphas_of(everything), draws


def _interval(values: np.ndarray) -> tuple[float, float]:
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def _suppression(hessians: np.ndarray, top: int) -> dict[str, float]:
    r"""Sec. 5.3 / App. B.3 interventions on the per-sample spectra, and their effect.

    ``rank_one``: every sample keeps its top mode, the tail is scaled by 1e-3;
    ``rank_one_homogenized``: the top eigenvalues are also replaced by their mean (this makes
    :math:`C = \bar\lambda H` up to the tail, i.e. alpha -> 1); ``stiff_*``: App. B.3 with
    the 10 % stiffness threshold (non-stiff samples suppressed).
    """

    def summary(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        diagonals = eigenbasis_diagonals(stack.mean(axis=0), awd_noise_covariance(stack))
        fit = fit_power_law(diagonals.h_diag, diagonals.c_diag, top=top, drop_nonpositive=True)
        return diagonals.h_diag[:top], diagonals.c_diag[:top], fit.alpha

    base_h, base_c, base_alpha = summary(hessians)
    everyone = 1e-300
    rank_one_h, rank_one_c, rank_one_alpha = summary(
        suppress_per_sample_spectra(hessians, threshold=everyone)
    )
    _, _, rank_one_flat = summary(
        suppress_per_sample_spectra(hessians, threshold=everyone, homogenize=True)
    )
    _, _, stiff_alpha = summary(suppress_per_sample_spectra(hessians, threshold=0.1))
    _, _, stiff_flat = summary(
        suppress_per_sample_spectra(hessians, threshold=0.1, homogenize=True)
    )
    return {
        "alpha_iso": base_alpha,
        "alpha_rank_one": rank_one_alpha,
        "alpha_rank_one_homogenized": rank_one_flat,
        "alpha_stiff_only": stiff_alpha,
        "alpha_stiff_homogenized": stiff_flat,
        "h_change_rank_one": float(np.linalg.norm(rank_one_h - base_h) / np.linalg.norm(base_h)),
        "c_change_rank_one": float(np.linalg.norm(rank_one_c - base_c) / np.linalg.norm(base_c)),
    }


def run_setting(
    setting: Setting,
    seed: int,
    device: str,
    *,
    data_seed: int | None = None,
    suppression: bool = True,
) -> ExperimentRow:
    """Train, differentiate and measure one setting (float64 on ``device``).

    ``seed`` drives the initialisation, the SGD minibatches and the bootstrap; ``data_seed``
    (default ``seed``) the synthetic data set. ``suppression=False`` skips the Sec. 5.3
    interventions (the costliest diagnostic; ``suppression`` is then empty).
    """
    torch.manual_seed(seed)
    inputs, labels = _data(setting, seed if data_seed is None else data_seed)
    targets = torch.nn.functional.one_hot(labels, setting.classes).to(torch.float64)
    input_dim = int(inputs[0].numel())
    model, layer, activity_of = _model(setting, input_dim, seed)
    model = model.to(device=device, dtype=torch.float64)
    inputs, targets, labels = inputs.to(device), targets.to(device), labels.to(device)
    loss = _cross_entropy if setting.loss == "ce" else _softmax_mse
    _train(model, loss, inputs, targets, setting, seed)
    hessians = (
        per_sample_hessians(
            model, inputs, targets, loss=loss, parameters=[layer], dtype=torch.float64
        )
        .cpu()
        .numpy()
    )
    functional = FunctionalModel(model, parameters=[layer], dtype=torch.float64)

    def sample_loss(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return loss(functional.outputs(theta, x.unsqueeze(0)), y.unsqueeze(0))

    gradients = (
        torch.func.vmap(torch.func.grad(sample_loss), in_dims=(None, 0, 0))(
            functional.theta, inputs, targets
        )
        .detach()
        .cpu()
        .numpy()
    )
    with torch.no_grad():
        weight = dict(model.named_parameters())[layer].detach().cpu().numpy()
        activity = activity_of(model, inputs).cpu().numpy()
        accuracy = float((model(inputs).argmax(-1) == labels).double().mean())
    partners = _partners(inputs, labels)
    norms = np.einsum("si,si->s", activity, activity)
    usable = norms > 0
    delta = activity[partners] - activity
    shifts = np.where(
        usable[:, None, None],
        np.einsum("oi,si,sj->soj", weight, delta, activity)
        / np.where(usable, norms, 1.0)[:, None, None],
        0.0,
    )
    awd_gradients = np.einsum("spq,sq->sp", hessians, shifts.reshape(shifts.shape[0], -1))
    rng = np.random.default_rng(seed)
    parameters = hessians.shape[1]
    curvature = np.linalg.eigvalsh(hessians.mean(axis=0))
    # top directions, avoiding the degenerate tail (Sec. 4): H_ii >= 1e-6 H_max, at most p/2
    top = max(2, min(parameters // 2, int(np.count_nonzero(curvature >= 1e-6 * curvature[-1]))))
    (measured, awd), draws = _alphas_with_bootstrap(
        hessians, [gradients, awd_gradients], top, setting.batch_size, rng
    )
    weight_variance = float(
        np.mean(np.sum(shifts.reshape(shifts.shape[0], -1) ** 2, axis=1)) / parameters
    )
    hessian = hessians.mean(axis=0)
    isotropic = eigenbasis_diagonals(
        hessian, awd_noise_covariance(hessians, max(weight_variance, 1e-300), setting.batch_size)
    )
    psd = per_sample_psd_report(hessians)
    bounds = elementwise_alpha_bounds(hessians)
    measured_basis = eigenbasis_diagonals(
        hessian, empirical_noise_covariance(gradients, setting.batch_size)
    )
    measured_c = empirical_noise_covariance(gradients, setting.batch_size)
    predicted_c = empirical_noise_covariance(awd_gradients, setting.batch_size)
    # Lemma 3.3 as a matrix statement, up to the unknown overall scale of the AWD shifts
    best_scale = float(np.sum(measured_c * predicted_c) / max(np.sum(predicted_c**2), 1e-300))
    shape_error = float(
        np.linalg.norm(measured_c - best_scale * predicted_c) / np.linalg.norm(measured_c)
    )
    spikes = min(top, int(np.count_nonzero(measured_basis.c_diag > 0)))
    block = measured_basis.covariance_in_basis[:spikes, :spikes]
    coupling = mean_offdiagonal_coupling(coupling_matrix(block))
    spectrum = np.clip(np.linalg.eigvalsh(block), 0.0, None)
    p_value = haar_null_p_value(coupling, spectrum, 99, rng)
    fit_iso = fit_power_law(
        isotropic.h_diag,
        isotropic.c_diag,
        top=top,
        lambda_max=psd.lambda_max if psd.lambda_max > 0 else None,
        drop_nonpositive=True,  # measured network curvature: null/negative directions occur
    )
    return ExperimentRow(
        setting=setting,
        seed=seed,
        parameters=parameters,
        samples=hessians.shape[0],
        train_accuracy=accuracy,
        gradient_norm=float(np.linalg.norm(gradients.mean(axis=0))),
        alpha_measured=measured.alpha,
        alpha_measured_ci=_interval(draws[:, 0]),
        alpha_awd=awd.alpha,
        alpha_awd_ci=_interval(draws[:, 1]),
        difference_ci=_interval(draws[:, 1] - draws[:, 0]),
        alpha_isotropic=fit_iso.alpha,
        alpha_ols_ci=measured.ci,
        window=measured.window,
        points=measured.points,
        implied_bounds=fit_iso.implied_bounds if psd.all_psd else None,
        not_psd=psd.not_psd,
        eq19_lower_holds=bounds.lower_holds,
        eq19_upper_holds=bounds.upper_holds,
        most_negative=psd.most_negative,
        lambda_max=psd.lambda_max,
        coupling=coupling,
        coupling_baseline=random_coupling_baseline(spikes),
        coupling_p_value=p_value,
        awd_shape_error=shape_error,
        awd_scale=best_scale,
        spikes=spikes,
        suppression=_suppression(hessians, top) if suppression else {},
        scatter={
            "h": measured_basis.h_diag[:top].tolist(),
            "c": measured_basis.c_diag[:top].tolist(),
            "c_second_moment": (
                isotropic.c_diag[:top] * setting.batch_size / max(weight_variance, 1e-300)
            ).tolist(),
        },
        alpha_draws=draws,
    )


class SeedRun(BaseModel):
    """One trained network (one Table-1 cell: setting × training seed) as a sweep returns it.

    ``row`` holds the :class:`ExperimentRow` fields as JSON data (``alpha_draws`` apart);
    :meth:`to_row` rebuilds the row exactly (floats round-trip through JSON unchanged).
    """

    model_config = ConfigDict(frozen=True)
    row: dict[str, Any]
    alpha_draws: list[list[float]]

    def to_row(self) -> ExperimentRow:
        """The :class:`ExperimentRow` (tuples and the setting restored, draws as an array)."""
        values = dict(self.row)
        values["setting"] = Setting(**values["setting"])
        for item in dataclasses.fields(ExperimentRow):
            if str(item.type).startswith("tuple") and values[item.name] is not None:
                values[item.name] = tuple(values[item.name])
        draws = np.asarray(self.alpha_draws, dtype=np.float64).reshape(-1, 2)
        return ExperimentRow(**values, alpha_draws=draws)


def seed_run_cell(
    *, setting: dict[str, Any], device: str, data_seed: int, suppression: bool, seed: int
) -> SeedRun:
    """:func:`run_setting` of one training seed, as a :func:`theorylab.sweep.run_sweep` cell."""
    row = run_setting(
        Setting(**setting), seed, device, data_seed=data_seed, suppression=suppression
    )
    fields = {
        item.name: getattr(row, item.name)
        for item in dataclasses.fields(row)
        if item.name != "alpha_draws"
    }
    fields["setting"] = dataclasses.asdict(row.setting)
    return SeedRun(row=json_round_trip(fields), alpha_draws=row.alpha_draws.tolist())


def _seed_cells(setting: Setting, seeds: tuple[int, ...], device: str) -> list[Cell]:
    """One cell per training seed; data from ``seeds[0]``; suppression on the first only."""
    return [
        Cell.of(
            seed_run_cell,
            {
                "setting": dataclasses.asdict(setting),
                "device": device,
                "data_seed": seeds[0],
                "suppression": k == 0,
            },
            seed=seed,
            label=f"{setting.data}/{setting.model}/{setting.loss} seed {seed}",
        )
        for k, seed in enumerate(seeds)
    ]


def _seeded_row(
    setting: Setting,
    seeds: tuple[int, ...],
    runs: tuple[ExperimentRow, ...],
    rng: np.random.Generator,
) -> SeededRow:
    exponents = hierarchical_bootstrap(
        [[run.alpha_measured, run.alpha_awd] for run in runs],
        np.stack([run.alpha_draws for run in runs]),
        rng,
        resamples=RESAMPLES,
    )
    return SeededRow(setting=setting, seeds=seeds, runs=runs, exponents=exponents)


def run_seeded_setting(
    setting: Setting,
    seeds: tuple[int, ...],
    device: str,
    rng: np.random.Generator,
    sweep: SweepOptions | None = None,
) -> SeededRow:
    """Train ``setting`` once per training seed (data from ``seeds[0]``) and bootstrap.

    Only the first run computes the Sec. 5.3 suppression (the other checks use ``runs[0]``).
    The seeds are cells of :func:`theorylab.sweep.run_sweep` (``sweep``: how they run).
    """
    cells = _seed_cells(setting, seeds, device)
    runs = run_sweep(cells, SeedRun, sweep, description="awd seeds").values
    return _seeded_row(setting, seeds, tuple(run.to_row() for run in runs), rng)


@functools.lru_cache(maxsize=4)
def run_table(
    full: bool, seed: int, device: str, sweep: SweepOptions | None = None
) -> tuple[SeededRow, ...]:
    """All settings of a level over their training seeds, cached for the four torch checks.

    Setting ``i`` is bootstrapped with ``numpy.random.default_rng([seed, 2, i])``. Every
    (setting, training seed) network is one cell of a single sweep (``sweep``: executor,
    workers, cell store).

    Small CPU problems run single-threaded (torch and BLAS): thread start-up dominates tiny
    kernels on a shared machine. Thread settings are restored afterwards.
    """
    from threadpoolctl import threadpool_limits

    settings = settings_for(full)
    seeds = [training_seeds(seed, full, setting) for setting in settings]
    cells = [
        cell
        for setting, chosen in zip(settings, seeds, strict=True)
        for cell in _seed_cells(setting, chosen, device)
    ]
    threads = torch.get_num_threads()
    try:
        if device == "cpu":
            torch.set_num_threads(1)
        with threadpool_limits(limits=1 if device == "cpu" else None):
            runs = iter(run_sweep(cells, SeedRun, sweep, description="awd Table 1").values)
            return tuple(
                _seeded_row(
                    setting,
                    chosen,
                    tuple(next(runs).to_row() for _ in chosen),
                    np.random.default_rng([seed, 2, index]),
                )
                for index, (setting, chosen) in enumerate(zip(settings, seeds, strict=True))
            )
    finally:
        torch.set_num_threads(threads)
