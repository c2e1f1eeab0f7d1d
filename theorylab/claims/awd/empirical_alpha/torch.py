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

from typing import Any, NamedTuple

import numpy as np
import torch

from theorylab.claims.awd.empirical_alpha.settings import BOOTSTRAP, ExperimentRow, Setting
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

__all__ = ["run_setting"]


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


class _Trained(NamedTuple):
    """A trained network's per-sample derivatives at the layer, and what the AWD needs."""

    hessians: np.ndarray
    gradients: np.ndarray
    awd_gradients: np.ndarray
    shifts: np.ndarray
    accuracy: float


def _awd_shifts(weight: np.ndarray, activity: np.ndarray, partners: np.ndarray) -> np.ndarray:
    """Def. 3.1: minimal weight shifts dual to the partner's activity change, per sample."""
    norms = np.einsum("si,si->s", activity, activity)
    usable = norms > 0
    delta = activity[partners] - activity
    return np.where(
        usable[:, None, None],
        np.einsum("oi,si,sj->soj", weight, delta, activity)
        / np.where(usable, norms, 1.0)[:, None, None],
        0.0,
    )


def _trained(setting: Setting, seed: int, device: str, data_seed: int | None) -> _Trained:
    """Train ``setting``; per-sample Hessians, gradients and AWD gradients of its layer."""
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
    shifts = _awd_shifts(weight, activity, _partners(inputs, labels))
    awd_gradients = np.einsum("spq,sq->sp", hessians, shifts.reshape(shifts.shape[0], -1))
    return _Trained(hessians, gradients, awd_gradients, shifts, accuracy)


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
    hessians, gradients, awd_gradients, shifts, accuracy = _trained(
        setting, seed, device, data_seed
    )
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
