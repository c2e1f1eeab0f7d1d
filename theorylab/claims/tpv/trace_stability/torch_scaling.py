r"""Torch check of ``tpv.trace_stability``: the two asymptotic terms of Theorem A.4 on MLPs.

:func:`scaling_experiment` measures them on MLPs in the **NTK parametrisation**
(:math:`f = v^\top\phi(Wx/\sqrt d)/\sqrt m`, all weights :math:`\mathcal N(0,1)`), float64,
with the exact operator norms of
:func:`~theorylab.solvers.trace_stability.effective_curvature_difference` (thin QR, no
:math:`p\times p` matrix):

* LLN term (Lemma A.3): :math:`\|H_{tr}(w_0) - H_{te}(w_0)\|/\|H_{te}(w_0)\|` over
  :math:`n_{tr} = n_{te}`, error model :math:`a\,n^{-1/2}`;
* NTK term (Eq. 22): :math:`\|H_X(w^*) - H_X(w_0)\|/\|H_X(w_0)\|` after full-batch GD, over
  the width :math:`m`, error model :math:`b\,m^{-1/2}` — with A.2's Gram change beside it.
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict

from theorylab.claims.tpv.trace_stability.rates import rate_figure
from theorylab.claims.tpv.trace_stability.torch_batched import one_thread_on_cpu
from theorylab.error_laws import loglog_slope
from theorylab.gpu import make_teacher, output_jacobian
from theorylab.registry import CheckContext
from theorylab.solvers.trace_stability import effective_curvature_difference
from theorylab.spec import Finding, Verdict
from theorylab.sweep import Cell, run_sweep

__all__ = ["NTKTerms", "lln_cell", "ntk_cell", "scaling_experiment"]

SLOPE_LAW = -0.5
SLOPE_TOLERANCE = 0.2


class _NTKNet(torch.nn.Module):
    """Two-hidden-layer ReLU MLP in the NTK parametrisation."""

    def __init__(self, input_dim: int, width: int, generator: torch.Generator) -> None:
        super().__init__()
        normal = lambda *shape: torch.nn.Parameter(  # noqa: E731
            torch.randn(*shape, generator=generator, dtype=torch.float64)
        )
        self.first, self.second, self.last = (
            normal(width, input_dim),
            normal(width, width),
            normal(width),
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(inputs @ self.first.T / math.sqrt(self.first.shape[1]))
        hidden = torch.relu(hidden @ self.second.T / math.sqrt(self.second.shape[1]))
        return hidden @ self.last / math.sqrt(self.last.shape[0])


def _jacobian(model: torch.nn.Module, inputs: torch.Tensor) -> np.ndarray:
    return output_jacobian(model, inputs, dtype=torch.float64).cpu().numpy()


def _top_eigenvalue(jacobian: np.ndarray) -> float:
    r""":math:`\|J\|_2^2` from the small Gram matrix :math:`JJ^\top`."""
    return float(np.linalg.eigvalsh(jacobian @ jacobian.T)[-1])


class NTKTerms(BaseModel):
    r"""One width-sweep run: Eq. 22's Hessian change, A.2's Gram change, the train/test gap.

    All three are relative to :math:`\|H_X(w_0)\|_{op}` (top Gram eigenvalue over n).
    """

    model_config = ConfigDict(frozen=True)
    h_change: float
    gram_change: float
    train_test_gap: float


def lln_cell(
    *, input_dim: int, size: int, width: int, repeat: int, device: str, seed: int
) -> float:
    r"""Lemma A.3's LLN term :math:`\|H_{tr}(w_0) - H_{te}(w_0)\|/\|H_{te}(w_0)\|` (one run)."""
    teacher = make_teacher("relu", input_dim, seed=seed)
    generator = torch.Generator().manual_seed(1000 * seed + repeat)
    model = _NTKNet(input_dim, width, generator).to(device)
    train, _ = teacher.sample(size, seed=2 * repeat + 1, dtype=torch.float64)
    test, _ = teacher.sample(size, seed=2 * repeat + 2, dtype=torch.float64)
    j_train, j_test = _jacobian(model, train.to(device)), _jacobian(model, test.to(device))
    norm = _top_eigenvalue(j_test) / size  # ||H_te(w0)||_op
    return effective_curvature_difference(j_train, j_test).operator_norm / norm


def ntk_cell(
    *,
    input_dim: int,
    width: int,
    train_size: int,
    steps: int,
    learning_rate: float,
    repeat: int,
    device: str,
    seed: int,
) -> NTKTerms:
    """Eq. 22's NTK term after ``steps`` of full-batch GD at width ``width`` (one run)."""
    teacher = make_teacher("relu", input_dim, seed=seed)
    generator = torch.Generator().manual_seed(1000 * seed + repeat)
    model = _NTKNet(input_dim, width, generator).to(device)
    train, targets = teacher.sample(train_size, seed=2 * repeat + 1, dtype=torch.float64)
    test, _ = teacher.sample(train_size, seed=2 * repeat + 2, dtype=torch.float64)
    train, targets, test = train.to(device), targets.to(device), test.to(device)
    j0_train = _jacobian(model, train)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = 0.5 * torch.mean((model(train) - targets) ** 2)
        loss.backward()
        optimizer.step()
    js_train, js_test = _jacobian(model, train), _jacobian(model, test)
    scale = _top_eigenvalue(j0_train) / train_size
    gram_change = (js_train @ js_train.T - j0_train @ j0_train.T) / train_size
    return NTKTerms(
        h_change=effective_curvature_difference(js_train, j0_train).operator_norm / scale,
        gram_change=float(np.max(np.abs(np.linalg.eigvalsh(gram_change)))) / scale,
        train_test_gap=effective_curvature_difference(js_train, js_test).operator_norm / scale,
    )


