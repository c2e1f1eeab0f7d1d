r"""Measurements on the trained transformer of ``subspace.empirical`` (torch, HVPs).

Stage II coefficients :math:`a_k`, :math:`c_k`, :math:`B_k`, the full-space criterion with
Hutchinson traces, the predicted and measured deficit, the paper's :math:`c_k` identities,
direct Monte Carlo on the true increment, App. B's proxy error, and diagnostics of the model
(causality, n-gram entropies, the blocks' parameter norm). Used by
:mod:`theorylab.claims.subspace.empirical.experiment`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from theorylab.solvers.subspace_probing import gaussian_moment_criterion

__all__ = [
    "block_norm",
    "causal",
    "coefficients",
    "decayed",
    "deficit",
    "flat_gradient",
    "full_space_criterion",
    "increment_mc",
    "ngram_entropies",
    "paper_c",
    "proxy_errors",
]

PROXY_DRAWS = 8


def flat_gradient(objective: Any, theta: torch.Tensor) -> torch.Tensor:
    """The gradient of ``objective`` at ``theta`` (a detached copy is differentiated)."""
    point = theta.detach().clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(objective(point), point)
    return gradient


def coefficients(before: Any, after: Any, theta: torch.Tensor, basis: torch.Tensor
                  ) -> tuple[float, np.ndarray, np.ndarray]:
    """Stage II: ``(a_k, U^T g, U^T A U)`` of the increment ``after - before`` on ``basis``."""
    from theorylab.gpu import HessianOperator

    with torch.no_grad():
        gap = float(after(theta) - before(theta))
    gradient = flat_gradient(after, theta) - flat_gradient(before, theta)
    h_after, h_before = HessianOperator(after), HessianOperator(before)
    products = torch.stack([h_after @ basis[:, i] - h_before @ basis[:, i]
                            for i in range(basis.shape[1])], 1)
    compressed = (basis.T @ products).cpu().numpy()
    return gap, (basis.T @ gradient).cpu().numpy(), 0.5 * (compressed + compressed.T)


def full_space_criterion(before: Any, after: Any, theta: torch.Tensor, probes: torch.Tensor
                          ) -> tuple[Any, float]:
    r"""Eq. 15 with :math:`U = I_N`, as a function of σ, and the stderr of Tr A.

    :math:`\|g\|^2` exact, :math:`\mathrm{Tr}A` and :math:`\mathrm{Tr}A^2` by Hutchinson
    (Rademacher probes).
    """
    from theorylab.gpu import HessianOperator

    with torch.no_grad():
        gap = float(after(theta) - before(theta))
    gradient = flat_gradient(after, theta) - flat_gradient(before, theta)
    h_after, h_before = HessianOperator(after), HessianOperator(before)
    quadratic_forms, squared_norms = [], []
    for probe in probes.T:
        product = h_after @ probe - h_before @ probe
        quadratic_forms.append(float(probe @ product))
        squared_norms.append(float(product @ product))
    trace, trace_square = float(np.mean(quadratic_forms)), float(np.mean(squared_norms))
    g_square = float(gradient @ gradient)

    def criterion(sigma: float) -> float:
        return (gap**2 + gap * sigma**2 * trace + sigma**2 * g_square
                + sigma**4 / 4 * (2 * trace_square + trace**2))

    stderr = float(np.std(quadratic_forms, ddof=1) / np.sqrt(len(quadratic_forms)))
    criterion.parts = {  # type: ignore[attr-defined]
        "gap": gap, "g_square": g_square, "trace": trace, "trace_stderr": stderr,
        "trace_square_stderr": float(np.std(squared_norms, ddof=1) / np.sqrt(len(squared_norms))),
    }
    return criterion, stderr


def deficit(before: Any, after: Any, theta: torch.Tensor, basis: torch.Tensor,
             full_criterion: Any, coefficients: tuple[float, np.ndarray, np.ndarray],
             sigma: float, draws: torch.Tensor) -> dict[str, float]:
    r"""Predicted vs measured :math:`1-\Delta_2^{(D)}/\Delta_2` at ``sigma``.

    Predicted: Eq. 15 for both probes (full space with Hutchinson traces); also its first
    order in :math:`\sigma^2`,
    :math:`\sigma^2[\|g\|^2-\|c\|^2 + a(\mathrm{Tr}A-\mathrm{Tr}B)]/a^2`. Measured on the
    true increment with common random numbers: :math:`z\sim\mathcal N(0,\sigma^2I_N)` for the
    full space and its projection :math:`UU^\top z` (exactly the subspace probe's law).
    """
    parts = full_criterion.parts
    gap, gradient, hessian = coefficients
    first_order = sigma**2 * (parts["g_square"] - float(gradient @ gradient)
                              + gap * (parts["trace"] - float(np.trace(hessian)))) / gap**2
    full = full_criterion(sigma)
    predicted = 1.0 - gaussian_moment_criterion(gap, gradient, hessian, sigma) / full
    # Hutchinson uncertainty of Tr A and Tr A^2, propagated to first order into the deficit
    ratio = 1.0 - predicted
    slope_trace = ratio * (gap * sigma**2 + sigma**4 / 2 * parts["trace"]) / full
    slope_square = ratio * sigma**4 / 2 / full
    predicted_stderr = float(np.hypot(slope_trace * parts["trace_stderr"],
                                      slope_square * parts["trace_square_stderr"]))
    full_values, sub_values = [], []
    with torch.no_grad():
        for direction in (sigma * draws).T:
            projected = basis @ (basis.T @ direction)
            full_values.append(float(after(theta + direction) - before(theta + direction)) ** 2)
            sub_values.append(float(after(theta + projected) - before(theta + projected)) ** 2)
    full_array, sub_array = np.asarray(full_values), np.asarray(sub_values)
    measured = 1.0 - sub_array.mean() / full_array.mean()
    # delta method for the ratio of two correlated means
    measured_ratio = sub_array.mean() / full_array.mean()
    influence = (sub_array - measured_ratio * full_array) / full_array.mean()
    stderr = float(influence.std(ddof=1) / np.sqrt(influence.size))
    return {"predicted": float(predicted), "predicted_stderr": predicted_stderr,
            "first_order": float(first_order),
            "measured": float(measured), "stderr": stderr,
            "trace_square_stderr_note": "Tr A, Tr A² by Hutchinson"}


def decayed(objective: Any, decay: float) -> Any:
    """``objective`` plus the ridge term ``decay/2 ||theta||^2``."""
    return lambda theta: objective(theta) + 0.5 * decay * theta.square().sum()


def paper_c(trained: Any, theta: torch.Tensor, basis: torch.Tensor, used: np.ndarray
             ) -> dict[str, Any]:
    r"""Paper's :math:`c_k = U_D^\top g^{(k+1)}(w_k^*)` and its identities at ``theta``.

    Per-sample losses carry the common decay (:math:`\tilde\ell_i = \ell_i +
    \frac\lambda2\|\theta\|^2`), so :math:`w_k^*` minimises :math:`F_k = L_k +
    \frac\lambda2\|\theta\|^2` and :math:`g^{(k+1)} = \nabla F_{k+1}`. Exactly,
    :math:`U^\top\nabla F_{k+1} - U^\top\nabla(L_{k+1}-L_k) = U^\top\nabla F_k` and
    :math:`U^\top\nabla F_{k+1} - U^\top\tilde g_{k+1}/(k+1) = \frac{k}{k+1}U^\top\nabla F_k`:
    both residuals vanish at a stationary point.
    """
    k, decay = trained.k, trained.decay
    mean = (basis.T @ flat_gradient(decayed(trained.objective(k + 1), decay), theta))
    single = flat_gradient(decayed(trained.objective(0, k), decay), theta) / (k + 1)
    stationary = basis.T @ flat_gradient(decayed(trained.objective(k), decay), theta)
    paper, sample = mean.cpu().numpy(), (basis.T @ single).cpu().numpy()
    projected = stationary.cpu().numpy()
    scale = float(np.linalg.norm(paper))
    return {
        "exact_identities_rounding": [  # hold at any point: only rounding may remain
            float(np.linalg.norm(paper - used - projected)) / scale,
            float(np.linalg.norm(paper - sample - k / (k + 1) * projected)) / scale],
        "c_paper": paper.tolist(), "c_used": used.tolist(),
        "residual_paper_vs_sample_over_k1": float(np.linalg.norm(
            paper - sample)) / scale,
        "residual_paper_vs_increment_gradient": float(np.linalg.norm(paper - used)) / scale,
        "projected_stationarity": float(np.linalg.norm(projected)) / scale,
    }


def increment_mc(before: Any, after: Any, theta: torch.Tensor, directions: torch.Tensor
                  ) -> tuple[float, float]:
    """Direct Monte Carlo of the squared true increment along ``directions``: mean, stderr."""
    values = []
    with torch.no_grad():
        for direction in directions.T:
            point = theta + direction
            values.append(float(after(point) - before(point)) ** 2)
    array = np.asarray(values)
    return float(array.mean()), float(array.std(ddof=1) / np.sqrt(array.size))


def proxy_errors(objective: Any, theta: torch.Tensor, sigmas: np.ndarray,
                  generator: torch.Generator) -> list[float]:
    r"""App. B: mean :math:`|L_k(w+\Delta w)-L_k(w)-q(\Delta w)|/|L_k(w+\Delta w)-L_k(w)|`.

    :math:`q = g^{(k)\top}\Delta w + \frac12\Delta w^\top H^{(k)}\Delta w`,
    :math:`\Delta w\sim\mathcal N(0,\sigma^2 I_N)` (isotropic, as in the paper's Fig. 4).
    """
    from theorylab.gpu import HessianOperator

    hessian = HessianOperator(objective)
    gradient = flat_gradient(objective, theta)
    with torch.no_grad():
        base = float(objective(theta))
    errors = []
    for sigma in sigmas:
        values = []
        for _ in range(PROXY_DRAWS):
            step = sigma * torch.randn(theta.numel(), generator=generator,
                                       dtype=torch.float64).to(theta.device)
            with torch.no_grad():
                change = float(objective(theta + step)) - base
            model = float(gradient @ step + 0.5 * step @ (hessian @ step))
            values.append(abs(change - model) / abs(change))
        errors.append(float(np.mean(values)))
    return errors


def causal(trained: Any) -> float:
    """Max change of position-t hidden states when tokens after t change (0 if causal)."""
    model = trained.model
    tokens = trained.windows[:8]
    altered = tokens.clone()
    altered[:, -1] = (altered[:, -1] + 1) % model.readout.out_features
    with torch.no_grad():
        def hidden(x: torch.Tensor) -> torch.Tensor:
            positions = torch.arange(x.shape[1], device=x.device)
            return model.blocks(model.token_embedding(x) + model.position_embedding(positions))
        return float((hidden(tokens)[:, :-1] - hidden(altered)[:, :-1]).abs().max())


def ngram_entropies(windows: torch.Tensor, targets: torch.Tensor) -> list[float]:
    """Empirical conditional entropies (nats) of the target given the last 1 and 2 tokens.

    The cross-entropy of the best bigram / trigram table on these samples (no decay).
    """
    entropies = []
    for context in (1, 2):
        keys = [tuple(row) for row in windows[:, -context:].tolist()]
        joint: dict[tuple[Any, int], int] = {}
        marginal: dict[Any, int] = {}
        for key, target in zip(keys, targets.tolist(), strict=True):
            joint[key, target] = joint.get((key, target), 0) + 1
            marginal[key] = marginal.get(key, 0) + 1
        entropies.append(-sum(count * float(np.log(count / marginal[key]))
                              for (key, _), count in joint.items()) / len(keys))
    return entropies


def block_norm(model: Any) -> float:
    """Euclidean norm of the transformer blocks' parameters (0: attention/MLP switched off)."""
    with torch.no_grad():
        return float(sum(parameter.square().sum()
                         for name, parameter in model.named_parameters()
                         if name.startswith("blocks")) ** 0.5)
