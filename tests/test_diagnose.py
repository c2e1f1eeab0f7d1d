"""``theorylab.diagnose``: every quantity against a dense float64 brute force on a tiny model.

Oracles, named per test: the dense autograd Hessian (``torch.autograd.functional.hessian``),
the dense output Jacobian (``torch.autograd.functional.jacobian``) and its Gram matrix, dense
per-sample Hessians and gradients by per-sample autograd loops, the Moore-Penrose pseudo-
inverse for the label-noise TPV, and the second-moment operator ``T`` of paper 002 built by
enumerating every minibatch (``enumerated_second_moment_operator``). Each assumption verdict
is checked on a model built so that it holds and on one built so that it fails. Argument,
data and CLI handling are tested in ``tests/test_diagnose_inputs.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorylab.diagnose.model import AssumptionStatus  # noqa: E402
from theorylab.diagnose.paper000 import stationarity  # noqa: E402
from theorylab.diagnose.paper001 import alpha_fit, diagnose_paper001  # noqa: E402
from theorylab.diagnose.paper002 import _verdicts  # noqa: E402
from theorylab.diagnose.problem import prepare_problem  # noqa: E402
from theorylab.solvers.awd import empirical_noise_covariance  # noqa: E402
from theorylab.solvers.noise_kernel import noise_kernel_norm  # noqa: E402
from theorylab.solvers.noise_kernel_second_moment import enumerated_second_moment_operator  # noqa: E402

EPS = float(np.finfo(np.float64).eps)
LEARNING_RATE, BATCH = 0.1, 2


def tiny_model() -> torch.nn.Module:
    """4 -> 8 -> 1 tanh MLP, p = 49 (also the CLI's --model in the bad-input tests)."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(),
                               torch.nn.Linear(8, 1)).double()


def tiny_data() -> tuple[torch.Tensor, torch.Tensor]:
    """12 samples: inputs (12, 4), targets (12,)."""
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(12, 4, generator=generator, dtype=torch.float64)
    return inputs, torch.sin(inputs.sum(1))