def scaling_experiment(context: CheckContext) -> Finding:
    """Fit the LLN exponent in n and the NTK exponent in m; compare with -1/2."""
    device = torch.device(context.device)
    with one_thread_on_cpu(device):
        return _scaling(context, device)


def _scaling(context: CheckContext, device: torch.device) -> Finding:
    started = time.perf_counter()
    input_dim = 5
    # One grid for n (the LLN sweep) and m (the width sweep): the figure shares its x axis.
    sizes = widths = [16, 32, 64, 128] + ([256, 512, 1024] if context.full else [])
    repeats = 4 if context.full else 2
    lln_width = 128 if context.full else 32
    train_size, steps, learning_rate = (64, 200, 0.5) if context.full else (32, 100, 0.5)
    common = {"input_dim": input_dim, "device": str(device)}
    lln_cells = [
        Cell.of(
            lln_cell,
            {**common, "size": size, "width": lln_width, "repeat": repeat},
            seed=context.seed,
            label=f"LLN n={size} r={repeat}",
        )
        for size in sizes
        for repeat in range(repeats)
    ]
    ntk_cells = [
        Cell.of(
            ntk_cell,
            {
                **common,
                "width": width,
                "train_size": train_size,
                "steps": steps,
                "learning_rate": learning_rate,
                "repeat": repeat,
            },
            seed=context.seed,
            label=f"NTK m={width} r={repeat}",
        )
        for width in widths
        for repeat in range(repeats)
    ]
    lln_sweep = run_sweep(lln_cells, float, context.sweep, description="tpv LLN cells")
    ntk_sweep = run_sweep(ntk_cells, NTKTerms, context.sweep, description="tpv NTK cells")
    by_size = [lln_sweep.values[i : i + repeats] for i in range(0, len(lln_cells), repeats)]
    by_width = [ntk_sweep.values[i : i + repeats] for i in range(0, len(ntk_cells), repeats)]
    lln = [float(np.mean(group)) for group in by_size]
    ntk_h = [float(np.mean([terms.h_change for terms in group])) for group in by_width]
    ntk_g = [float(np.mean([terms.gram_change for terms in group])) for group in by_width]
    gap_rel = [float(np.mean([terms.train_test_gap for terms in group])) for group in by_width]
    lln_slope, ntk_slope, gram_slope = (
        loglog_slope(sizes, lln),
        loglog_slope(widths, ntk_h),
        loglog_slope(widths, ntk_g),
    )
    ratios = [h / g for h, g in zip(ntk_h, ntk_g, strict=True)]
    violations = sum(ratio > 1 for ratio in ratios)
    follows = (
        abs(lln_slope - SLOPE_LAW) <= SLOPE_TOLERANCE
        and abs(ntk_slope - SLOPE_LAW) <= SLOPE_TOLERANCE
    )
    vanishes = lln_slope < 0 and ntk_slope < 0
    verdict = (
        Verdict.HOLDS_APPROX if follows else Verdict.INCONCLUSIVE if vanishes else Verdict.REFUTED
    )
    return Finding(
        verdict=verdict,
        summary=(
            f"LLN term ~ n^{lln_slope:.2f}, ||H(w*) - H(w0)|| ~ m^{ntk_slope:.2f}, "
            f"A.2 Gram change ~ m^{gram_slope:.2f} (law -0.5 ± {SLOPE_TOLERANCE}); "
            f"Eq. 22 with A.2's ε fails at {violations}/{len(widths)} widths "
            f"(||ΔH||/||ΔG|| from {ratios[0]:.2f} to {ratios[-1]:.2f}); "
            f"at n = {train_size}, ||H_tr - H_te||/||H|| stays {gap_rel[-1]:.2f} "
            f"at m = {widths[-1]} (LLN-dominated)"
        ),
        error_law="a n^-1/2 + b m^-1/2 (NTK parametrisation, GD lr 0.5, 200 steps)",
        residual=max(abs(lln_slope - SLOPE_LAW), abs(ntk_slope - SLOPE_LAW)),
        bound=SLOPE_TOLERANCE,
        backend="torch",
        device=str(device),
        sizes={"input_dim": input_dim, "repeats": repeats, "train_size_width_sweep": train_size},
        instances=repeats * (len(sizes) + len(widths)),
        figure=rate_figure(
            "Theorem A.4 terms: LLN (vs n) and NTK stability (vs width m)",
            "n (LLN) or m (width)",
            "relative operator norm",
            widths,
            [
                ("||H_tr - H_te||/||H|| at w0 vs n", lln),
                ("||H(w*) - H(w0)||/||H|| vs m", ntk_h),
                ("||G(w*) - G(w0)||/||H|| vs m (A.2)", ntk_g),
            ],
            ("m^-1/2 reference", ntk_h),
        ),
        details={
            "sizes": sizes,
            "lln": lln,
            "widths": widths,
            "ntk_h": ntk_h,
            "ntk_gram": ntk_g,
            "gap_relative": gap_rel,
            "eq22_over_a2_ratio": ratios,
            "slopes": {"lln": lln_slope, "ntk_h": ntk_slope, "ntk_gram": gram_slope},
            "parametrisation": "NTK",
            "seconds": time.perf_counter() - started,
            "sweep": {
                "lln": lln_sweep.stats.model_dump(),
                "ntk": ntk_sweep.stats.model_dump(),
            },
        },
    )
