"""Paper 000 in ``theorylab.diagnose``: noise covariance, Gauss-Newton split, Lyapunov TPV,
short-retrain premises — each against a dense float64 brute force on a tiny network."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import scipy.linalg

torch = pytest.importorskip("torch")

from tests.test_diagnose import _flat, tiny_data, tiny_model  # noqa: E402
from theorylab import diagnose  # noqa: E402
from theorylab.diagnose.model import AssumptionStatus, Quantity  # noqa: E402
from theorylab.diagnose.paper000 import diagnose_paper000  # noqa: E402
from theorylab.diagnose.paper000_lyapunov import gram_lyapunov  # noqa: E402
from theorylab.diagnose.paper000_noise import gauss_newton_split  # noqa: E402
from theorylab.diagnose.paper000_retrain import CHECKPOINTS, retrain_diagnosis  # noqa: E402
from theorylab.diagnose.problem import prepare_problem  # noqa: E402
from theorylab.solvers.sgd_noise import minibatch_covariance_by_enumeration  # noqa: E402

EPS = float(np.finfo(np.float64).eps)
ETA, BATCH = 0.1, 2


def _dense(model, inputs, targets):
    """Dense float64 oracle: θ, J (n, p), residuals ε, Hessian of L, per-sample output Hessians."""
    theta, call = _flat(model)

    def outputs(vector):
        return call(vector, inputs)[:, 0]

    def loss(vector):
        return 0.5 * (outputs(vector) - targets).square().mean()

    jacobian = torch.autograd.functional.jacobian(outputs, theta).numpy()
    residuals = (outputs(theta) - targets).detach().numpy()
    hessian = torch.autograd.functional.hessian(loss, theta).numpy()
    output_hessians = np.stack([
        torch.autograd.functional.hessian(lambda v, x=x: call(v, x[None])[0, 0], theta).numpy()
        for x in inputs])
    return theta, jacobian, residuals, hessian, output_hessians


def _gram_tolerance(jacobian: np.ndarray) -> float:
    """The Gram route squares cond(J): relative error ~ 64 n ε cond(JJᵀ)."""
    return 64 * jacobian.shape[0] * EPS * np.linalg.cond(jacobian @ jacobian.T)


@pytest.fixture(scope="module")
def tiny():
    model, (inputs, targets) = tiny_model(), tiny_data()
    before = [p.detach().clone() for p in model.parameters()]
    result = diagnose(model, (inputs, targets), loss="mse", learning_rate=ETA,
                      batch_size=BATCH, skip=["spectral_density", "001", "002"])
    return {"paper": result.paper("000"), "model": model, "before": before,
            "dense": _dense(model, inputs, targets)}


def test_noise_terms_and_gauss_newton_split_match_dense(tiny):
    """Eq. 47/54 traces, Tr G, Tr R = (1/n) Σ ε_i Tr ∇²f_i (per-sample autograd Hessians)."""
    paper, (_, jacobian, residuals, hessian, output_hessians) = tiny["paper"], tiny["dense"]
    n = jacobian.shape[0]
    gradients = jacobian * residuals[:, None]
    variance = float(np.mean(residuals**2))
    h_eff = np.trace(jacobian.T @ jacobian) / n
    remainder = float(np.einsum("n,nii->", residuals, output_hessians)) / n
    scale = float(np.abs(hessian).max()) + float(np.abs(jacobian).max()) ** 2
    tolerance = 64 * hessian.shape[0] * EPS * max(scale, 1.0) * max(variance, 1.0)
    expected = {
        "residual_variance": variance,
        "noise_trace_eq47": float(np.sum(gradients**2)) / (n * BATCH),
        "noise_trace_eq54": variance * h_eff / BATCH,
        "ggn_trace": h_eff,
        "hessian_residual_trace": remainder,
        "gauss_newton_ratio": remainder / h_eff,
        "sgd_tpv_paper": ETA * variance * np.trace(hessian) / (2 * BATCH),
    }
    for name, value in expected.items():
        assert paper.quantity(name).value == pytest.approx(value, abs=tolerance), name
    assert np.trace(hessian) == pytest.approx(h_eff + remainder, abs=tolerance)  # Eq. 57


def test_lyapunov_tpv_matches_enumerated_noise_and_scipy_on_the_row_space(tiny):
    """Σ_ξ by listing all n^B minibatches; Eq. 66 by scipy on the row space of J (p > n)."""
    paper, (_, jacobian, residuals, _, _) = tiny["paper"], tiny["dense"]
    n, p = jacobian.shape
    noise = minibatch_covariance_by_enumeration(jacobian, residuals, BATCH)
    basis = np.linalg.svd(jacobian)[2][:n].T  # rank n < p
    assert np.linalg.norm(noise - basis @ basis.T @ noise @ basis @ basis.T) <= (
        64 * p * EPS * np.linalg.norm(noise))  # the noise lives on the row space
    curvature = basis.T @ (jacobian.T @ jacobian / n) @ basis
    covariance = scipy.linalg.solve_discrete_lyapunov(
        np.eye(n) - ETA * curvature, ETA**2 * basis.T @ noise @ basis)
    exact = float(np.trace(curvature @ covariance))
    tolerance = _gram_tolerance(jacobian)
    lyapunov = paper.quantity("sgd_tpv_lyapunov")
    assert lyapunov.value == pytest.approx(exact, rel=tolerance)
    assert lyapunov.residuals[0] <= tolerance
    assert paper.quantity("sgd_tpv_eq73").value == pytest.approx(
        ETA * np.trace(noise) / 2, rel=64 * p * EPS)
    paper_value = paper.quantity("sgd_tpv_paper").value
    assert paper.quantity("sgd_tpv_gap").value == pytest.approx(
        (paper_value - exact) / exact, rel=tolerance)


def test_gram_lyapunov_full_rank_discrete_and_continuous_match_scipy():
    """p < n: G = JᵀJ/n is invertible; Eq. 66 and Eq. 70 in the full parameter space."""
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(),
                                torch.nn.Linear(2, 1)).double()
    generator = torch.Generator().manual_seed(4)
    inputs = torch.randn(16, 2, generator=generator, dtype=torch.float64)
    targets = torch.cos(inputs[:, 0])
    _, jacobian, residuals, _, _ = _dense(model, inputs, targets)
    n, p = jacobian.shape
    batch, eta = 3, 0.5
    noise = minibatch_covariance_by_enumeration(jacobian, residuals, batch)
    curvature = jacobian.T @ jacobian / n
    discrete = scipy.linalg.solve_discrete_lyapunov(np.eye(p) - eta * curvature, eta**2 * noise)
    continuous = scipy.linalg.solve_continuous_lyapunov(curvature, eta * noise)
    result = gram_lyapunov(jacobian @ jacobian.T, residuals[:, None], np.ones((n, 1, 1)),
                           eta, batch)
    tolerance = _gram_tolerance(jacobian)
    assert result.rank == p
    assert result.tpv_discrete == pytest.approx(np.trace(curvature @ discrete), rel=tolerance)
    assert result.tpv_continuous == pytest.approx(np.trace(curvature @ continuous),
                                                  rel=tolerance)
    assert result.tpv_continuous == pytest.approx(eta * np.trace(noise) / 2, rel=tolerance)
    assert result.noise_trace == pytest.approx(np.trace(noise), rel=tolerance)


def test_cross_entropy_split_and_lyapunov_match_dense_on_the_range_of_g():
    """Softmax regression, K = 3: G = (1/n) Σ J_iᵀ(diag p_i − p_ip_iᵀ)J_i is singular along
    1 ⊗ v, the noise g_i = (p_i − e_{y_i}) ⊗ x_i is orthogonal to it; Eq. 66 on G's range."""
    torch.manual_seed(5)
    model = torch.nn.Linear(2, 3, bias=False).double()
    generator = torch.Generator().manual_seed(6)
    inputs = torch.randn(8, 2, generator=generator, dtype=torch.float64)
    labels = torch.arange(8) % 3
    problem = prepare_problem(model, (inputs, labels), loss="cross_entropy", learning_rate=ETA,
                              batch_size=BATCH)
    problem.level = dataclasses.replace(problem.level, retrain_steps=2, retrain_samples=4)
    x = inputs.numpy()
    probabilities = torch.softmax(model(inputs), dim=1).detach().numpy()
    derivative = probabilities - np.eye(3)[labels.numpy()]
    rows = np.stack([np.kron(np.eye(3), xi[None, :]) for xi in x])  # J_i (3, 6), row-major W
    lam = np.stack([np.diag(q) - np.outer(q, q) for q in probabilities])
    n = x.shape[0]
    ggn = np.einsum("nki,nkl,nlj->ij", rows, lam, rows) / n
    h_eff = np.einsum("nki,nkj->ij", rows, rows) / n
    gradients = np.einsum("nki,nk->ni", rows, derivative)
    mean = gradients.mean(0)
    noise = (gradients.T @ gradients / n - np.outer(mean, mean)) / BATCH
    values, vectors = np.linalg.eigh(ggn)
    range_ = vectors[:, values > 64 * 6 * EPS * values[-1]]
    assert np.linalg.norm(noise @ vectors[:, values <= 64 * 6 * EPS * values[-1]]) <= (
        64 * 6 * EPS * np.linalg.norm(noise))
    reduced = scipy.linalg.solve_discrete_lyapunov(
        np.eye(range_.shape[1]) - ETA * range_.T @ ggn @ range_,
        ETA**2 * range_.T @ noise @ range_)
    exact = float(np.trace(h_eff @ range_ @ reduced @ range_.T))
    paper = diagnose_paper000(problem, float(np.trace(h_eff)), None)
    tolerance = 64 * n * 3 * EPS * np.linalg.cond(x.T @ x) ** 2
    assert paper.quantity("ggn_trace").value == pytest.approx(np.trace(ggn), rel=tolerance)
    assert paper.quantity("noise_trace_eq54").value == pytest.approx(
        np.mean(derivative**2) * np.trace(h_eff) / BATCH, rel=tolerance)
    assert paper.quantity("sgd_tpv_lyapunov").value == pytest.approx(exact, rel=tolerance)
    assert not paper.quantity("sgd_tpv_paper").computed  # Tr ∇²L not given
    assert paper.assumption("hessian_is_gauss_newton").status is AssumptionStatus.UNDECIDED


