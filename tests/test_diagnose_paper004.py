"""Paper 004 in ``theorylab.diagnose``: every quantity against a dense float64 brute force.

Oracles: per-sample gradients by one autograd call per sample; the Fisher by its definition
:math:`\\mathbb{E}_{y\\sim q(\\cdot|x)}[\\nabla\\ell\\nabla\\ell^\\top]` (every class enumerated
for the categorical and Bernoulli models, :math:`J^\\top J` from the autograd Jacobian for the
unit Gaussian); numpy ``eigvalsh`` soft ranks; the SLQ estimate within 4 standard deviations
of the Rademacher (Hutchinson) law of the exact :math:`f(F)`; KFAC against
``block_diag(kron(G_l, A_l))`` built from autograd pre-activation derivatives; the
error/uncertainty ratio from :func:`theorylab.solvers.soft_rank.error_uncertainty_ratio`.
The calibration verdict is checked on models whose labels are drawn from their own
predictive distribution (holds) and from a mis-specified one (fails).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorylab.diagnose import diagnose  # noqa: E402
from theorylab.diagnose.model import AssumptionStatus, Quantity  # noqa: E402
from theorylab.diagnose.paper004 import diagnose_paper004  # noqa: E402
from theorylab.diagnose.paper004_gap import gap_verdict  # noqa: E402
from theorylab.diagnose.problem import prepare_problem  # noqa: E402
from theorylab.errors import NonFiniteError, ParameterError  # noqa: E402
from theorylab.solvers.soft_rank import error_uncertainty_ratio  # noqa: E402

EPS = float(np.finfo(np.float64).eps)


def mlp(outputs: int, seed: int = 0) -> torch.nn.Sequential:
    """3 -> 4 -> outputs tanh MLP (p = 16 + 5 outputs)."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                               torch.nn.Linear(4, outputs)).double()


def inputs(samples: int, seed: int) -> torch.Tensor:
    return torch.randn(samples, 3, generator=torch.Generator().manual_seed(seed),
                       dtype=torch.float64)


