r"""App. E.2 (Eq. 61-71, 15-16): the SGD noise covariance from minibatch Hessians.

:func:`spectral_decomposition_derivation` enumerates minibatches for
:math:`C = \frac{\sigma_w^2}{b}\mathbb{E}_s H_s^2`, then expands :math:`H_s` and
:math:`H_s^2` in the local eigenframe (Eq. 15-16, 67-71).
"""

from __future__ import annotations

import itertools

import sympy

from theorylab.proofs.awd.common import real_symbols, sym_matrix
from theorylab.proofs.steps import cayley_orthogonal, equality_step, expectation_isotropic
from theorylab.spec import DerivationStep

__all__ = ["spectral_decomposition_derivation"]


def _batch_covariance_steps(
    size: int, samples: int, variance: sympy.Symbol
) -> list[DerivationStep]:
    """Eq. 61-64, 69-70: the minibatch noise covariance, enumerated over batches."""
    hessians = [sym_matrix(f"h{s + 1}_", size) for s in range(samples)]
    batch = samples
    mean_square = sum((h * h for h in hessians), sympy.zeros(size, size)) / samples
    averaged = sympy.zeros(size, size)
    tuples = list(itertools.product(range(samples), repeat=batch))
    for chosen in tuples:
        noise = [sympy.Matrix(real_symbols(f"e{slot + 1}_", size)) for slot in range(batch)]
        gradient_noise = (
            sum((hessians[s] * noise[slot] for slot, s in enumerate(chosen)), sympy.zeros(size, 1))
            / batch
        )
        flat = [symbol for column in noise for symbol in column]
        averaged += expectation_isotropic(gradient_noise * gradient_noise.T, flat, variance)
    averaged /= len(tuples)
    return [
        equality_step(
            "batch_covariance",
            "Eq. 61-64, 69-70",
            r"\mathbb{E}_B\mathbb{E}_{\delta w}[\xi\xi^\top] = "
            r"\frac{\sigma_w^2}{b}\mathbb{E}_s[H_s^2],\ "
            r"\xi = \frac1b\sum_{s\in B}H_s\delta w_s",
            averaged,
            variance / batch * mean_square,
            method="cancel",
        )
    ]


def _local_frame_steps(size: int, variance: sympy.Symbol) -> list[DerivationStep]:
    """Eq. 15-16, 67-68, 71: isotropy in the local frame and the eigen-expansions."""
    local = cayley_orthogonal(size, "v")
    global_frame = cayley_orthogonal(size, "u")
    eigenvalues = real_symbols("l", size)
    hessian = local * sympy.diag(*eigenvalues) * local.T
    noise = sympy.Matrix(real_symbols("z", size))
    projected = expectation_isotropic(local.T * noise * noise.T * local, list(noise), variance)
    steps = [
        equality_step(
            "local_isotropy",
            "Eq. 67",
            r"\mathbb{E}[(v_k\cdot\delta w)(v_l\cdot\delta w)] = \sigma_w^2\delta_{kl}",
            projected,
            variance * sympy.eye(size),
            method="cancel",
        )
    ]
    squared = global_frame.T * hessian * hessian * global_frame
    first = global_frame.T * hessian * global_frame
    for i, j in itertools.product(range(size), repeat=2):
        overlap_i = [(global_frame[:, i].T * local[:, k])[0, 0] for k in range(size)]
        overlap_j = [(global_frame[:, j].T * local[:, k])[0, 0] for k in range(size)]
        local_sum = sum(eigenvalues[k] ** 2 * overlap_i[k] * overlap_j[k] for k in range(size))
        label = "Eq. 15, 68" if i == j else "Eq. 71"
        steps.append(
            equality_step(
                f"local_expansion_{i + 1}{j + 1}",
                label,
                r"u_i^\top H_s^2 u_j = \sum_k(\lambda^s_k)^2(u_i\cdot v_k)(u_j\cdot v_k)",
                squared[i, j],
                local_sum,
                method="cancel",
            )
        )
        if i == j:
            steps.append(
                equality_step(
                    f"hessian_diagonal_{i + 1}",
                    "Eq. 16",
                    r"u_i^\top H_s u_i = \sum_k\lambda^s_k(u_i\cdot v_k)^2",
                    first[i, i],
                    sum(eigenvalues[k] * overlap_i[k] ** 2 for k in range(size)),
                    method="cancel",
                )
            )
    return steps


def spectral_decomposition_derivation(size: int = 2, samples: int = 2) -> list[DerivationStep]:
    r"""App. E.2: :math:`C = \frac{\sigma_w^2}{b}\mathbb{E}_s H_s^2` and Eq. 15-16, 71.

    Minibatches of size ``b = samples`` are enumerated (uniform, with replacement); each slot
    carries its own isotropic perturbation :math:`\delta w` (independent across slots, Eq. 63;
    :math:`\mathbb{E}\,\delta w\delta w^\top = \sigma_w^2 I`, Eq. 14).
    """
    variance = sympy.Symbol("sigma2", positive=True)
    return _batch_covariance_steps(size, samples, variance) + _local_frame_steps(size, variance)
