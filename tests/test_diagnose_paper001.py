r"""Paper 001 on its last-weight path (p > 512) and the AWD stack routines it calls.

Oracles: per-sample Hessians of the last weight matrix by ``torch.autograd.functional.hessian``
through ``torch.func.functional_call`` (not theorylab's adapter), per-sample gradients by
autograd, the AWD covariance as the loop :math:`\frac1{nB}\sum_s H_sH_s` (Theorem 3.4) and the
symmetrised stack as the whole-stack expression :math:`(A + A^\top)/2`.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorylab.diagnose.paper001 import alpha_fit, diagnose_paper001, hessian_layer  # noqa: E402
from theorylab.diagnose.problem import prepare_problem  # noqa: E402
from theorylab.errors import NotSymmetricError  # noqa: E402
from theorylab.solvers.awd import (  # noqa: E402
    as_per_sample_hessians,
    awd_noise_covariance,
    empirical_noise_covariance,
)

EPS = float(np.finfo(np.float64).eps)
BATCH = 3


def _last_layer_case() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """2 -> 60 -> 8 tanh net ending in tanh, p = 668 > 512: the last weight (480) is used."""
    torch.manual_seed(7)
    model = torch.nn.Sequential(torch.nn.Linear(2, 60), torch.nn.Tanh(), torch.nn.Linear(60, 8),
                                torch.nn.Tanh()).double()
    generator = torch.Generator().manual_seed(8)
    inputs = torch.randn(6, 2, generator=generator, dtype=torch.float64)
    # targets of unit scale: the residual term makes some H_s indefinite, not all (3 of 6)
    return model, inputs, torch.randn(6, 8, generator=generator, dtype=torch.float64)


def _dense_last_layer(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample Hessians and gradients of l_s = |f - y|^2 / 2 in the last weight (row-major)."""
    weight = model[2].weight.detach()

    def sample_loss(flat: torch.Tensor, row: int) -> torch.Tensor:
        state = {"2.weight": flat.view(weight.shape)}
        output = torch.func.functional_call(model, state, (inputs[row:row + 1],))
        return 0.5 * (output[0] - targets[row]).square().sum()

    flat = weight.reshape(-1)
    hessians = [torch.autograd.functional.hessian(lambda v, r=r: sample_loss(v, r), flat)
                for r in range(inputs.shape[0])]
    gradients = [torch.func.grad(sample_loss)(flat, r) for r in range(inputs.shape[0])]
    return torch.stack(hessians).detach().numpy(), torch.stack(gradients).detach().numpy()


def test_last_weight_path_matches_dense_autograd_hessians():
    """PSD fraction, most negative eigenvalue, α (Eq. 2 noise) and α (AWD) against the oracle."""
    model, inputs, targets = _last_layer_case()
    problem = prepare_problem(model, (inputs, targets), loss="mse", learning_rate=0.1,
                              batch_size=BATCH)
    assert hessian_layer(problem) == ["2.weight"]
    paper = diagnose_paper001(problem)
    hessians, gradients = _dense_last_layer(model, inputs, targets)
    size, scale = hessians.shape[1], float(np.abs(hessians).max())
    values = np.linalg.eigvalsh(hessians)
    margin = 64 * size * EPS * scale  # the module's own round-off margin (per_sample_psd_report)
    assert paper.quantity("psd_fraction").value == np.mean(values[:, 0] >= -margin)
    numbers = paper.assumption("per_sample_hessians_psd").numbers
    # eigenvalues of two autograd routes differ by <= ||dH||_2 <= p max|dH|, dH ~ 64 eps max|H|
    assert abs(numbers["most_negative"] - values[:, 0].min()) <= margin
    largest = float(values.max())
    # window directions have H_ii >= 1e-6 H_max: their relative error is <= p eps 1e6
    tolerance = 100 * size * EPS * 1e6
    measured, _ = alpha_fit(hessians, empirical_noise_covariance(gradients, BATCH), largest)
    assert paper.quantity("alpha_measured").value == pytest.approx(measured.alpha, abs=tolerance)
    awd = sum(h @ h for h in hessians) / (hessians.shape[0] * BATCH)
    expected, _ = alpha_fit(hessians, awd, largest)
    assert paper.quantity("alpha_awd").value == pytest.approx(expected.alpha, abs=tolerance)


def _stack(count: int, size: int, noise: float) -> np.ndarray:
    rng = np.random.default_rng(count)
    stack = rng.standard_normal((count, size, size))
    return stack + stack.transpose(0, 2, 1) + noise * rng.standard_normal((count, size, size))


def test_stack_validation_equals_whole_stack_expression_across_blocks():
    """p = 300: two slices per validation block, so 7 slices cross three block boundaries."""
    stack = _stack(7, 300, 1e-15)
    expected = 0.5 * (stack + stack.transpose(0, 2, 1))
    assert np.array_equal(as_per_sample_hessians(stack), expected)  # bit for bit
    exact = _stack(7, 300, 0.0)
    assert as_per_sample_hessians(exact) is exact  # exactly symmetric: no copy
    broken = exact.copy()
    broken[5, 0, 1] += 1e-6
    with pytest.raises(NotSymmetricError, match=r"per_sample_hessians\[5\]"):
        as_per_sample_hessians(broken)


def test_awd_covariance_equals_loop_of_products():
    """One GEMM against sum_s H_s H_s; bound: n p terms each, (n p + 2) eps sum_s |H_s||H_s|."""
    stack = as_per_sample_hessians(_stack(5, 40, 1e-15))
    loop = sum(h @ h for h in stack) / 5 * 0.7 / 2
    bound = (5 * 40 + 2) * EPS * sum(np.abs(h) @ np.abs(h) for h in stack) / 5 * 0.7 / 2
    assert np.all(np.abs(awd_noise_covariance(stack, 0.7, 2) - loop) <= bound)
