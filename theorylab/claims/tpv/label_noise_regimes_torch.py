r"""Torch checks of ``tpv.label_noise_regimes`` (paper 000, App. C.2-C.3, Sec. 5.2, App. F.2.1).

Setting of App. F.2.1: inputs :math:`x \sim \mathcal{N}(0, I_{20})`, linear teacher
:math:`y = x^\top w_{\rm true}`, :math:`w_{\rm true} \sim \mathcal{N}(0, I)`; a three-layer ReLU
MLP (input → width → width → 1) trained on clean labels by full-batch SGD with momentum 0.9,
learning rate 5e-3, 800 epochs, MSE; paper widths {128, 256, 512, 800, 1024, 1600},
``n_train = 1000``, ``n_test = 5000`` (``full``); ``quick`` uses widths {16, 64},
``n_train = 100``, ``n_test = 200``. Everything in float64.

Following App. C.3.4 and F.2.2, the noisy targets are the clean model's outputs plus noise,
:math:`\tilde y = f_{w^*}(x) + \varepsilon`, so that :math:`w^*` fits the clean targets
exactly, as Theorem 3.2 assumes.

* :func:`interpolation_experiment` — regime (2a) on real Jacobians: exact linearised TPV at
  :math:`\lambda = 0` (r = n) on train and test inputs from one law.
* :func:`retrain_experiment` — regime (1): the NON-linear network is retrained from
  :math:`w^*` on :math:`R` noisy label draws with proximity
  :math:`\frac\gamma2\|w-w^*\|^2` (App. C.3.4), by full-batch heavy-ball gradient descent run
  to convergence; compared per draw and in mean with the exact linearised ridge TPV
  (:math:`\lambda = \gamma`). The first-order error law (relative gap :math:`\propto\sigma`)
  is fitted over :math:`\sigma`.
* :func:`gram_route_experiment` — the label-noise TPV through the :math:`n\times n` NTK Gram
  matrix (:func:`theorylab.solvers.linear_label_noise.gram_label_noise_tpv`), which App.
  C.3.3 calls numerically intractable at ``n_train = 4000``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from theorylab.gpu import MLP, ntk_gram, output_jacobian
from theorylab.gpu.adapter import FunctionalModel
from theorylab.registry import CheckContext
from theorylab.solvers.linear_label_noise import gram_label_noise_tpv
from theorylab.solvers.tpv import label_noise_tpv
from theorylab.spec import Figure, FigureSeries, Finding, Verdict

__all__ = [
    "Reference",
    "gram_route_experiment",
    "interpolation_experiment",
    "reference_network",
    "retrain_experiment",
]

INPUT_DIM = 20
MATCHED_BAND = 0.5
DENSE_JACOBIAN_BYTES = 1 << 30
RETRAIN_BYTES = 16 << 30
SLOPE_BAND = 0.25
Z_LIMIT = 4.5


@dataclass(frozen=True)
class Reference:
    """A clean reference network ``w*`` and its data (App. F.2.1)."""

    model: torch.nn.Module
    train_inputs: torch.Tensor
    test_inputs: torch.Tensor
    final_loss: float
    width: int
    activation: str = "relu"


def _sizes(full: bool) -> tuple[tuple[int, ...], int, int]:
    if full:
        return (128, 256, 512, 800, 1024, 1600), 1000, 5000
    return (16, 64), 100, 200


@lru_cache(maxsize=16)
def reference_network(
    width: int, train_size: int, test_size: int, seed: int, device: str, activation: str = "relu"
) -> Reference:
    """Train the clean reference MLP of App. F.2.1 (cached per configuration)."""
    generator = torch.Generator().manual_seed(seed)
    teacher = torch.randn(INPUT_DIM, generator=generator, dtype=torch.float64)
    train_inputs = torch.randn(train_size, INPUT_DIM, generator=generator, dtype=torch.float64)
    test_inputs = torch.randn(test_size, INPUT_DIM, generator=generator, dtype=torch.float64)
    model = MLP(INPUT_DIM, width=width, depth=2, activation=activation, seed=seed)
    model = model.to(dtype=torch.float64).to(device)
    train_inputs, test_inputs = train_inputs.to(device), test_inputs.to(device)
    targets = train_inputs @ teacher.to(device)
    optimiser = torch.optim.SGD(model.parameters(), lr=5e-3, momentum=0.9)
    loss = torch.zeros(())
    for _ in range(800):
        optimiser.zero_grad()
        loss = torch.mean((model(train_inputs)[:, 0] - targets) ** 2)
        loss.backward()
        optimiser.step()
    model.eval()
    return Reference(
        model, train_inputs, test_inputs, float(loss.detach()), width, activation
    )


def _parameter_count(width: int) -> int:
    """Parameters of the App. F.2.1 MLP (20 → width → width → 1, with biases)."""
    return (INPUT_DIM + 1) * width + (width + 1) * width + width + 1


def _grams(reference: Reference) -> tuple[np.ndarray, np.ndarray, int]:
    """``K = J Jᵀ`` (train) and ``K_te,tr`` by dense Jacobians, or by ``ntk_gram`` if large."""
    parameters = sum(p.numel() for p in reference.model.parameters())
    rows = reference.train_inputs.shape[0] + reference.test_inputs.shape[0]
    train_size = reference.train_inputs.shape[0]
    if rows * parameters * 8 <= DENSE_JACOBIAN_BYTES:
        train = output_jacobian(reference.model, reference.train_inputs, dtype=torch.float64)
        test = output_jacobian(reference.model, reference.test_inputs, dtype=torch.float64)
        train_np, test_np = train.cpu().numpy(), test.cpu().numpy()
        return train_np @ train_np.T, test_np @ train_np.T, parameters
    inputs = torch.cat([reference.train_inputs, reference.test_inputs])
    gram = ntk_gram(reference.model, inputs, dtype=torch.float64, memory_budget=16 << 30)
    gram_np = gram.cpu().numpy()
    return gram_np[:train_size, :train_size], gram_np[train_size:, :train_size], parameters


# --------------------------------------------------------------------------- (2a)


def interpolation_experiment(context: CheckContext) -> Finding:
    """Regime (2a) on MLP Jacobians: TPV_train = σ² exactly; TPV_test/σ² vs the claimed ≈ 1."""
    started = time.perf_counter()
    widths, train_size, test_size = _sizes(context.full)
    rows = []
    for width in widths:
        reference = reference_network(width, train_size, test_size, context.seed, context.device)
        parameters = sum(p.numel() for p in reference.model.parameters())
        if max(train_size, test_size) * parameters * 8 <= DENSE_JACOBIAN_BYTES:
            train = output_jacobian(reference.model, reference.train_inputs).cpu().numpy()
            test = output_jacobian(reference.model, reference.test_inputs).cpu().numpy()
            result = label_noise_tpv(train, test, 1.0)
            route = "svd (label_noise_tpv)"
            singular_squares = result.singular_values**2
            b_diagonal = result.b_diagonal
            tpv_test, tpv_train, rank = result.test, result.train, result.rank
        else:
            gram, cross, _ = _grams(reference)
            gram_result = gram_label_noise_tpv(gram, cross, 1.0)
            route = "gram (gram_label_noise_tpv)"
            singular_squares = gram_result.gram_eigenvalues
            b_diagonal = np.full_like(singular_squares, np.nan)
            tpv_test, tpv_train, rank = gram_result.test, gram_result.train, gram_result.rank
        ratio_b = b_diagonal / (singular_squares / train_size)
        rows.append(
            {
                "width": width,
                "parameters": parameters,
                "rank": rank,
                "tpv_train_over_sigma2": tpv_train,
                "tpv_test_over_sigma2": tpv_test,
                "median_B_over_S2_n": float(np.nanmedian(ratio_b)) if rank else float("nan"),
                "clean_train_mse": reference.final_loss,
                "route": route,
            }
        )
    interpolating = [row for row in rows if row["rank"] == train_size]
    outside = [
        row for row in interpolating if abs(row["tpv_test_over_sigma2"] - 1.0) > MATCHED_BAND
    ]
    if not interpolating:
        verdict = Verdict.NOT_APPLICABLE
    else:
        verdict = Verdict.REFUTED if outside else Verdict.HOLDS_APPROX
    return Finding(
        verdict=verdict,
        summary=(
            "r = n, λ = 0, matched train/test law: TPV_train/σ² = "
            + ", ".join(f"{row['tpv_train_over_sigma2']:.3f}" for row in rows)
            + "; TPV_test/σ² = "
            + ", ".join(f"{row['tpv_test_over_sigma2']:.3f} (width {row['width']})" for row in rows)
            + f"; {len(outside)}/{len(interpolating)} outside the 50% band around 1"
        ),
        lhs=1.0,
        rhs=rows[-1]["tpv_test_over_sigma2"],
        residual=max(abs(row["tpv_test_over_sigma2"] - 1.0) for row in rows),
        bound=MATCHED_BAND,
        error_law="paper: TPV_test ≈ σ² (no error model; the 50% band of Fig. 1)",
        sizes={"n_train": train_size, "n_test": test_size, "widths": len(widths)},
        device=context.device,
        backend="torch",
        instances=len(rows),
        figure=Figure(
            title="Regime (2a) on MLP Jacobians: label-noise TPV per σ²",
            x_label="width",
            y_label="TPV / σ²",
            log_x=True,
            series=[
                FigureSeries(
                    label="train",
                    x=[float(r["width"]) for r in rows],
                    y=[r["tpv_train_over_sigma2"] for r in rows],
                ),
                FigureSeries(
                    label="test",
                    x=[float(r["width"]) for r in rows],
                    y=[r["tpv_test_over_sigma2"] for r in rows],
                ),
            ],
        ),
        details={"rows": rows, "wall_seconds": time.perf_counter() - started},
    )


# --------------------------------------------------------------------------- (1) retrain


def _retrain_nonlinear(
    functional: FunctionalModel,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    proximity: float,
    tolerance: float = 1e-10,
    max_iterations: int = 20,
) -> tuple[torch.Tensor, int, float]:
    r"""Minimise :math:`\frac12\|f_w(X)-\tilde y_r\|^2 + \frac\gamma2\|w-w^*\|^2` for every draw.

    Gauss-Newton on the proximal objective of App. C.3.4, from :math:`w^*`: with
    :math:`J_k` the Jacobian at the iterate and :math:`b = \tilde y - f(w_k) + J_k(w_k-w^*)`,
    :math:`w_{k+1} = w^* + J_k^\top(J_kJ_k^\top + \gamma I)^{-1}b` (the dual form of
    :math:`(J_k^\top J_k+\gamma I)^{-1}J_k^\top b`). A fixed point is a stationary point of the
    nonlinear objective; the stopping test is its gradient norm relative to the initial one.
    (Heavy-ball gradient descent stalls here: ReLU makes the objective non-smooth.)
    ``targets`` is ``(R, n)``; returns ``(R, p)`` parameters, iterations, relative gradient.
    """
    anchor = functional.theta

    def single_output(theta: torch.Tensor) -> torch.Tensor:
        return functional.outputs(theta, inputs)[:, 0]

    jacobian = torch.func.vmap(torch.func.jacrev(single_output))
    outputs = torch.func.vmap(single_output)
    identity = torch.eye(inputs.shape[0], dtype=anchor.dtype, device=anchor.device)
    theta = anchor.expand(targets.shape[0], -1).clone()
    initial: torch.Tensor | None = None
    relative = float("inf")
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - the count is reported
        jacobians = jacobian(theta)  # (R, n, p)
        residual = targets - outputs(theta)
        displacement = theta - anchor
        descent = torch.einsum("rnp,rn->rp", jacobians, residual) - proximity * displacement
        norms = torch.linalg.vector_norm(descent, dim=1)
        initial = norms if initial is None else initial
        relative = float(torch.max(norms / initial))
        if relative < tolerance:
            break
        linear_target = residual + torch.einsum("rnp,rp->rn", jacobians, displacement)
        kernels = jacobians @ jacobians.transpose(1, 2) + proximity * identity
        dual = torch.linalg.solve(kernels, linear_target.unsqueeze(-1))[..., 0]
        theta = anchor + torch.einsum("rnp,rn->rp", jacobians, dual)
    return theta, iterations, relative


def _kink_distance(reference: Reference) -> float:
    """Smallest |pre-activation| over hidden units and training inputs (0 = on a ReLU kink)."""
    smallest = float("inf")
    hidden = reference.train_inputs
    with torch.no_grad():
        for layer in reference.model:
            hidden = layer(hidden)
            if isinstance(layer, torch.nn.Linear) and hidden.shape[1] > 1:
                smallest = min(smallest, float(hidden.abs().min()))
    return smallest


def _retrain_width(
    reference: Reference,
    noise_levels: tuple[float, ...],
    unit_noise: torch.Tensor,
    max_iterations: int,
) -> list[dict[str, float]]:
    """Linearised ridge solution, its Taylor error, and the Gauss-Newton retrain per σ."""
    gram, cross, parameters = _grams(reference)
    train_size, test_size = gram.shape[0], cross.shape[0]
    largest = float(np.linalg.eigvalsh(gram)[-1])
    proximity = 0.05 * largest  # γ: App. C.3.4 leaves it open; shrinks the small modes
    closed = gram_label_noise_tpv(gram, cross, 1.0, ridge=proximity)
    dual_map = np.linalg.inv(gram + proximity * np.eye(train_size))
    train_response, test_response = gram @ dual_map, cross @ dual_map
    functional = FunctionalModel(reference.model, dtype=torch.float64)
    outputs = torch.func.vmap(
        lambda theta, inputs: functional.outputs(theta, inputs)[:, 0], in_dims=(0, None)
    )
    anchor = functional.theta
    clean_train = outputs(anchor[None], reference.train_inputs)[0]
    clean_test = outputs(anchor[None], reference.test_inputs)[0]
    jacobian_train = output_jacobian(
        reference.model, reference.train_inputs, memory_budget=RETRAIN_BYTES
    ).cpu().numpy()
    quadratic = test_response.T @ test_response
    rows = []
    for noise_std in noise_levels:
        noise = (noise_std * unit_noise).to(clean_train.device)
        noise_np = noise.cpu().numpy()
        linear_test, linear_train = noise_np @ test_response.T, noise_np @ train_response.T
        # first-order check at the linearised displacement z = Jᵀ(K+γI)⁻¹ε (App. F.1.1 idea)
        displacement = torch.as_tensor((noise_np @ dual_map) @ jacobian_train).to(anchor.device)
        taylor_test = (outputs(anchor + displacement, reference.test_inputs) - clean_test).cpu()
        taylor_gap = float(
            np.linalg.norm(taylor_test.numpy() - linear_test) / np.linalg.norm(linear_test)
        )
        theta, iterations, relative = _retrain_nonlinear(
            functional,
            reference.train_inputs,
            clean_train + noise,
            proximity,
            max_iterations=max_iterations,
        )
        change_test = (outputs(theta, reference.test_inputs) - clean_test).cpu().numpy()
        change_train = (outputs(theta, reference.train_inputs) - clean_train).cpu().numpy()
        draws = noise_np.shape[0]
        stderr = noise_std**2 * np.sqrt(2 * np.sum(quadratic**2) / draws) / test_size
        retrained_test = float(np.mean(change_test**2))
        retrained_train = float(np.mean(change_train**2))
        rows.append(
            {
                "width": reference.width,
                "activation": reference.activation,
                "parameters": parameters,
                "noise_std": noise_std,
                "proximity": proximity,
                "closed_test": noise_std**2 * closed.test,
                "closed_train": noise_std**2 * closed.train,
                "retrained_test": retrained_test,
                "retrained_train": retrained_train,
                "ratio_test": retrained_test / (noise_std**2 * closed.test),
                "ratio_train": retrained_train / (noise_std**2 * closed.train),
                "z_test": (retrained_test - noise_std**2 * closed.test) / stderr,
                "taylor_relative_gap": taylor_gap,
                "retrain_relative_gap": float(
                    np.linalg.norm(change_test - linear_test) / np.linalg.norm(linear_test)
                ),
                "retrain_relative_gap_train": float(
                    np.linalg.norm(change_train - linear_train) / np.linalg.norm(linear_train)
                ),
                "gauss_newton_iterations": iterations,
                "relative_gradient": relative,
                "kink_distance": _kink_distance(reference),
            }
        )
    return rows


def _slope(rows: list[dict[str, float]], key: str) -> float:
    sigmas = [row["noise_std"] for row in rows]
    return float(np.polyfit(np.log(sigmas), np.log([row[key] for row in rows]), 1)[0])


def retrain_experiment(context: CheckContext) -> Finding:
    """Perturb-and-retrain of the nonlinear ReLU MLP vs the exact linearised ridge TPV.

    Also runs a GELU control (same protocol, smallest width): smooth networks must show the
    first-order law (relative gap ∝ σ), which separates a kink effect from a bug.
    """
    started = time.perf_counter()
    widths, train_size, test_size = _sizes(context.full)
    draws = 8 if context.full else 6
    noise_levels = (0.001, 0.01, 0.1) if context.full else (0.001, 0.1)
    generator = torch.Generator().manual_seed(context.seed + 1)
    unit_noise = torch.randn(draws, train_size, generator=generator, dtype=torch.float64)
    max_iterations = 8 if context.full else 3
    groups: dict[str, list[dict[str, float]]] = {}
    # Gauss-Newton holds (R, n, p) Jacobians: quick keeps the CPU budget (smallest width);
    # full keeps the paper widths whose batch fits RETRAIN_BYTES (128, 256 of the paper's).
    if context.full:
        retrain_widths = tuple(
            width
            for width in widths
            if draws * train_size * _parameter_count(width) * 8 <= RETRAIN_BYTES
        )
    else:
        retrain_widths = widths[:1]
    for width in retrain_widths:
        reference = reference_network(width, train_size, test_size, context.seed, context.device)
        groups[f"relu-{width}"] = _retrain_width(
            reference, noise_levels, unit_noise, max_iterations
        )
    control = reference_network(
        widths[0], train_size, test_size, context.seed, context.device, activation="gelu"
    )
    groups[f"gelu-{widths[0]}"] = _retrain_width(control, noise_levels, unit_noise, max_iterations)
    slopes = {name: _slope(rows, "retrain_relative_gap") for name, rows in groups.items()}
    taylor_slopes = {name: _slope(rows, "taylor_relative_gap") for name, rows in groups.items()}
    relu = {name: slope for name, slope in slopes.items() if name.startswith("relu")}
    control_ok = all(
        abs(slope - 1.0) <= SLOPE_BAND for name, slope in slopes.items() if name.startswith("gelu")
    )
    relu_ok = all(abs(slope - 1.0) <= SLOPE_BAND for slope in relu.values())
    relu_stationary = all(
        row["relative_gradient"] < 1e-6
        for name, rows in groups.items()
        if name.startswith("relu")
        for row in rows
    )
    reported_sigma = 0.01 if 0.01 in noise_levels else noise_levels[0]
    paper_sigma = [
        row for rows in groups.values() for row in rows if row["noise_std"] == reported_sigma
    ]
    if relu_ok and control_ok:
        verdict = Verdict.HOLDS_APPROX
    elif not relu_stationary or not control_ok:
        verdict = Verdict.INCONCLUSIVE  # the nonsmooth retrain never reached stationarity
    else:
        verdict = Verdict.REFUTED
    all_rows = [row for rows in groups.values() for row in rows]
    return Finding(
        verdict=verdict,
        summary=(
            "retrain vs linearised per-draw gap ∝ σ^slope (first order: 1): "
            + ", ".join(f"{name} {slope:.2f}" for name, slope in slopes.items())
            + f"; retrained/linearised TPV (Monte Carlo, {draws} draws) at σ = {reported_sigma} "
            + "(test/train): "
            + ", ".join(
                f"{row['activation']}-{row['width']}: "
                f"{row['ratio_test']:.3f}/{row['ratio_train']:.3f}"
                for row in paper_sigma
            )
            + "; ReLU w* sits on kinks (min |pre-activation| "
            + f"{min(r['kink_distance'] for r in all_rows):.1e}), Gauss-Newton stationarity "
            + f"{'reached' if relu_stationary else 'not reached (non-smooth objective)'}"
        ),
        lhs=paper_sigma[0]["closed_test"],
        rhs=paper_sigma[0]["retrained_test"],
        residual=max(abs(slope - 1.0) for slope in relu.values()),
        bound=SLOPE_BAND,
        error_law="nonlinear − linearised prediction change = O(σ²), i.e. relative gap ∝ σ",
        sizes={
            "n_train": train_size,
            "n_test": test_size,
            "draws": draws,
            "widths": len(retrain_widths),
        },
        device=context.device,
        backend="torch",
        instances=len(all_rows) * draws,
        figure=Figure(
            title="Perturb-and-retrain vs linearised ridge solution: per-draw relative gap",
            x_label="σ",
            y_label="‖δf_retrained − J_te z‖ / ‖J_te z‖ (test)",
            log_x=True,
            log_y=True,
            series=[
                FigureSeries(
                    label=name,
                    x=list(noise_levels),
                    y=[row["retrain_relative_gap"] for row in rows],
                    style="scatter",
                )
                for name, rows in groups.items()
            ],
        ),
        details={
            "rows": all_rows,
            "retrain_gap_slopes": slopes,
            "taylor_gap_slopes": taylor_slopes,
            "protocol": "noisy targets f(w*) + ε; proximity γ = 0.05 s_max²; Gauss-Newton "
            f"retrain, at most {max_iterations} iterations (ReLU: stationarity not reached)",
            "wall_seconds": time.perf_counter() - started,
        },
    )


# --------------------------------------------------------------------------- Gram route


def _independent_cross_check(
    gram: torch.Tensor,
    cross: torch.Tensor,
    ridge: float,
    exact: object,
    device: str,
    seed: int,
    draws: int = 512,
    cg_iterations: int = 1000,
) -> dict[str, float]:
    r"""Check a Gram-route TPV without its eigendecomposition: Monte Carlo + LU, and CG.

    Draws :math:`\varepsilon \sim \mathcal N(0, I_n)`, solves :math:`(K+\lambda I)\alpha =
    \varepsilon` by LU and averages :math:`\|K_{te,tr}\alpha\|^2/n_{te}` (an unbiased
    estimate of :math:`\mathrm{TPV}_{te}/\sigma^2` whose stderr is measured); then runs plain
    conjugate gradients on one draw and reports its relative residual (App. C.3.3 says CG
    fails at this size).
    """
    generator = torch.Generator().manual_seed(seed + 11)
    size = gram.shape[0]
    kernel = torch.as_tensor(gram, device=device)
    shifted = kernel + ridge * torch.eye(size, dtype=kernel.dtype, device=device)
    noise = torch.randn(size, draws, generator=generator, dtype=torch.float64).to(device)
    alpha = torch.linalg.solve(shifted, noise)
    per_draw = (torch.as_tensor(cross, device=device) @ alpha).pow(2).sum(0) / cross.shape[0]
    mean = float(per_draw.mean())
    stderr = float(per_draw.std() / math.sqrt(draws))
    target = float(exact.test)  # type: ignore[attr-defined]
    rhs = noise[:, 0]
    solution = torch.zeros_like(rhs)
    residual = rhs.clone()
    direction = residual.clone()
    squared = residual @ residual
    floor = float(squared) * np.finfo(np.float64).eps ** 2
    used = 0
    for used in range(1, cg_iterations + 1):  # noqa: B007 (the count is reported)
        image = shifted @ direction
        step = squared / (direction @ image)
        solution = solution + step * direction
        residual = residual - step * image
        updated = residual @ residual
        direction = residual + (updated / squared) * direction
        squared = updated
        if float(squared) <= floor:
            break
    true_residual = torch.linalg.vector_norm(rhs - shifted @ solution) / torch.linalg.vector_norm(
        rhs
    )
    return {
        "ridge": ridge,
        "draws": draws,
        "exact_test": target,
        "mc_test": mean,
        "mc_stderr": stderr,
        "z": (mean - target) / stderr if stderr > 0 else float("inf"),
        "cg_iterations": used,
        "cg_relative_residual": float(true_residual),
    }


def gram_route_experiment(context: CheckContext) -> Finding:
    """Exact TPV via the NTK Gram matrix; quick: vs the SVD solver; full+CUDA: 1M / 4000."""
    started = time.perf_counter()
    generator = torch.Generator().manual_seed(context.seed + 2)
    large = context.full and context.device.startswith("cuda")
    width, train_size, test_size = (1000, 4000, 4000) if large else (32, 64, 128)
    model = MLP(INPUT_DIM, width=width, depth=2, seed=context.seed).to(dtype=torch.float64)
    model = model.to(context.device)
    train_inputs = torch.randn(train_size, INPUT_DIM, generator=generator, dtype=torch.float64)
    test_inputs = torch.randn(test_size, INPUT_DIM, generator=generator, dtype=torch.float64)
    train_inputs, test_inputs = train_inputs.to(context.device), test_inputs.to(context.device)
    parameters = sum(p.numel() for p in model.parameters())
    inputs = torch.cat([train_inputs, test_inputs])
    budget = (24 << 30) if large else None
    # the Gram matrix stays where it was built: the solver decomposes it on that device
    gram_all = ntk_gram(model, inputs, dtype=torch.float64, memory_budget=budget)
    gram, cross = gram_all[:train_size, :train_size], gram_all[train_size:, :train_size]
    results = {}
    for ridge in (0.0, 1e-3 * float(torch.trace(gram)) / train_size):
        results[ridge] = gram_label_noise_tpv(gram, cross, 1.0, ridge=ridge)
    head = results[0.0]
    details: dict[str, object] = {
        "parameters": parameters,
        "n_train": train_size,
        "n_test": test_size,
        "rank": head.rank,
        "condition_number": head.condition_number,
        "tpv_test_over_sigma2": head.test,
        "tpv_train_over_sigma2": head.train,
        "ridge_tpv_test": {str(k): v.test for k, v in results.items()},
    }
    if large:
        checks = {
            str(ridge): _independent_cross_check(
                gram, cross, ridge, result, context.device, context.seed
            )
            for ridge, result in results.items()
        }
        details["independent_cross_check"] = checks
        worst = max(abs(check["z"]) for check in checks.values())
        verdict = Verdict.HOLDS if np.isfinite(head.test) and worst <= Z_LIMIT else Verdict.REFUTED
        plain = checks[str(0.0)]
        summary = (
            f"exact label-noise TPV for p = {parameters} parameters, n_train = {train_size} via "
            f"the Gram matrix: TPV_test/σ² = {head.test:.4g}, TPV_train/σ² = {head.train:.4g}, "
            f"cond(K) = {head.condition_number:.2e}, rank {head.rank}; Monte Carlo with an LU "
            f"solve ({plain['draws']} draws): {plain['mc_test']:.4g} ± {plain['mc_stderr']:.2g} "
            f"(max |z| = {worst:.2f} ≤ {Z_LIMIT} over both ridges); CG on K after "
            f"{plain['cg_iterations']} iterations: relative residual "
            f"{plain['cg_relative_residual']:.1e} (App. C.3.3: CG fails here)"
        )
        gap, bound = worst, Z_LIMIT
    else:
        train = output_jacobian(model, train_inputs).cpu().numpy()
        test = output_jacobian(model, test_inputs).cpu().numpy()
        gaps = []
        for ridge, result in results.items():
            reference = label_noise_tpv(train, test, 1.0, ridge=ridge)
            gaps.append(abs(result.test - reference.test) / reference.test)
            gaps.append(abs(result.train - reference.train) / reference.train)
        gap = max(gaps)
        # K = J Jᵀ squares J's condition number; eigenvector error ~ n eps cond(K).
        bound = 100 * train_size * float(np.finfo(np.float64).eps) * head.condition_number
        verdict = Verdict.HOLDS if gap <= bound else Verdict.REFUTED
        summary = (
            f"Gram route vs SVD solver on p = {parameters}, n = {train_size}: max relative gap "
            f"{gap:.2e} (bound {bound:.1e}, cond(K) = {head.condition_number:.2e}); the 1M / "
            "4000 run needs --level full on CUDA"
        )
    details["wall_seconds"] = time.perf_counter() - started
    return Finding(
        verdict=verdict,
        summary=summary,
        lhs=head.test,
        residual=gap,
        bound=bound,
        sizes={"parameters": parameters, "n_train": train_size, "n_test": test_size},
        device=context.device,
        backend="torch",
        details=details,
    )