def _hessian_trace(value: float, stderr: float = 0.0) -> Quantity:
    return Quantity(name="hessian_trace", value=value, stderr=stderr, method="dense")


def test_gauss_newton_verdict_holds_at_zero_residual_fails_far_from_it():
    """Targets = outputs: R = 0 (Eq. 58), holds; targets 10 away on a tanh net: |Tr R| ≫ Tr G;
    a Hessian trace whose stderr straddles the threshold is undecided."""
    model, (inputs, _) = tiny_model(), tiny_data()
    with torch.no_grad():
        fitted = model(inputs)[:, 0]
    for offset, expected in ((0.0, AssumptionStatus.HOLDS), (10.0, AssumptionStatus.FAILS)):
        targets = fitted + offset
        problem = prepare_problem(model, (inputs, targets), loss="mse", learning_rate=ETA,
                                  batch_size=BATCH)
        hessian = _dense(model, inputs, targets)[3]
        _, verdict = gauss_newton_split(problem, _hessian_trace(float(np.trace(hessian))))
        assert verdict.status is expected, verdict.evidence
    ggn = verdict.numbers["ggn_trace"]
    _, verdict = gauss_newton_split(problem, _hessian_trace(1.1 * ggn, stderr=0.05 * ggn))
    assert verdict.status is AssumptionStatus.UNDECIDED, verdict.evidence