def _flat(model: torch.nn.Module) -> tuple[torch.Tensor, object]:
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    theta = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def call(vector: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        pieces = torch.split(vector, [math.prod(s) for s in shapes])
        state = {n: t.view(s) for n, t, s in zip(names, pieces, shapes, strict=True)}
        return torch.func.functional_call(model, state, (inputs,)).reshape(inputs.shape[0], -1)

    return theta, call


@pytest.fixture(scope="module")
def tiny():
    model, (inputs, targets) = tiny_model(), tiny_data()
    held = torch.randn(5, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    diagnosis = __import__("theorylab").diagnose(
        model, (inputs, targets), loss="mse", learning_rate=LEARNING_RATE, batch_size=BATCH,
        held_out=(held, torch.zeros(5, dtype=torch.float64)))
    theta, call = _flat(model)

    def loss(vector: torch.Tensor) -> torch.Tensor:
        return 0.5 * (call(vector, inputs)[:, 0] - targets).square().mean()

    hessian = torch.autograd.functional.hessian(loss, theta).numpy()
    jacobian = torch.autograd.functional.jacobian(lambda v: call(v, inputs)[:, 0], theta).numpy()
    held_jacobian = torch.autograd.functional.jacobian(lambda v: call(v, held)[:, 0],
                                                       theta).numpy()
    return {"diagnosis": diagnosis, "hessian": hessian, "jacobian": jacobian,
            "held_jacobian": held_jacobian, "theta": theta, "call": call, "inputs": inputs,
            "targets": targets, "loss": loss, "model": model}


def _roundoff(matrix: np.ndarray) -> float:
    """64 p eps ||A||: the float64 error of a backward-stable eigen-solve of a p x p matrix."""
    return 64 * matrix.shape[0] * EPS * float(np.linalg.norm(matrix, 2))


def test_top_eigenvalues_match_dense_hessian_and_ggn(tiny):
    """Oracle: eigvalsh of the dense autograd Hessian and of JᵀJ/n; a Ritz value lies within
    its residual of an eigenvalue (plus the dense solve's round-off)."""
    diagnosis, n = tiny["diagnosis"], tiny["inputs"].shape[0]
    ggn = tiny["jacobian"].T @ tiny["jacobian"] / n
    for name, dense in (("hessian_top_eigenvalues", tiny["hessian"]),
                        ("ggn_top_eigenvalues", ggn)):
        quantity = diagnosis.curvature_quantity(name)
        expected = np.sort(np.linalg.eigvalsh(dense))[::-1][: len(quantity.values)]
        bound = np.asarray(quantity.residuals) + _roundoff(dense)
        assert np.all(np.abs(np.asarray(quantity.values) - expected) <= bound), name


def test_exact_traces_match_dense(tiny):
    """Oracle: Tr of the dense Hessian; ||J||_F²/n for Tr H_eff (paper 000, Eq. 7)."""
    diagnosis, n = tiny["diagnosis"], tiny["inputs"].shape[0]
    hessian = tiny["hessian"]
    assert abs(diagnosis.curvature_quantity("hessian_trace").value - np.trace(hessian)) <= (
        _roundoff(hessian))
    effective = float(np.sum(tiny["jacobian"] ** 2)) / n
    assert abs(diagnosis.curvature_quantity("effective_curvature_trace").value - effective) <= (
        64 * tiny["jacobian"].size * EPS * effective)


def _hutchinson_sd(matrix: np.ndarray, probes: int) -> float:
    """Exact sd of the mean of ``probes`` Rademacher estimates z'Az/p of Tr A/p.

    Var(z'Az) = 2(||A||_F² - Σ A_ii²) for Rademacher z and symmetric A (Hutchinson 1990).
    """
    size = matrix.shape[0]
    variance = 2 * (np.sum(matrix**2) - np.sum(np.diag(matrix) ** 2))
    return math.sqrt(variance / probes) / size


def test_slq_density_moments_match_dense_hessian(tiny):
    """Oracle: Tr H/p and Tr H²/p of the dense autograd Hessian.

    A probe's Gauss rule integrates λ and λ² exactly (degree < 2m), so each probe's moment is
    z'Hz/p (z'H²z/p): the SLQ moments are Hutchinson means of N probes, whose sd is known
    exactly from H (:func:`_hutchinson_sd`). The tolerance is 5 sd (Chebyshev: a miss has
    probability ≤ 1/25 for any seed; here the seed is fixed). The reported stderr estimates that
    sd from the same N probes; its relative error is ~1/sqrt(2(N-1)), so it must lie within a
    factor 3 of the exact sd for N = 10 (checked). The smoothed density integrates to 1 up to
    the Gaussian tails cut off 3σ beyond the extreme nodes, at most 2Φ(-3) < 0.0027.
    """
    diagnosis, hessian = tiny["diagnosis"], tiny["hessian"]
    size = hessian.shape[0]
    probes = 10  # LEVELS["quick"].slq_probes
    for name, matrix in (("hessian_spectral_mean", hessian),
                         ("hessian_spectral_second_moment", hessian @ hessian)):
        quantity = diagnosis.curvature_quantity(name)
        sd = _hutchinson_sd(matrix, probes)
        assert abs(quantity.value - np.trace(matrix) / size) <= 5 * sd + _roundoff(matrix), name
        assert sd / 3 <= quantity.stderr <= 3 * sd, name
    density = diagnosis.curvature_quantity("hessian_spectral_density")
    grid, values = np.asarray(density.grid), np.asarray(density.values)
    assert density.matvecs > 0 and density.seconds > 0 and "σ =" in density.note
    assert abs(np.trapezoid(values, grid) - 1) <= 2 * 0.00135 + 1e-9
    # Ritz values interlace the spectrum, so the grid (nodes ± 3σ) overlaps [λ_min, λ_max]
    eigenvalues = np.linalg.eigvalsh(hessian)
    assert grid[0] <= eigenvalues[-1] + _roundoff(hessian)
    assert grid[-1] >= eigenvalues[0] - _roundoff(hessian)
    # σ = 1% of the (positive-weight) node range r and the grid spans r + 6σ = 106σ; the note
    # states σ to 3 significant digits; Ritz values lie in [λ_min, λ_max] (issue 16: no
    # zero-weight padding widens the grid)
    sigma = (grid[-1] - grid[0]) / 106
    stated = float(density.note.split("σ = ")[1].split()[0])
    assert abs(stated - sigma) <= 5e-3 * sigma
    assert grid[0] >= eigenvalues[0] - 3 * sigma - _roundoff(hessian)
    assert grid[-1] <= eigenvalues[-1] + 3 * sigma + _roundoff(hessian)


def test_skipped_parts_are_reported_not_computed():
    """``skip=``: the named parts have no value and say why; the rest is still computed."""
    diagnosis = __import__("theorylab").diagnose(
        tiny_model(), tiny_data(), loss="mse", learning_rate=LEARNING_RATE, batch_size=BATCH,
        skip=["hessian_trace", "spectral_density", "000", "001", "002"])
    for name in ("hessian_trace", "hessian_spectral_density", "hessian_spectral_mean"):
        quantity = diagnosis.curvature_quantity(name)
        assert not quantity.computed and "skipped" in quantity.note
    assert diagnosis.curvature_quantity("hessian_top_eigenvalues").computed
    for label in ("000", "001", "002"):
        paper = diagnosis.paper(label)
        assert not paper.quantities and "skipped" in paper.not_computed[0]


def test_label_noise_tpv_matches_pseudo_inverse(tiny):
    """Oracle: min-norm refit δw = J⁺ε, TPV_tr = ||J J⁺||_F²/n, TPV_te = ||J_te J⁺||_F²/n_te.

    The Gram route squares the condition number: relative error ~ n ε cond(JJᵀ).
    """
    paper, jacobian = tiny["diagnosis"].paper("000"), tiny["jacobian"]
    pseudo = np.linalg.pinv(jacobian)
    condition = np.linalg.cond(jacobian @ jacobian.T)
    tolerance = 8 * jacobian.shape[0] * EPS * condition
    train = np.sum((jacobian @ pseudo) ** 2) / jacobian.shape[0]
    test = np.sum((tiny["held_jacobian"] @ pseudo) ** 2) / tiny["held_jacobian"].shape[0]
    assert paper.quantity("label_noise_tpv_train").value == pytest.approx(train, rel=tolerance)
    assert paper.quantity("label_noise_tpv_test").value == pytest.approx(test, rel=tolerance)


def _per_sample(tiny) -> tuple[np.ndarray, np.ndarray]:
    theta, call = tiny["theta"], tiny["call"]
    hessians, gradients = [], []
    for x, y in zip(tiny["inputs"], tiny["targets"], strict=True):
        def sample_loss(v, x=x, y=y):
            return 0.5 * (call(v, x[None])[0, 0] - y) ** 2
        hessians.append(torch.autograd.functional.hessian(sample_loss, theta).numpy())
        gradients.append(torch.func.grad(sample_loss)(theta).numpy())
    return np.stack(hessians), np.stack(gradients)


def test_gradient_norm_and_noise_trace_match_autograd(tiny):
    """Oracle: ||∇L|| of the dense autograd gradient; Tr Σ/B from per-sample autograd gradients."""
    paper = tiny["diagnosis"].paper("000")
    gradient = torch.func.grad(tiny["loss"])(tiny["theta"]).numpy()
    _, gradients = _per_sample(tiny)
    noise = np.trace(empirical_noise_covariance(gradients, BATCH))
    scale = float(np.mean(np.sum(gradients**2, axis=1)))
    assert abs(paper.quantity("gradient_norm").value - np.linalg.norm(gradient)) <= (
        64 * gradient.size * EPS * np.abs(gradients).max())
    assert abs(paper.quantity("gradient_noise_trace").value - noise) <= 64 * gradient.size * (
        EPS * scale)


def test_psd_fraction_and_alpha_match_dense_per_sample_hessians(tiny):
    """Oracle: dense per-sample autograd Hessians and gradients fed to the same fit."""
    paper = tiny["diagnosis"].paper("001")
    hessians, gradients = _per_sample(tiny)
    smallest = np.linalg.eigvalsh(hessians)[:, 0]
    tolerance = 64 * hessians.shape[1] * EPS * np.abs(hessians).max()
    assert paper.quantity("psd_fraction").value == np.mean(smallest >= -tolerance)
    largest = float(np.linalg.eigvalsh(hessians).max())
    fit, _ = alpha_fit(hessians, empirical_noise_covariance(gradients, BATCH), largest)
    # window directions have H_ii >= 1e-6 H_max: their relative error is <= p eps 1e6
    assert paper.quantity("alpha_measured").value == pytest.approx(
        fit.alpha, abs=100 * hessians.shape[1] * EPS * 1e6)


def test_noise_kernel_quantities_match_enumerated_second_moment_operator(tiny):
    """Oracle: Θ̂ = JJᵀ/n from the dense Jacobian; T by enumerating all C(n, B) batches."""
    paper, jacobian = tiny["diagnosis"].paper("002"), tiny["jacobian"]
    n = jacobian.shape[0]
    ntk = jacobian @ jacobian.T / n
    expected_k = noise_kernel_norm(ntk, LEARNING_RATE, BATCH, restrict_to_range=True).value
    assert paper.quantity("noise_kernel_norm").value == pytest.approx(expected_k, rel=1e-8)

    def radius(eta: float) -> float:
        dense = enumerated_second_moment_operator(ntk, eta, BATCH)
        return float(np.max(np.abs(np.linalg.eigvals(dense))))

    spectral = paper.quantity("second_moment_spectral_radius")
    # the dense eig of a non-normal 144 x 144 T and ARPACK at tol 1e-10 agree to ~1e-10
    assert abs(spectral.value - radius(LEARNING_RATE)) <= 1e-8
    full = paper.quantity("noise_kernel_norm_full").value
    assert (full < 1) == (radius(LEARNING_RATE) < 1)  # K_full < 1 iff max|λ(T)| < 1
    assert paper.quantity("noise_kernel_norm").value <= full + 1e-12
    eta_star = paper.quantity("stochastic_eos_learning_rate").value
    assert radius(eta_star * (1 - 1e-3)) < 1 < radius(eta_star * (1 + 1e-3))


def test_multi_output_noise_kernel_norm_matches_dense_nk_kernel():
    """Oracle: the dense nK x nK kernel JJᵀ/n from the autograd Jacobian (App. A.7.1 blocks);
    K_full and T, defined for one output per sample, are reported as not computed."""
    torch.manual_seed(5)
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(),
                                torch.nn.Linear(5, 2)).double()
    inputs, _ = tiny_data()
    targets = torch.stack([torch.sin(inputs[:, 0]), torch.cos(inputs[:, 1])], 1)
    diagnosis = __import__("theorylab").diagnose(model, (inputs, targets), loss="mse",
                                                 learning_rate=0.05, batch_size=3)
    theta, call = _flat(model)
    jacobian = torch.autograd.functional.jacobian(lambda v: call(v, inputs).reshape(-1),
                                                  theta).numpy()
    ntk = jacobian @ jacobian.T / inputs.shape[0]
    expected = noise_kernel_norm(ntk, 0.05, 3, outputs_per_sample=2, restrict_to_range=True)
    paper = diagnosis.paper("002")
    assert paper.quantity("noise_kernel_norm").value == pytest.approx(expected.value, rel=1e-8)
    assert any("K_full" in reason for reason in paper.not_computed)
    with pytest.raises(KeyError):
        paper.quantity("second_moment_spectral_radius")


def test_papers_003_004_say_not_computed(tiny):
    """Papers without quantities in this version say so instead of being left out."""
    for label in ("003",):
        paper = tiny["diagnosis"].paper(label)
        assert not paper.quantities and "not computed" in paper.not_computed[0]


# ------------------------------------------------------------------ assumption verdicts


def _problem(model, inputs, targets, loss="mse", learning_rate=0.1, batch_size=4):
    return prepare_problem(model, (inputs, targets), loss=loss, learning_rate=learning_rate,
                           batch_size=batch_size)


def _linear_regression(exact: bool) -> tuple:
    generator = torch.Generator().manual_seed(3)
    inputs = torch.randn(12, 4, generator=generator, dtype=torch.float64)
    targets = inputs @ torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64) + 10.0
    model = torch.nn.Linear(4, 1).double()
    with torch.no_grad():
        if exact:  # trained to zero loss: the least-squares solution of the consistent system
            design = torch.cat([inputs, torch.ones(12, 1, dtype=torch.float64)], 1)
            solution = torch.linalg.lstsq(design, targets[:, None]).solution[:, 0]
            model.weight.copy_(solution[:4][None])
            model.bias.copy_(solution[4:])
        else:
            model.weight.zero_()
            model.bias.zero_()
    return model, inputs, targets


