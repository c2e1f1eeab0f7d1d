r"""Torch experiments of paper 004, Sec. 6-7: MLPs trained on digits and their Fisher soft ranks.

A sweep of MLPs (:class:`theorylab.gpu.MLP`, one hidden layer) is trained on scikit-learn's
8×8 digits (:func:`theorylab.gpu.load_digits`, offline) with the paper's objective
:math:`L_\kappa = \frac1n\sum_i \mathrm{CE}_i + \frac\lambda2\|\theta\|^2` over weight decay,
train size, batch size and learning rate (Adam). For each net: the measured gap (held-out
cross-entropy minus training cross-entropy; the regulariser cancels), and on the training
set the exact softmax Fisher spectrum (dense, float64), its layer-block pinching, KFAC and
the exact diagonal, giving :math:`\mathrm{rank}_\lambda`, :math:`\frac12\log\det(F/\lambda+I)`,
:math:`\mathrm{Tr}F`, :math:`\|F\|_2`; and :math:`\mathrm{Tr}C/\mathrm{Tr}F` on train and test
(Fig. 4). Nets are trained once per (level, seed, device) and shared by the torch checks of
``softrank.empirical`` (Table 1, Figs 2-4) and ``softrank.block_diagonal`` (Prop. 6.1).
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import torch
from pydantic import BaseModel, ConfigDict

from theorylab.gpu import MLP, load_digits
from theorylab.gpu.fisher import (
    FisherFactorOperator,
    fisher_factor,
    fisher_soft_rank_slq,
    gradient_covariance_trace,
)
from theorylab.gpu.kfac import KroneckerFactors, kfac_factors
from theorylab.sweep import Cell, SweepOptions, run_sweep

if TYPE_CHECKING:
    from theorylab.checks import CheckContext

__all__ = [
    "SLQ_PROBES",
    "NetCell",
    "NetRecord",
    "Sweep",
    "net_cell",
    "records_table",
    "slq_error_law",
    "sweep_config",
    "trained_sweep",
]

SLQ_PROBES = (3, 12, 48)
SLQ_STEPS = 80


@dataclass(frozen=True)
class NetRecord:
    """One trained net: hyper-parameters, gap and the complexity measures (training set)."""

    weight_decay: float
    train_size: int
    batch_size: int
    learning_rate: float
    train_loss: float
    test_loss: float
    gap: float
    rank: float
    log_det: float
    rank_block: float
    rank_kfac: float
    log_det_kfac: float
    rank_diag: float
    log_det_diag: float
    trace: float
    operator_norm: float
    ratio_train: float
    ratio_test: float
    parameters: int
    seconds: float


def sweep_config(full: bool) -> dict[str, object]:
    """Sweep grid: quick 6 tiny nets (width 8, 250 steps), full 36 (width 32, 1500 steps)."""
    if full:
        return {
            "width": 32,
            "steps": 1500,
            "decays": (1e-4, 1e-3, 1e-2, 1e-1),
            "sizes": (200, 400, 800),
            "optim": ((32, 1e-2), (64, 5e-3), (128, 3e-3)),
        }
    return {
        "width": 8,
        "steps": 250,
        "decays": (1e-4, 3e-3, 3e-2),
        "sizes": (150, 400),
        "optim": ((32, 1e-2),),
    }


def _train(
    inputs: torch.Tensor,
    labels: torch.Tensor,
    width: int,
    decay: float,
    batch: int,
    rate: float,
    steps: int,
    seed: int,
) -> torch.nn.Sequential:
    model = MLP(inputs.shape[1], width, 1, output_dim=10, seed=seed).to(
        inputs.device, torch.float64
    )
    # Adam's (coupled) weight_decay adds λθ to the gradient: the gradient of λ/2‖θ‖², i.e. the
    # paper's l_κ = CE + ½θᵀΛθ with Λ = λI (not AdamW's decoupled decay).
    optimizer = torch.optim.Adam(model.parameters(), lr=rate, weight_decay=decay)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    for _ in range(steps):
        index = torch.randint(
            0, inputs.shape[0], (min(batch, inputs.shape[0]),), generator=generator
        )
        index = index.to(inputs.device)
        loss = torch.nn.functional.cross_entropy(model(inputs[index]), labels[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def _cross_entropy(model: torch.nn.Module, inputs: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return float(torch.nn.functional.cross_entropy(model(inputs), labels))


def _measures(
    model: torch.nn.Sequential, inputs: torch.Tensor, decay: float
) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
    factor = fisher_factor(model, inputs)
    fisher = factor.T @ factor / inputs.shape[0]
    values, vectors = torch.linalg.eigh(fisher)
    values = values.clamp_min(0.0)
    blocks = [
        m.weight.numel() + (m.bias.numel() if m.bias is not None else 0)
        for m in model
        if isinstance(m, torch.nn.Linear)
    ]
    block_values, start = [], 0
    for size in blocks:
        block_values.append(
            torch.linalg.eigvalsh(fisher[start : start + size, start : start + size])
        )
        start += size
    block = torch.cat(block_values).clamp_min(0.0)
    kfac = kfac_factors(model, inputs)
    kron, diag = kfac.eigenvalues(), kfac.diagonal()
    rank_of, logdet_of = KroneckerFactors.soft_rank_of, KroneckerFactors.log_det_of
    measures = {
        "rank": rank_of(values, decay),
        "log_det": logdet_of(values, decay),
        "rank_block": rank_of(block, decay),
        "rank_kfac": rank_of(kron, decay),
        "log_det_kfac": logdet_of(kron, decay),
        "rank_diag": rank_of(diag, decay),
        "log_det_diag": logdet_of(diag, decay),
        "trace": float(values.sum()),
        "operator_norm": float(values.max()),
        "parameters": int(values.numel()),
    }
    return measures, values, vectors


@dataclass(frozen=True)
class Sweep:
    """The trained nets' records and the SLQ study on the first net's Fisher."""

    records: tuple[NetRecord, ...]
    slq: dict[str, object]


class NetCell(BaseModel):
    """One grid cell's result: the net's record, and (first net only) the SLQ study."""

    model_config = ConfigDict(frozen=True)
    record: NetRecord
    slq: dict[str, Any] | None = None


@functools.lru_cache(maxsize=4)
def trained_sweep(full: bool, seed: int, device: str, sweep: SweepOptions | None = None) -> Sweep:
    """Train the sweep and measure every net (cached per level, seed, device and executor).

    Each (weight decay, n, batch, learning rate) net is one cell of
    :func:`theorylab.sweep.run_sweep`, so ``--jobs`` / ``--executor dask`` train them side by
    side and ``--resume`` keeps the finished ones.
    """
    threads = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(1)  # tiny nets: one thread avoids oversubscription; restored below
    try:
        return _run_sweep(full, seed, device, sweep)
    finally:
        torch.set_num_threads(threads)


@functools.lru_cache(maxsize=2)
def _digits(seed: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The digits in the seed's random order (train: a prefix; test: from index 1000 on)."""
    inputs, labels = load_digits(dtype=torch.float64)
    order = torch.randperm(inputs.shape[0], generator=torch.Generator().manual_seed(seed))
    return inputs[order].to(device), labels[order].to(device)