def _net(width: int, scale: float, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(2, width), torch.nn.Tanh(),
                                torch.nn.Linear(width, 1)).double()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(scale)
    return model


def _retrain_problem(model, eta, steps=8, samples=6):
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(16, 2, generator=generator, dtype=torch.float64)
    problem = prepare_problem(model, (inputs, torch.sin(2 * inputs[:, 0])), loss="mse",
                              learning_rate=eta, batch_size=4)
    problem.level = dataclasses.replace(problem.level, retrain_steps=steps,
                                        retrain_samples=samples)
    return problem


def test_retrain_matches_torch_sgd_on_a_module_copy():
    """Reference: torch.optim.SGD on a deepcopy of the module, the same index draws, dense
    autograd Jacobians; the user's module is bitwise unchanged. Rounding: 64 p ε per step,
    amplified at most by Π ‖I − η H_B‖ (dense batch Hessians along the path)."""
    model, eta, steps, samples = _net(5, 1.0), 0.3, 8, 6
    before = [p.detach().clone() for p in model.parameters()]
    problem = _retrain_problem(model, eta, steps, samples)
    quantities, _, figure = retrain_diagnosis(problem)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    by_name = {q.name: q for q in quantities}
    inputs, targets = problem.inputs, problem.targets
    generator = torch.Generator().manual_seed(problem.seed)
    subset = torch.randperm(16, generator=generator)[:samples]
    copied = copy.deepcopy(model)
    optimiser = torch.optim.SGD(copied.parameters(), lr=eta)
    theta0, call = _flat(copied)
    jac0 = torch.autograd.functional.jacobian(lambda v: call(v, inputs[subset])[:, 0], theta0)
    outputs0 = call(theta0, inputs)[:, 0].detach()
    full_jac0 = torch.autograd.functional.jacobian(lambda v: call(v, inputs)[:, 0], theta0)
    amplification, loss0 = 1.0, float(0.5 * (outputs0 - targets).square().mean())
    for _ in range(steps):
        rows = torch.randint(16, (4,), generator=generator)
        theta, _ = _flat(copied)
        batch_hessian = torch.autograd.functional.hessian(
            lambda v, r=rows: 0.5 * (call(v, inputs[r])[:, 0] - targets[r]).square().mean(),
            theta)
        amplification *= max(1.0, float(torch.linalg.matrix_norm(
            torch.eye(theta.numel(), dtype=torch.float64) - eta * batch_hessian, 2)))
        optimiser.zero_grad()
        (0.5 * (copied(inputs[rows])[:, 0] - targets[rows]).square().mean()).backward()
        optimiser.step()
    theta, _ = _flat(copied)
    jac = torch.autograd.functional.jacobian(lambda v: call(v, inputs[subset])[:, 0], theta)
    gram0, gram = jac0 @ jac0.T, jac @ jac.T
    linear = outputs0 + full_jac0 @ (theta - theta0)
    expected = {
        "ntk_movement": float(torch.linalg.norm(gram - gram0) / torch.linalg.norm(gram0)),
        "jacobian_movement": float(torch.linalg.norm(jac - jac0) / torch.linalg.norm(jac0)),
        "retrain_loss_change": float(0.5 * (call(theta, inputs)[:, 0] - targets).square()
                                     .mean()) - loss0,
        "retrain_loss_change_linearised": float(0.5 * (linear - targets).square().mean())
        - loss0,
    }
    tolerance = 64 * theta.numel() * steps * EPS * amplification
    for name, value in expected.items():
        assert by_name[name].value == pytest.approx(value, rel=tolerance, abs=tolerance), name
    assert by_name["ntk_movement"].grid == [float(s) for s in range(steps + 1)][
        ::steps // CHECKPOINTS]
    assert len(figure.series) == 3


def test_lazy_and_first_order_verdicts_hold_wide_small_step_fail_narrow_large_step():
    """Width 256, η = 1e-3: K and J barely move, L_lin tracks L. Width 3 with weights x2 and
    η = 1: K moves by O(1) and the linearised loss change is off by a factor of several."""
    wide = retrain_diagnosis(_retrain_problem(_net(256, 1.0), 1e-3, steps=10))[1]
    narrow = retrain_diagnosis(_retrain_problem(_net(3, 2.0), 1.0, steps=20))[1]
    for verdicts, expected in ((wide, AssumptionStatus.HOLDS), (narrow, AssumptionStatus.FAILS)):
        for verdict in verdicts:
            assert verdict.status is expected, verdict.evidence
    assert wide[0].numbers["ntk_movement"] < 0.01 and narrow[0].numbers["ntk_movement"] > 0.3


def test_unstable_learning_rate_no_stationary_law_and_divergent_retrain():
    """η λ_max(G) ≥ 2: Eq. 66 has no solution (reported, not raised); the retrain diverges."""
    model, (inputs, targets) = tiny_model(), tiny_data()
    problem = prepare_problem(model, (inputs, targets), loss="mse", learning_rate=1e3,
                              batch_size=BATCH)
    problem.level = dataclasses.replace(problem.level, retrain_steps=40, retrain_samples=4)
    paper = diagnose_paper000(problem, 1.0, None)
    lyapunov = paper.quantity("sgd_tpv_lyapunov")
    assert not lyapunov.computed and "no stationary covariance" in lyapunov.note
    assert paper.assumption("lazy_regime").status is AssumptionStatus.FAILS
    assert paper.assumption("first_order_valid").status is AssumptionStatus.FAILS


def test_first_order_undecided_when_sgd_does_not_move_the_loss():
    """Interpolating linear least squares: every per-sample gradient is 0, SGD stays put."""
    inputs = torch.randn(6, 2, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    model = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        targets = model(inputs)[:, 0]
    problem = prepare_problem(model, (inputs, targets), loss="mse", learning_rate=ETA,
                              batch_size=BATCH)
    problem.level = dataclasses.replace(problem.level, retrain_steps=4, retrain_samples=4)
    _, verdicts, _ = retrain_diagnosis(problem)
    assert verdicts[0].status is AssumptionStatus.HOLDS  # a linear model never moves K
    assert verdicts[1].status is AssumptionStatus.UNDECIDED, verdicts[1].evidence


def test_user_model_unchanged_and_figures(tiny):
    """diagnose() retrains a copy: the module's weights are bitwise those it was given."""
    assert all(torch.equal(a, b)
               for a, b in zip(tiny["before"], tiny["model"].parameters(), strict=True))
    paper = tiny["paper"]
    assert len(paper.figures) == 2 and "retrain" in paper.figures[1].title
    names = {verdict.name for verdict in paper.assumptions}
    assert names == {"near_stationary_point", "hessian_is_gauss_newton", "lazy_regime",
                     "first_order_valid"}