def test_psd_verdict_holds_for_linear_mse_and_fails_for_tanh_cross_entropy():
    """Linear + MSE: H_s = x̃x̃ᵀ is PSD; a tanh net with CE at large random weights is not."""
    model, inputs, targets = _linear_regression(exact=False)
    holds = diagnose_paper001(_problem(model, inputs, targets))
    assert holds.assumption("per_sample_hessians_psd").status is AssumptionStatus.HOLDS
    torch.manual_seed(4)
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    net = net.double()
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.mul_(4.0)
    labels = torch.arange(12) % 3
    fails = diagnose_paper001(_problem(net, inputs, labels, loss="cross_entropy"))
    verdict = fails.assumption("per_sample_hessians_psd")
    assert verdict.status is AssumptionStatus.FAILS and verdict.numbers["not_psd"] > 0


def test_stationarity_holds_at_zero_loss_and_fails_at_init():
    """Least-squares solution of a consistent system: ∇L = 0 to working precision; at w = 0
    with targets offset by 10 the mean gradient dwarfs the minibatch noise."""
    for exact, expected in ((True, AssumptionStatus.HOLDS), (False, AssumptionStatus.FAILS)):
        model, inputs, targets = _linear_regression(exact)
        problem = _problem(model, inputs, targets)
        trace = float(np.sum(np.concatenate([inputs.numpy(), np.ones((12, 1))], axis=1) ** 2)) / 12
        _, verdict = stationarity(problem, trace)
        assert verdict.status is expected, verdict.evidence
        numbers = verdict.numbers
        if exact:  # decided by the round-off margin, not by the noise comparison
            assert numbers["gradient_norm"] <= numbers["roundoff"]
        else:
            assert numbers["drift_to_noise"] > 1