def _run_sweep(full: bool, seed: int, device: str, sweep: SweepOptions | None) -> Sweep:
    config = sweep_config(full)
    grid = [(d, s, o) for d in config["decays"] for s in config["sizes"] for o in config["optim"]]  # type: ignore[attr-defined]
    cells = [
        Cell.of(
            net_cell,
            {
                "full": full,
                "index": index,
                "width": config["width"],
                "steps": config["steps"],
                "decay": decay,
                "size": size,
                "batch": batch,
                "rate": rate,
                "device": device,
            },
            seed=seed,
            label=f"λ={decay:g} n={size} B={batch} lr={rate:g}",
        )
        for index, (decay, size, (batch, rate)) in enumerate(grid)
    ]
    nets = run_sweep(cells, NetCell, sweep, description="softrank nets").values
    return Sweep(tuple(net.record for net in nets), nets[0].slq or {})


def net_cell(
    *,
    full: bool,
    index: int,
    width: int,
    steps: int,
    decay: float,
    size: int,
    batch: int,
    rate: float,
    device: str,
    seed: int,
) -> NetCell:
    """Train net ``index`` of the grid (training seed ``seed + index``) and measure it.

    ``seed`` orders the digits (the first ``size`` train, from 1000 on test); the first net
    also runs the SLQ error-law study (:func:`slq_error_law`).
    """
    started = time.perf_counter()
    inputs, labels = _digits(seed, device)
    test_inputs, test_labels = inputs[1000:], labels[1000:]
    train_inputs, train_labels = inputs[:size], labels[:size]
    model = _train(train_inputs, train_labels, width, decay, batch, rate, steps, seed + index)
    train_loss = _cross_entropy(model, train_inputs, train_labels)
    test_loss = _cross_entropy(model, test_inputs, test_labels)
    measures, values, vectors = _measures(model, train_inputs, decay)
    slq = None
    if index == 0:
        slq = slq_error_law(values, vectors, decay, full, seed)
        if full:
            free = fisher_soft_rank_slq(
                model,
                train_inputs,
                train_labels,
                decay,
                probes=8,
                steps=SLQ_STEPS,
                seed=seed,
                matrix_free=True,
            )
            slq["matrix_free"] = [free.value, free.stderr]
    trace_c_train, trace_f_train = gradient_covariance_trace(model, train_inputs, train_labels)
    trace_c_test, trace_f_test = gradient_covariance_trace(
        model, test_inputs[:400], test_labels[:400]
    )
    record = NetRecord(
        weight_decay=decay,
        train_size=size,
        batch_size=batch,
        learning_rate=rate,
        train_loss=train_loss,
        test_loss=test_loss,
        gap=test_loss - train_loss,
        ratio_train=trace_c_train / trace_f_train,
        ratio_test=trace_c_test / trace_f_test,
        seconds=time.perf_counter() - started,
        **measures,
    )
    return NetCell(record=record, slq=slq)


