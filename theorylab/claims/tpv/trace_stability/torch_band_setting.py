r"""One setting of App. F.1.1 (teacher, d, depth, width, n_train): its points, as a sweep cell.

:func:`band_setting_cell` fits the clean network, retrains it on noisy labels and takes
SGD-noise snapshots (all runs of one setting as a batch, :mod:`.torch_batched`), then keeps
the runs that pass the first-order filter (:math:`h = 10^{-2}`, rel_err > 1e-3 discarded)
and reports their empirical TPV (Eq. 17) on the train and the test inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict

from theorylab.claims.tpv.trace_stability.torch_batched import (
    forward_runs,
    relative_first_order_error,
    stack_runs,
    train_runs,
)
from theorylab.gpu import make_teacher
from theorylab.gpu.models import MLP

__all__ = ["FIRST_ORDER_THRESHOLD", "SettingRows", "band_setting_cell"]

FIRST_ORDER_THRESHOLD = 1e-3


@dataclass(frozen=True)
class _CleanFit:
    """One setting's data and its clean fit: the reference the perturbed runs are read against."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    clean: list[torch.Tensor]
    ref_train: torch.Tensor
    ref_test: torch.Tensor
    generalisation_gap: float
    constant: bool


def _clean_fit(
    grid: dict[str, object],
    teacher_kind: str,
    dims: tuple[int, int, int],
    train_size: int,
    seed: int,
    rate: torch.Tensor,
    device: torch.device,
) -> _CleanFit:
    """Sample the teacher's data and train the MLP (``dims`` = d, depth, width) on it."""
    dim, depth, width = dims
    teacher = make_teacher(teacher_kind, dim, seed=seed)
    train_x, train_y = teacher.sample(train_size, seed=seed + 1, dtype=torch.float64)
    test_x, test_y = teacher.sample(int(grid["test_size"]), seed=seed + 2, dtype=torch.float64)
    train_x, train_y, test_x, test_y = (t.to(device) for t in (train_x, train_y, test_x, test_y))
    model = MLP(dim, width=width, depth=depth, seed=seed)
    clean = train_runs(
        [p.to(device) for p in stack_runs(model, 1)],
        train_x,
        train_y,
        int(grid["clean_steps"]),
        rate,
        cosine=True,
    )[0]
    with torch.no_grad():
        ref_train, ref_test = forward_runs(clean, train_x)[0], forward_runs(clean, test_x)[0]
        generalisation_gap = float(
            0.5 * torch.mean((ref_test - test_y) ** 2)
            - 0.5 * torch.mean((ref_train - train_y) ** 2)
        )
        constant = bool(torch.std(ref_test) <= 1e-12 * (1 + torch.mean(torch.abs(ref_test))))
    return _CleanFit(
        train_x, train_y, test_x, clean, ref_train, ref_test, generalisation_gap, constant
    )


def _noisy_runs(
    grid: dict[str, object],
    fit: _CleanFit,
    train_size: int,
    rate: torch.Tensor,
    generator: torch.Generator,
    device: torch.device,
) -> list[tuple[str, list[list[torch.Tensor]], torch.Tensor | None]]:
    """Label-noise retraining runs, then SGD-noise snapshots, as ``(label, [params], kept)``."""
    train_x, train_y, clean = fit.train_x, fit.train_y, fit.clean
    settings: list[tuple[str, list[list[torch.Tensor]], torch.Tensor | None]] = []
    for noise_std in grid["noise_stds"]:  # type: ignore[attr-defined]
        runs = int(grid["label_runs"])
        noise = noise_std * torch.randn(runs, train_size, generator=generator, dtype=torch.float64)
        noisy = train_y + noise.to(device)
        start = [p.expand(runs, *p.shape[1:]).clone() for p in clean]
        final = train_runs(
            start, train_x, noisy, int(grid["label_steps"]), rate.expand(runs), cosine=True
        )[0]
        with torch.no_grad():
            before = torch.mean((forward_runs(start, train_x) - noisy) ** 2, 1)
            after = torch.mean((forward_runs(final, train_x) - noisy) ** 2, 1)
        settings.append((f"label σ={noise_std}", [final], after < before))
    for learning_rate, batch in grid["sgd"]:  # type: ignore[attr-defined]
        snaps = train_runs(
            [p.clone() for p in clean],
            train_x,
            train_y,
            int(grid["sgd_steps"]),
            torch.tensor([learning_rate], dtype=torch.float64, device=device),
            cosine=False,
            batch_sizes=[batch],
            generator=generator,
            snapshot=(int(grid["burn_in"]), int(grid["every"])),
        )
        stacked = [torch.cat([snap[i] for snap in snaps]) for i in range(len(clean))]
        settings.append((f"SGD lr={learning_rate} b={batch}", [stacked], None))
    return settings