def test_deterministic_eos_and_mse_verdicts():
    """η λ_max < 2 holds below 2/λ_max and fails above; a CE loss fails the MSE premise."""
    model, inputs, targets = _linear_regression(exact=False)
    below = {v.name: v for v in _verdicts(_problem(model, inputs, targets, learning_rate=0.1),
                                          hessian_top=1.0)}
    above = {v.name: v for v in _verdicts(_problem(model, inputs, targets, learning_rate=3.0),
                                          hessian_top=1.0)}
    assert below["below_deterministic_eos"].status is AssumptionStatus.HOLDS
    assert above["below_deterministic_eos"].status is AssumptionStatus.FAILS
    # within the Lanczos residual of the threshold the verdict is undecided, not a guess
    edge = {v.name: v for v in _verdicts(_problem(model, inputs, targets, learning_rate=2.0),
                                         hessian_top=1.0, hessian_residual=1e-3)}
    assert edge["below_deterministic_eos"].status is AssumptionStatus.UNDECIDED
    assert below["mse_loss"].status is AssumptionStatus.HOLDS
    labels = torch.arange(12) % 2
    net = torch.nn.Linear(4, 2).double()
    ce = {v.name: v for v in _verdicts(_problem(net, inputs, labels, loss="cross_entropy"), 1.0)}
    assert ce["mse_loss"].status is AssumptionStatus.FAILS