def own_labels(model, x, loss: str, seed: int, scale: float = 1.0) -> torch.Tensor:
    """Labels drawn from the model's predictive distribution (``scale`` ≠ 1: mis-specified)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        f = model(x)
    if loss == "cross_entropy":
        return torch.multinomial(torch.softmax(scale * f, -1), 1, generator=generator)[:, 0]
    if loss == "binary_cross_entropy":
        return torch.bernoulli(torch.sigmoid(scale * f[:, 0]), generator=generator)
    return f + scale * torch.randn(f.shape, generator=generator, dtype=torch.float64)


def problem(model, x, y, loss, held_out=None, level="quick"):
    return prepare_problem(model, (x, y), loss=loss, learning_rate=0.1, batch_size=4,
                           held_out=held_out, level=level)


def per_sample_loss(loss: str, f: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if loss == "cross_entropy":
        return torch.nn.functional.cross_entropy(f.unsqueeze(0), y.reshape(1))
    if loss == "binary_cross_entropy":
        return torch.nn.functional.binary_cross_entropy_with_logits(f.reshape(()), y.reshape(()))
    return 0.5 * (f - y).square().sum()


def gradient(model, x, y, loss) -> np.ndarray:
    value = per_sample_loss(loss, model(x.unsqueeze(0))[0], y)
    grads = torch.autograd.grad(value, list(model.parameters()))
    return torch.cat([g.reshape(-1) for g in grads]).numpy()


def brute_force(model, x, y, loss) -> tuple[np.ndarray, np.ndarray]:
    """``(F, C)``: the Fisher by enumerating labels (or JᵀJ), C from per-sample gradients."""
    grads = np.stack([gradient(model, x[i], y[i], loss) for i in range(len(x))])
    covariance = grads.T @ grads / len(x)
    fisher = np.zeros_like(covariance)
    for i in range(len(x)):
        with torch.no_grad():
            f = model(x[i:i + 1])[0]
        if loss == "cross_entropy":
            for c, p in enumerate(torch.softmax(f, -1).tolist()):
                g = gradient(model, x[i], torch.tensor(c), loss)
                fisher += p * np.outer(g, g)
        elif loss == "binary_cross_entropy":
            p = float(torch.sigmoid(f[0]))
            for label, weight in ((1.0, p), (0.0, 1 - p)):
                g = gradient(model, x[i], torch.tensor(label, dtype=torch.float64), loss)
                fisher += weight * np.outer(g, g)
        else:
            params = list(model.parameters())
            jac = torch.autograd.functional.jacobian(
                lambda *ps, i=i: torch.func.functional_call(
                    model, dict(zip([n for n, _ in model.named_parameters()], ps,
                                    strict=True)), (x[i:i + 1],))[0], tuple(params))
            j = torch.cat([t.reshape(t.shape[0], -1) for t in jac], 1).numpy()
            fisher += j.T @ j
    return fisher / len(x), covariance


def soft_rank(values: np.ndarray, lam: float) -> float:
    values = np.clip(values, 0.0, None)
    return float(np.sum(values / (values + lam)))


def rank_tolerance(fisher: np.ndarray, lam: float) -> float:
    """Round-off of F (64 p ε ‖F‖ per eigenvalue) over λ, summed over the p eigenvalues."""
    p = fisher.shape[0]
    return p * 64 * p * EPS * float(np.linalg.norm(fisher, 2)) / lam


@pytest.mark.parametrize(("loss", "outputs"), [("cross_entropy", 3), ("mse", 2),
                                              ("binary_cross_entropy", 1)])
def test_exact_soft_rank_and_calibration_quantities_match_brute_force(loss, outputs):
    model = mlp(outputs)
    x = inputs(40, 1)
    y = own_labels(model, x, loss, 2)
    paper = diagnose_paper004(problem(model, x, y, loss), weight_decay=0.05)
    fisher, covariance = brute_force(model, x, y, loss)
    tol = rank_tolerance(fisher, 0.05)
    assert paper.quantity("regularization").value == 0.05
    exact = soft_rank(np.linalg.eigvalsh(fisher), 0.05)
    assert abs(paper.quantity("fisher_soft_rank_exact").value - exact) <= tol
    scale = np.linalg.norm(fisher)
    rel = 64 * fisher.shape[0] * EPS * max(np.linalg.norm(covariance), scale) / scale
    assert paper.quantity("calibration_deviation").value == pytest.approx(
        np.linalg.norm(covariance - fisher) / scale, abs=rel)
    assert paper.quantity("trace_ratio").value == pytest.approx(
        np.trace(covariance) / np.trace(fisher), rel=rel)
    assert paper.quantity("covariance_fisher_alignment").value == pytest.approx(
        np.sum(covariance * fisher) / (np.linalg.norm(covariance) * scale), abs=rel)
    tic = np.trace(np.linalg.solve(fisher + 0.05 * np.eye(len(fisher)), covariance))
    eq8 = np.trace(covariance) / np.trace(fisher) * exact
    assert paper.quantity("regularized_tic_ratio").value == pytest.approx(tic / eq8, rel=1e-8)
    assert paper.quantity("predicted_gap_calibrated").value == pytest.approx(exact / 40,
                                                                             abs=tol / 40)


def test_condition_number_matches_dense_jacobians():
    """Prop. 5.3's κ = cond E[J (F + λI)⁻¹ Jᵀ] from autograd Jacobians and the brute-force F."""
    model, lam = mlp(3), 0.05
    x = inputs(30, 3)
    y = own_labels(model, x, "cross_entropy", 4)
    paper = diagnose_paper004(problem(model, x, y, "cross_entropy"), weight_decay=lam)
    fisher, _ = brute_force(model, x, y, "cross_entropy")
    names = [n for n, _ in model.named_parameters()]
    inverse = np.linalg.inv(fisher + lam * np.eye(len(fisher)))
    mean = np.zeros((3, 3))
    for i in range(30):
        jac = torch.autograd.functional.jacobian(
            lambda *ps, i=i: torch.func.functional_call(
                model, dict(zip(names, ps, strict=True)), (x[i:i + 1],))[0],
            tuple(model.parameters()))
        j = torch.cat([t.reshape(3, -1) for t in jac], 1).numpy()
        mean += j @ inverse @ j.T / 30
    values = np.linalg.eigvalsh(mean)
    assert paper.quantity("prop53_condition_number").value == pytest.approx(
        values[-1] / values[0], rel=1e-6)