def _point(
    fit: _CleanFit, label: str, params: list[torch.Tensor], descended: torch.Tensor | None
) -> dict:
    """Empirical TPV (Eq. 17) of the runs that pass the first-order filter."""
    clean, train_x, test_x = fit.clean, fit.train_x, fit.test_x
    ref_train, ref_test, constant = fit.ref_train, fit.ref_test, fit.constant
    reference_inputs = train_x[:128]
    with torch.no_grad():
        rel_err = relative_first_order_error(
            [p.expand(params[0].shape[0], *p.shape[1:]) for p in clean],
            params,
            reference_inputs,
        )
        keep = rel_err <= FIRST_ORDER_THRESHOLD
        if descended is not None:
            keep = keep & descended
        all_train = float(torch.mean((forward_runs(params, train_x) - ref_train) ** 2))
        all_test = float(torch.mean((forward_runs(params, test_x) - ref_test) ** 2))
        unfiltered = {"tpv_train_unfiltered": all_train, "tpv_test_unfiltered": all_test}
        if int(keep.sum()) == 0:
            return {
                "setting": label,
                "kept": 0,
                "runs": int(keep.numel()),
                "min_rel_err": float(rel_err.min()),
                "constant_output": constant,
                **unfiltered,
            }
        kept = [p[keep] for p in params]
        tpv_train = float(torch.mean((forward_runs(kept, train_x) - ref_train) ** 2))
        tpv_test = float(torch.mean((forward_runs(kept, test_x) - ref_test) ** 2))
    return {
        "setting": label,
        "kept": int(keep.sum()),
        "runs": int(keep.numel()),
        "tpv_train": tpv_train,
        "tpv_test": tpv_test,
        "max_rel_err": float(rel_err.max()),
        "gen_gap": fit.generalisation_gap,
        **unfiltered,
        "constant_output": constant,
    }


def _setting_points(
    grid: dict[str, object],
    teacher_kind: str,
    dim: int,
    depth: int,
    width: int,
    train_size: int,
    seed: int,
    device: torch.device,
) -> list[dict]:
    rate = torch.tensor([2e-3], dtype=torch.float64, device=device)
    fit = _clean_fit(grid, teacher_kind, (dim, depth, width), train_size, seed, rate, device)
    generator = torch.Generator().manual_seed(seed + 3)
    settings = _noisy_runs(grid, fit, train_size, rate, generator, device)
    return [_point(fit, label, params, descended) for label, (params,), descended in settings]


class SettingRows(BaseModel):
    """The points of one (teacher, d, depth, width, n_train) setting of App. F.1.1."""

    model_config = ConfigDict(frozen=True)
    rows: list[dict[str, Any]]


def band_setting_cell(
    *,
    grid: dict[str, Any],
    teacher: str,
    dim: int,
    depth: int,
    width: int,
    train_size: int,
    device: str,
    seed: int,
) -> SettingRows:
    """One setting's points (:func:`_setting_points`), each labelled with the setting."""
    labels = {"teacher": teacher, "d": dim, "depth": depth, "width": width, "n_train": train_size}
    points = _setting_points(
        grid, teacher, dim, depth, width, train_size, seed, torch.device(device)
    )
    return SettingRows(rows=[{**labels, **point} for point in points])
