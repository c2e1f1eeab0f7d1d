r"""Verifying a minimiser modulo the exact rotation symmetries of the decayed LM loss (paper 003).

At a converged point of :math:`F = L_k + \tfrac\lambda2\|\theta\|^2` with uniform attention
(:math:`W_q = W_k = 0`) the rotations :math:`W_v \to RW_v,\ W_o \to W_oR^\top` leave both the
function and :math:`\|\theta\|` unchanged, so the minimum is not strict (zero Hessian
eigenvalues along the orbit). :func:`symmetry_tangents` builds the orbit's tangents from the
parameter layout of :class:`~theorylab.gpu.models.TinyTransformer`;
:func:`verify_modulo_symmetry` checks that each is an exact symmetry (measured), that the
Hessian's null space equals their span, and that the Hessian is positive definite on the
complement: a Morse-Bott (non-strict) local minimiser, which satisfies the claim's premise.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from .models import TinyTransformer
from .subspace_language_model import DENSE_LIMIT, TrainedLanguageModel, _value_and_gradient

__all__ = ["ANGLE_TOLERANCE", "NULL_RELATIVE", "SymmetryReport", "symmetry_tangents",
           "verify_modulo_symmetry"]


def _generator_actions(model: TinyTransformer, *, cross_head: bool = True
                       ) -> list[tuple[str, Any]]:
    """``(label, v -> M v)`` for each rotation generator ``M`` (linear, antisymmetric on θ)."""
    names = [name for name, _ in model.named_parameters()]
    sizes = [parameter.numel() for parameter in model.parameters()]
    offsets = dict(zip(names, torch.tensor([0, *sizes[:-1]]).cumsum(0).tolist(), strict=True))
    shapes = {name: parameter.shape for name, parameter in model.named_parameters()}

    def view(vector: torch.Tensor, name: str) -> torch.Tensor:
        start = offsets[name]
        return vector[start : start + shapes[name].numel()].view(shapes[name])

    def value_output(prefix: str, dim: int, i: int, j: int) -> Any:
        def act(vector: torch.Tensor) -> torch.Tensor:
            generator = vector.new_zeros(dim, dim)
            generator[i, j], generator[j, i] = 1.0, -1.0
            tangent = torch.zeros_like(vector)
            rows = slice(2 * dim, 3 * dim)
            view(tangent, prefix + "qkv.weight")[rows] = (
                generator @ view(vector, prefix + "qkv.weight")[rows])
            view(tangent, prefix + "qkv.bias")[rows] = (
                generator @ view(vector, prefix + "qkv.bias")[rows])
            view(tangent, prefix + "out.weight")[:] = (
                -view(vector, prefix + "out.weight") @ generator)
            return tangent
        return act

    def query_key(prefix: str, dim: int, start: int, size: int, i: int, j: int) -> Any:
        def act(vector: torch.Tensor) -> torch.Tensor:
            generator = vector.new_zeros(size, size)
            generator[i, j], generator[j, i] = 1.0, -1.0
            tangent = torch.zeros_like(vector)
            for part in (0, dim):  # q rows, then k rows
                rows = slice(part + start, part + start + size)
                for name in ("qkv.weight", "qkv.bias"):
                    view(tangent, prefix + name)[rows] = (
                        generator @ view(vector, prefix + name)[rows])
            return tangent
        return act

    actions = []
    for index, block in enumerate(model.blocks):
        dim, heads = block.attention.out.in_features, block.attention.heads
        size, prefix = dim // heads, f"blocks.{index}.attention."
        for i in range(dim):
            for j in range(i + 1, dim):
                within = i // size == j // size
                if within or cross_head:
                    actions.append((f"layer {index} value/output ({i},{j}) "
                                    + ("within head" if within else "across heads"),
                                    value_output(prefix, dim, i, j)))
        for head in range(heads):
            for i in range(size):
                for j in range(i + 1, size):
                    actions.append((f"layer {index} query/key head {head} ({i},{j})",
                                    query_key(prefix, dim, head * size, size, i, j)))
    return actions


def symmetry_tangents(model: TinyTransformer, theta: torch.Tensor, *, cross_head: bool = True
                      ) -> tuple[torch.Tensor, list[str]]:
    r"""Tangents at ``theta`` of the continuous orbits of :class:`TinyTransformer`'s rotations.

    From the parameter layout (``qkv`` rows ``[q; k; v]``, each ``heads`` blocks of
    ``head_dim`` rows; ``out`` columns in the same head blocks), for every attention layer:

    * value/output: :math:`A\in\mathfrak{so}(d)` acting as
      :math:`(\delta W_v,\delta b_v,\delta W_o) = (AW_v, Ab_v, -W_oA)`: the flow
      :math:`W_v\to RW_v, W_o\to W_oR^\top` keeps :math:`W_oW_v`, :math:`W_ob_v` and
      :math:`\|\theta\|`. Block-diagonal :math:`A` (within a head) is an exact symmetry of
      :math:`F`; with ``cross_head`` the generators mixing heads are included too, which keep
      :math:`F` only while the heads' attention patterns coincide (e.g. :math:`W_q=W_k=0`,
      uniform attention): :func:`verify_modulo_symmetry` checks each one numerically;
    * query/key, per head: :math:`A\in\mathfrak{so}(d_h)` acting as
      :math:`(\delta W_q,\delta b_q,\delta W_k,\delta b_k) = (AW_q,Ab_q,AW_k,Ab_k)`
      (:math:`G^{-\top}=G` for orthogonal :math:`G`, so :math:`QK^\top` and the norm are kept;
      non-orthogonal :math:`G` keeps the function but not :math:`\|\theta\|`).

    Returns the tangents as columns ``(p, m)`` (possibly dependent or zero) and their labels.

    Examples
    --------
    >>> model = TinyTransformer(vocab_size=3, dim=4, heads=2, layers=1, max_length=2, seed=0)
    >>> theta = torch.nn.utils.parameters_to_vector(model.parameters()).detach()
    >>> tangents, labels = symmetry_tangents(model, theta)
    >>> tangents.shape[1], len(labels)  # so(4) + 2 so(2)
    (8, 8)
    >>> bool((theta @ tangents).abs().max() < 1e-12)  # rotations keep the norm
    True
    """
    actions = _generator_actions(model, cross_head=cross_head)
    if not actions:
        return theta.new_zeros(theta.numel(), 0), []
    return (torch.stack([act(theta) for _, act in actions], 1),
            [label for label, _ in actions])


def _flow(act: Any, theta: torch.Tensor, angle: float, terms: int = 40) -> torch.Tensor:
    """``exp(angle M) theta`` by its Taylor series (M: a generator action)."""
    total, term = theta.clone(), theta.clone()
    for order in range(1, terms):
        term = act(term) * (angle / order)
        total = total + term
    return total


@dataclass(frozen=True)
class SymmetryReport:
    r"""Verification of a minimiser modulo the exact rotation symmetries of :math:`F`.

    ``verified``: ``converged`` (the polish tolerance), every kept tangent an exact symmetry
    (``exact``), near-null dimension of :math:`\nabla^2F` equal to the tangent span's rank,
    largest principal angle between them :math:`\le` ``ANGLE_TOLERANCE``, and
    :math:`\lambda_{\min}` of :math:`\nabla^2F` on the span's orthogonal complement
    :math:`>0` (a Morse-Bott, non-strict, local minimiser).
    """

    candidates: int
    kept: int
    labels: tuple[str, ...]
    tangent_rank: int
    max_gradient_dot: float
    max_hessian_product: float
    max_orbit_value_change: float
    max_orbit_gradient_norm: float
    exact: bool
    null_dimension: int
    null_threshold: float
    principal_angles: tuple[float, ...]
    complement_smallest_eigenvalue: float
    smallest_eigenvalue: float
    largest_eigenvalue: float
    gradient_norm: float
    converged: bool
    verified: bool
    seconds: float


ANGLE_TOLERANCE = 1e-6  # radians, largest principal angle between null space and tangent span
NULL_RELATIVE = 1e-8  # |λ| <= 1e-8 λ_max counts as a null eigenvalue of ∇²F


def verify_modulo_symmetry(trained: TrainedLanguageModel, *, tolerance: float = 1e-8,
                           angle: float = 1.0) -> SymmetryReport:
    r"""Check ``trained.theta`` is a minimiser of :math:`F` modulo exact rotation symmetries.

    Tangents of :func:`symmetry_tangents` with :math:`\|t\|\ge10^{-8}\|\theta\|` are kept
    (the others belong to orbits collapsed at this point). Each kept one must be an exact
    symmetry, measured: :math:`|\nabla F\cdot t|\le` ``tolerance`` :math:`(1+|F|)\|t\|`,
    :math:`\|\nabla^2F\,t\|\le10^{-8}\lambda_{\max}\|t\|`, and along the finite orbit
    :math:`\theta'=e^{\text{angle}\,M}\theta`:
    :math:`|F(\theta')-F(\theta)|\le10^{-12}(1+|F|)` and
    :math:`\|\nabla F(\theta')\|\le` ``tolerance`` :math:`(1+|F|)` (a manifold of
    critical points). Then, with the dense Hessian: the eigenvectors with
    :math:`|\lambda|\le10^{-8}\lambda_{\max}` must span the tangent span (equal dimension,
    principal angles :math:`\le` ``ANGLE_TOLERANCE``) and :math:`Q^\top\nabla^2F\,Q\succ0`
    for an orthonormal basis :math:`Q` of its complement. Such a point is a local minimiser
    (Morse-Bott lemma), not a strict one.
    """
    started = time.perf_counter()
    data = trained.objective(trained.k)
    decay = trained.decay

    def function(theta: torch.Tensor) -> torch.Tensor:
        return data(theta) + 0.5 * decay * theta.square().sum()

    theta = trained.theta.detach()
    value, gradient = _value_and_gradient(function, theta)
    scale = 1 + abs(value)
    chunk = None if theta.numel() <= DENSE_LIMIT else 256
    matrix = torch.func.jacrev(torch.func.grad(function), chunk_size=chunk)(theta)
    matrix = 0.5 * (matrix + matrix.T)
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)
    largest = float(eigenvalues.abs().max())
    actions = _generator_actions(trained.model)
    tangents = (torch.stack([act(theta) for _, act in actions], 1) if actions
                else theta.new_zeros(theta.numel(), 0))
    norms = tangents.norm(dim=0)
    keep = norms >= 1e-8 * float(theta.norm())
    kept = tangents[:, keep]
    kept_actions = [action for action, flag in zip(actions, keep.tolist(), strict=True) if flag]
    unit = kept / kept.norm(dim=0) if kept.shape[1] else kept
    dots = (gradient @ unit).abs() if kept.shape[1] else theta.new_zeros(0)
    products = (matrix @ unit).norm(dim=0) if kept.shape[1] else theta.new_zeros(0)
    changes, orbit_gradients = [0.0], [0.0]
    for _, act in kept_actions:
        moved_value, moved_gradient = _value_and_gradient(function, _flow(act, theta, angle))
        changes.append(abs(moved_value - value) / scale)
        orbit_gradients.append(float(moved_gradient.norm()))
    max_dot = float(dots.max()) if dots.numel() else 0.0
    max_product = float(products.max()) if products.numel() else 0.0
    exact = (max_dot <= tolerance * scale and max_product <= NULL_RELATIVE * largest
             and max(changes) <= 1e-12 and max(orbit_gradients) <= tolerance * scale)
    if unit.shape[1]:
        left, singular, _ = torch.linalg.svd(unit, full_matrices=True)
        rank = int((singular > 1e-8 * singular[0]).sum())
    else:
        left, rank = torch.eye(theta.numel(), dtype=theta.dtype, device=theta.device), 0
    span, complement = left[:, :rank], left[:, rank:]
    threshold = NULL_RELATIVE * largest
    null = eigenvectors[:, eigenvalues.abs() <= threshold]
    if null.shape[1] == rank:  # sines of the principal angles: svd of (complement)ᵀ null
        sines = torch.linalg.svdvals(complement.T @ null).clamp(max=1.0) if rank else null[0]
        angles = torch.arcsin(sines).tolist()
    else:  # unequal dimensions: not the same space (π/2 for each unmatched direction)
        overlap = torch.linalg.svdvals(span.T @ null) if rank and null.shape[1] else span[0, :0]
        angles = (torch.arccos(overlap.clamp(max=1.0)).tolist()
                  + [torch.pi / 2] * abs(null.shape[1] - rank))
    reduced = complement.T @ matrix @ complement
    complement_smallest = float(torch.linalg.eigvalsh(0.5 * (reduced + reduced.T))[0])
    converged = float(gradient.norm()) <= tolerance * scale
    verified = (converged and exact and null.shape[1] == rank
                and max(angles, default=0.0) <= ANGLE_TOLERANCE and complement_smallest > 0)
    return SymmetryReport(
        candidates=len(actions), kept=len(kept_actions),
        labels=tuple(label for label, _ in kept_actions), tangent_rank=rank,
        max_gradient_dot=max_dot, max_hessian_product=max_product,
        max_orbit_value_change=max(changes), max_orbit_gradient_norm=max(orbit_gradients),
        exact=exact, null_dimension=int(null.shape[1]), null_threshold=threshold,
        principal_angles=tuple(float(a) for a in angles),
        complement_smallest_eigenvalue=complement_smallest,
        smallest_eigenvalue=float(eigenvalues[0]), largest_eigenvalue=float(eigenvalues[-1]),
        gradient_norm=float(gradient.norm()), converged=converged, verified=verified,
        seconds=time.perf_counter() - started)