def test_slq_soft_rank_within_four_sd_of_exact():
    """With steps ≥ p the Gauss rule is exact, so SLQ is Hutchinson on f(F) = F(F+λ)⁻¹."""
    model, lam = mlp(3), 0.05
    x = inputs(40, 5)
    y = own_labels(model, x, "cross_entropy", 6)
    paper = diagnose_paper004(problem(model, x, y, "cross_entropy", level="full"),
                              weight_decay=lam)
    fisher, _ = brute_force(model, x, y, "cross_entropy")
    values, vectors = np.linalg.eigh(fisher)
    values = np.clip(values, 0.0, None)
    f_of = (vectors * (values / (values + lam))) @ vectors.T
    probes = 30  # LEVELS["full"].slq_probes; p = 31 <= slq_steps = 80
    sd = math.sqrt(2 * (np.sum(f_of**2) - np.sum(np.diag(f_of) ** 2)) / probes)
    slq = paper.quantity("fisher_soft_rank_slq")
    assert abs(slq.value - soft_rank(values, lam)) <= 4 * sd
    assert slq.matvecs > 0 and slq.stderr > 0


def test_kfac_soft_rank_matches_dense_kronecker_definition():
    """KFAC = block_diag(G_l ⊗ A_l), G_l = mean DᵢᵀΣᵢDᵢ, A_l = mean āᵢāᵢᵀ (Sec. 6)."""
    model, lam = mlp(3), 0.05
    x = inputs(25, 7)
    y = own_labels(model, x, "cross_entropy", 8)
    paper = diagnose_paper004(problem(model, x, y, "cross_entropy"), weight_decay=lam)
    first, _, second = model
    blocks_g = [np.zeros((4, 4)), np.zeros((3, 3))]
    blocks_a = [np.zeros((4, 4)), np.zeros((5, 5))]
    for i in range(25):
        s1 = first(x[i]).detach()
        h = torch.tanh(s1)
        d1 = torch.autograd.functional.jacobian(lambda s: second(torch.tanh(s)), s1).numpy()
        p = torch.softmax(second(h), -1).detach().numpy()
        sigma = np.diag(p) - np.outer(p, p)
        for layer, (d, a) in enumerate([(d1, x[i]), (np.eye(3), h)]):
            bar = np.append(a.detach().numpy(), 1.0)
            blocks_g[layer] += d.T @ sigma @ d / 25
            blocks_a[layer] += np.outer(bar, bar) / 25
    values = np.concatenate([np.linalg.eigvalsh(np.kron(g, a))
                             for g, a in zip(blocks_g, blocks_a, strict=True)])
    kfac = paper.quantity("fisher_soft_rank_kfac")
    assert kfac.value == pytest.approx(soft_rank(values, lam), abs=rank_tolerance(
        np.kron(blocks_g[0], blocks_a[0]), lam))
    assert "0, 2" in kfac.method


@pytest.mark.parametrize(("loss", "outputs"), [("cross_entropy", 3), ("mse", 2)])
def test_calibration_verdict_holds_for_own_labels_and_fails_when_misspecified(loss, outputs):
    """Mis-specified: labels from the softmax of 3x the logits / Gaussian noise of std 3."""
    model = mlp(outputs)
    with torch.no_grad():
        model[2].weight.mul_(4.0)  # confident predictions: C - F is large when mis-specified
    x = inputs(800, 9)
    calibrated = diagnose_paper004(problem(model, x, own_labels(model, x, loss, 10), loss))
    assert calibrated.assumption("calibrated").status is AssumptionStatus.HOLDS
    wrong = diagnose_paper004(problem(model, x, own_labels(model, x, loss, 10, scale=3.0),
                                      loss))
    verdict = wrong.assumption("calibrated")
    assert verdict.status is AssumptionStatus.FAILS
    assert verdict.numbers["deviation"] > 3 * verdict.numbers["null_stderr"]