def records_table(records: tuple[NetRecord, ...]) -> list[dict[str, float]]:
    """JSON-ready rows."""
    return [asdict(record) for record in records]


def slq_error_law(
    values: torch.Tensor, vectors: torch.Tensor, decay: float, full: bool, seed: int
) -> dict[str, object]:
    r"""SLQ soft rank of a Fisher (given by eigenpairs) vs the exact value, over probes and steps.

    Lanczos runs on :class:`FisherFactorOperator` with the square-root factor
    :math:`R = \\mathrm{diag}(\\sqrt\\mu)V^\top` (:math:`F = R^\top R`), i.e. exact products with
    the same F at :math:`O(p^2)` per product.
    """
    from theorylab.gpu.slq import slq_trace

    exact = float((values / (values + decay)).sum())
    operator = FisherFactorOperator((vectors * values.sqrt()).T.contiguous(), 1)

    def soft(x: torch.Tensor) -> torch.Tensor:
        return x.clamp_min(0.0) / (x.clamp_min(0.0) + decay)

    probes = SLQ_PROBES + ((256,) if full else ())
    by_probes = [slq_trace(operator, soft, probes=k, steps=SLQ_STEPS, seed=seed) for k in probes]
    steps = (5, 10, 20, 40, SLQ_STEPS)
    by_steps = [slq_trace(operator, soft, probes=8, steps=s, seed=seed) for s in steps]
    return {
        "exact": exact,
        "parameters": int(values.numel()),
        "probes": list(probes),
        "estimates": [r.value for r in by_probes],
        "stderrs": [r.stderr for r in by_probes],
        "steps": list(steps),
        "step_estimates": [r.value for r in by_steps],
        "step_stderrs": [r.stderr for r in by_steps],
        "matrix_free": None,
    }


def context_sweep(context: CheckContext) -> Sweep:
    """:func:`trained_sweep` for a check's level, seed, device and sweep options."""
    return trained_sweep(context.full, context.seed, context.device, context.sweep)


__all__ += ["context_sweep"]