def test_gap_quantities_match_per_sample_losses_and_the_solver():
    model, lam = mlp(3), 0.05
    x, xh = inputs(40, 11), inputs(60, 12)
    y, yh = own_labels(model, x, "cross_entropy", 13), own_labels(model, xh, "cross_entropy", 14)
    paper = diagnose_paper004(problem(model, x, y, "cross_entropy", held_out=(xh, yh)),
                              weight_decay=lam)
    with torch.no_grad():
        train = torch.nn.functional.cross_entropy(model(x), y, reduction="none").numpy()
        held = torch.nn.functional.cross_entropy(model(xh), yh, reduction="none").numpy()
        probabilities = torch.softmax(model(xh), -1).numpy()
    measured = paper.quantity("measured_gap")
    assert measured.value == pytest.approx(held.mean() - train.mean(), abs=1e3 * EPS)
    assert measured.stderr == pytest.approx(math.hypot(held.std(ddof=1) / math.sqrt(60),
                                                       train.std(ddof=1) / math.sqrt(40)))
    alpha = error_uncertainty_ratio(probabilities, yh.numpy()).ratio
    assert paper.quantity("error_uncertainty_held_out").value == pytest.approx(alpha, rel=1e-12)
    rank = paper.quantity("fisher_soft_rank_exact").value
    kappa = paper.quantity("prop53_condition_number").value
    predicted = paper.quantity("predicted_gap")
    assert predicted.value == pytest.approx(alpha * rank / 40, rel=1e-12)
    assert predicted.values == pytest.approx([alpha * rank / 40 / kappa,
                                              alpha * rank / 40 * kappa], rel=1e-12)
    assert paper.assumption("gap_within_prediction").numbers["measured"] == measured.value
    fisher, covariance = brute_force(model, xh, yh, "cross_entropy")  # calibration: held-out
    assert paper.quantity("trace_ratio").value == pytest.approx(
        np.trace(covariance) / np.trace(fisher), rel=64 * len(fisher) * EPS)
    assert "held-out" in paper.quantity("trace_ratio").method
    assert len(paper.figures) == 2


def test_gap_verdict_holds_undecided_fails():
    predicted = Quantity(name="predicted_gap", value=0.1, stderr=0.01, values=[0.08, 0.12])
    cases = [(0.11, 0.01, AssumptionStatus.HOLDS), (0.02, 0.05, AssumptionStatus.UNDECIDED),
             (0.5, 0.01, AssumptionStatus.FAILS)]
    for value, stderr, status in cases:
        measured = Quantity(name="measured_gap", value=value, stderr=stderr)
        assert gap_verdict(measured, predicted).status is status


def test_without_held_out_the_gap_is_not_computed_but_rank_and_calibration_are():
    model = mlp(3)
    x = inputs(30, 15)
    paper = diagnose_paper004(problem(model, x, own_labels(model, x, "cross_entropy", 16),
                                      "cross_entropy"))
    assert any("held_out" in reason for reason in paper.not_computed)
    with pytest.raises(KeyError):
        paper.quantity("measured_gap")
    assert paper.quantity("fisher_soft_rank_exact").computed
    assert paper.assumption("calibrated").status in AssumptionStatus
    lam = paper.quantity("regularization")
    fisher, _ = brute_force(model, x, own_labels(model, x, "cross_entropy", 16),
                            "cross_entropy")
    assert lam.value == pytest.approx(1e-3 * np.linalg.eigvalsh(fisher)[-1], rel=1e-8)


def test_callable_loss_and_over_budget_and_bad_weight_decay():
    model = mlp(2)
    x = inputs(20, 17)
    y = own_labels(model, x, "mse", 18)
    paper = diagnose_paper004(problem(model, x, y, torch.nn.functional.mse_loss))
    assert not paper.quantities and "exponential-family" in paper.not_computed[0]
    small = prepare_problem(model, (x, y), loss="mse", learning_rate=0.1, batch_size=4,
                            memory_budget=20_000)
    tight = diagnose_paper004(small, fisher_top=1.0)
    assert any("memory budget" in reason for reason in tight.not_computed)
    assert tight.quantity("fisher_soft_rank_slq").computed
    assert tight.quantity("regularization").value == 1e-3
    with pytest.raises(ParameterError):
        diagnose_paper004(problem(model, x, y, "mse"), weight_decay=-1.0)


def test_diagnose_runs_paper_004_and_can_skip_it():
    model = mlp(3)
    x = inputs(20, 19)
    y = own_labels(model, x, "cross_entropy", 20)
    result = diagnose(model, (x, y), loss="cross_entropy", learning_rate=0.1, batch_size=4,
                      skip=("000", "001", "002", "spectral_density", "hessian_trace"),
                      weight_decay=0.01)
    assert [paper.paper for paper in result.papers] == ["000", "001", "002", "003", "004"]
    assert result.paper("004").quantity("regularization").value == 0.01
    skipped = diagnose(model, (x, y), loss="cross_entropy", learning_rate=0.1, batch_size=4,
                       skip=("000", "001", "002", "004"))
    assert "skipped" in skipped.paper("004").not_computed[0]
    with pytest.raises((ParameterError, NonFiniteError)):
        diagnose(model, (x, y), loss="cross_entropy", learning_rate=0.1, batch_size=4,
                 weight_decay=float("inf"))
