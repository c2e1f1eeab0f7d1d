"""Paper 003 in ``theorylab.diagnose``: the curvature-aligned criterion of the top-D eigenspace
against random frames on a next batch, each against a dense float64 brute force."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.linalg

torch = pytest.importorskip("torch")

from tests.test_diagnose import _flat, tiny_data, tiny_model  # noqa: E402
from theorylab import diagnose  # noqa: E402
from theorylab.diagnose.model import AssumptionStatus  # noqa: E402
from theorylab.diagnose.paper003 import FRAMES, SIGMA, diagnose_paper003, random_frames  # noqa: E402
from theorylab.diagnose.problem import prepare_problem  # noqa: E402
from theorylab.errors import NonFiniteError, ShapeError  # noqa: E402

EPS = float(np.finfo(np.float64).eps)
ETA, BATCH = 0.1, 2


def _next_data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(7)
    inputs = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    return inputs, torch.sin(inputs.sum(1))


def _gm(a: float, c: np.ndarray, b: np.ndarray, sigma: float) -> float:
    """E[(a + cᵀz + ½zᵀBz)²], z ~ N(0, σ²I), written out from Isserlis' theorem."""
    s2 = sigma**2
    return (a * a + a * s2 * np.trace(b) + s2 * c @ c
            + s2 * s2 / 4 * (2 * np.sum(b * b) + np.trace(b) ** 2))


def _dense_increment(model, train, following):
    """θ, ρ, and the increment L_{n+m} − L_n's value, gradient and Hessian (dense autograd)."""
    theta, call = _flat(model)
    (x, y), (x_next, y_next) = train, following
    n, m = x.shape[0], x_next.shape[0]

    def increment(vector):
        grown = 0.5 * (call(vector, torch.cat([x, x_next]))[:, 0]
                       - torch.cat([y, y_next])).square().mean()
        return grown - 0.5 * (call(vector, x)[:, 0] - y).square().mean()

    def train_loss(vector):
        return 0.5 * (call(vector, x)[:, 0] - y).square().mean()

    value = float(increment(theta))
    gradient = torch.autograd.functional.jacobian(increment, theta).numpy()
    hessian = torch.autograd.functional.hessian(increment, theta).numpy()
    train_hessian = torch.autograd.functional.hessian(train_loss, theta).numpy()
    return theta.numpy(), m / (n + m), value, gradient, hessian, train_hessian


def _subspace_tolerance(paper, values, a, g, increment_hessian, dim, p, n) -> float:
    r"""How far the criterion may move between the Lanczos and the exact top-D subspace.

    The criterion is a function of the projector :math:`P = UU^\top` (``‖c‖² = gᵀPg``,
    ``Tr B = Tr PA``, ``Tr B² = Tr PAPA``), so a projector error :math:`\epsilon_P =
    \sqrt2\|\sin\Theta\|_F \le \sqrt2\|R\|_F/(\theta_D - \lambda_{D+1})` (Davis-Kahan,
    :math:`R` the Ritz residuals) moves it by at most
    :math:`\epsilon_P[\sigma^2\|g\|^2 + |a|\sigma^2\|A\|_F + \tfrac{\sigma^4}{4}(4 + 2D)
    \|A\|_F\|A\|_2]`; round-off adds :math:`64(p+n)\epsilon` of every term's size.
    """
    top = paper.quantity("subspace_criterion_top")
    residuals = np.asarray(top.residuals)
    separation = values[dim - 1] - values[dim] - residuals.max()
    projector = np.sqrt(2) * np.linalg.norm(residuals) / separation
    frobenius, spectral = np.linalg.norm(increment_hessian), np.linalg.norm(increment_hessian, 2)
    s2 = SIGMA**2
    moved = (s2 * g @ g + abs(a) * s2 * frobenius
             + s2 * s2 / 4 * (4 + 2 * dim) * frobenius * spectral)
    size = a * a + moved
    return projector * moved + 64 * (p + n) * EPS * size


def test_quantities_match_dense_brute_force():
    """Criterion (Eq. 15), pure quadratic signal (Eq. 16), a, ‖c‖, δ_i vs dense autograd."""
    model, train, following = tiny_model(), tiny_data(), _next_data()
    problem = prepare_problem(model, train, loss="mse", learning_rate=ETA, batch_size=BATCH,
                              next_batch=following)
    paper = diagnose_paper003(problem)
    theta, _, a, g, increment_hessian, train_hessian = _dense_increment(model, train, following)
    p, n, dim = theta.size, problem.num_samples, problem.level.top_k
    values, vectors = np.linalg.eigh(train_hessian)
    values, top = values[::-1], vectors[:, ::-1][:, :dim]
    frames = random_frames(p, dim, FRAMES, problem.seed + 3).numpy()
    assert np.allclose(frames.transpose(0, 2, 1) @ frames, np.eye(dim), atol=64 * p * EPS)
    block = top.T @ increment_hessian @ top
    tolerance = _subspace_tolerance(paper, values, a, g, increment_hessian, dim, p, n)
    assert abs(paper.quantity("subspace_criterion_top").value
               - _gm(a, top.T @ g, block, SIGMA)) <= tolerance
    pure = SIGMA**4 / 4 * (2 * np.sum(block * block) + np.trace(block) ** 2)
    assert abs(paper.quantity("pure_quadratic_signal_top").value - pure) <= tolerance
    # the frames are the same Haar draws: only round-off separates the two routes
    frame_gm = np.array([_gm(a, f.T @ g, f.T @ increment_hessian @ f, SIGMA) for f in frames])
    random = paper.quantity("subspace_criterion_random")
    roundoff = 64 * (p + n) * EPS * float(np.max(np.abs(frame_gm)))
    assert abs(random.value - frame_gm.mean()) <= roundoff
    assert abs(random.stderr - frame_gm.std(ddof=1) / np.sqrt(FRAMES)) <= roundoff
    frame_pure = [SIGMA**4 / 4 * (2 * np.sum(b * b) + np.trace(b) ** 2)
                  for b in (f.T @ increment_hessian @ f for f in frames)]
    assert abs(paper.quantity("pure_quadratic_signal_random").value
               - np.mean(frame_pure)) <= 64 * (p + n) * EPS * max(frame_pure)
    scale = 64 * (p + n) * EPS
    assert abs(paper.quantity("value_gap").value - a) <= scale * abs(a)
    # ‖c‖ and δ_i depend on the basis only through P and through sign-free diagonals
    projector_error = tolerance / max(SIGMA**2 * g @ g, EPS)
    assert abs(paper.quantity("projected_gradient_norm").value
               - np.linalg.norm(top.T @ g)) <= (projector_error + scale) * np.linalg.norm(g)
    assert np.allclose(paper.quantity("eigenvalue_increments").values, np.diag(block),
                       rtol=0, atol=(projector_error + scale) * np.abs(increment_hessian).sum())
    curve = paper.quantity("subspace_criterion_curve")
    assert curve.grid == list(range(1, dim + 1)) and curve.values[-1] == pytest.approx(
        paper.quantity("subspace_criterion_top").value, rel=0, abs=0)
    top_quantity = paper.quantity("subspace_criterion_top")
    assert top_quantity.matvecs > 0 and top_quantity.seconds > 0
    assert "Eq. 15" in top_quantity.reference
    assert len(paper.figures) == 1 and len(paper.figures[0].series[0].y) == dim


def _linear_problem(next_gram, perturb: float = 0.0):
    """y = X w* (n = 16, p = 8), the weights w* (+ perturb · noise), a next batch with the
    Gram matrix ``next_gram(H)`` (X' = √m G'^{1/2}, m = p rows, teacher targets)."""
    generator = torch.Generator().manual_seed(3)
    p, n = 8, 16
    inputs = torch.randn(n, p, generator=generator, dtype=torch.float64)
    inputs = inputs * torch.linspace(2.0, 0.3, p, dtype=torch.float64)  # a spread spectrum
    teacher = torch.randn(p, generator=generator, dtype=torch.float64)
    model = torch.nn.Linear(p, 1, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(teacher + perturb * torch.randn(p, generator=generator,
                                                            dtype=torch.float64))
    hessian = (inputs.T @ inputs / n).numpy()
    root = scipy.linalg.sqrtm(next_gram(hessian)).real
    next_inputs = torch.from_numpy(np.sqrt(p) * root)
    problem = prepare_problem(model, (inputs, inputs @ teacher), loss="mse", learning_rate=ETA,
                              batch_size=BATCH,
                              next_batch=(next_inputs, next_inputs @ teacher))
    problem.level = dataclasses.replace(problem.level, top_k=2)
    effective_trace = float(inputs.square().sum() / n)  # J_i = x_iᵀ for a linear model
    return problem, effective_trace, hessian


def _grow_curvature(hessian):
    return 4.0 * hessian  # X' = 2X in law: every eigenvalue increment is +3λ_i > 0


def _shrink_top_grow_bottom(hessian):
    values, vectors = np.linalg.eigh(hessian)
    bottom = vectors[:, :-2]  # all but the top D = 2
    return 0.5 * hessian + 50.0 * values[-1] * bottom @ bottom.T


def test_verdicts_hold_when_the_next_batch_sharpens_the_top_directions():
    problem, effective_trace, _ = _linear_problem(_grow_curvature)
    paper = diagnose_paper003(problem, effective_trace)
    assert paper.assumption("top_d_beats_random").status is AssumptionStatus.HOLDS
    assert paper.assumption("top_d_beats_random").numbers["z"] > 3
    assert paper.assumption("nonnegative_increments").status is AssumptionStatus.HOLDS
    assert paper.assumption("stationary_point").status is AssumptionStatus.HOLDS


def test_verdicts_fail_when_the_next_batch_sharpens_other_directions():
    problem, effective_trace, _ = _linear_problem(_shrink_top_grow_bottom)
    paper = diagnose_paper003(problem, effective_trace)
    assert paper.assumption("top_d_beats_random").status is AssumptionStatus.FAILS
    assert paper.assumption("nonnegative_increments").status is AssumptionStatus.FAILS
    moved, trace, _ = _linear_problem(_grow_curvature, perturb=0.1)
    assert diagnose_paper003(moved, trace).assumption(
        "stationary_point").status is AssumptionStatus.FAILS
    assert diagnose_paper003(moved).assumption(
        "stationary_point").status is AssumptionStatus.UNDECIDED


def test_criterion_matches_monte_carlo_of_the_explicit_increment():
    """A linear model's increment is exactly quadratic: Eq. 15 = E[(L_{n+m} − L_n)²(w + Uz)]
    over z ~ N(0, σ²I), the losses evaluated explicitly on the train and next batches
    (Monte Carlo mean within 5 standard errors, stderr = sd/√R)."""
    problem, _, hessian = _linear_problem(_grow_curvature, perturb=0.1)
    paper = diagnose_paper003(problem)
    x, y = problem.inputs.numpy(), problem.targets.numpy()
    x_next, y_next = (t.numpy() for t in problem.next_batch)
    grown_x, grown_y = np.vstack([x, x_next]), np.concatenate([y, y_next])
    top = np.linalg.eigh(hessian)[1][:, ::-1][:, :2]
    rng = np.random.default_rng(0)
    points = problem.functional.theta.numpy() + SIGMA * rng.standard_normal((20_000, 2)) @ top.T

    def loss(inputs, targets):
        return 0.5 * np.mean((points @ inputs.T - targets) ** 2, axis=1)

    squares = (loss(grown_x, grown_y) - loss(x, y)) ** 2
    stderr = squares.std(ddof=1) / np.sqrt(squares.size)
    assert abs(paper.quantity("subspace_criterion_top").value - squares.mean()) <= 5 * stderr
    direct = paper.quantity("subspace_criterion_direct")
    assert abs(direct.value - squares.mean()) <= 5 * np.hypot(stderr, direct.stderr)
    assert paper.assumption("local_quadratic_model").status is AssumptionStatus.HOLDS


def test_local_quadratic_model_fails_far_from_the_point():
    """A network with tanh outputs has losses ≤ 2, so its increment is bounded, while the
    quadratic model grows as σ²|z|²: at σ = 10 the surrogate's criterion is far above the
    true one; at the default σ the two agree (Eq. 7)."""
    torch.manual_seed(0)
    bounded = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1),
                                  torch.nn.Tanh()).double()
    problem = prepare_problem(bounded, tiny_data(), loss="mse", learning_rate=ETA,
                              batch_size=BATCH, next_batch=_next_data())
    near = diagnose_paper003(problem).assumption("local_quadratic_model")
    far = diagnose_paper003(problem, sigma=10.0).assumption("local_quadratic_model")
    assert near.status is AssumptionStatus.HOLDS and far.status is AssumptionStatus.FAILS


def test_without_next_batch_paper_003_says_what_it_needs():
    problem = prepare_problem(tiny_model(), tiny_data(), loss="mse", learning_rate=ETA,
                              batch_size=BATCH)
    paper = diagnose_paper003(problem)
    assert not paper.quantities and "next_batch" in paper.not_computed[0]


def _nan_next_data():
    inputs, targets = _next_data()
    inputs[0, 0] = float("nan")
    return inputs, targets


@pytest.mark.parametrize(("next_batch", "error"), [
    ((torch.zeros(3, 5, dtype=torch.float64), torch.zeros(3)), ShapeError),
    ((torch.zeros(3, 4, dtype=torch.float64), torch.zeros(3, 2)), ShapeError),
    (_nan_next_data, NonFiniteError),
    (lambda: [_next_data(), _nan_next_data()], NonFiniteError),
])
def test_bad_next_batch_raises_a_typed_error_before_computing(next_batch, error):
    with pytest.raises(error):
        diagnose(tiny_model(), tiny_data(), loss="mse", learning_rate=ETA, batch_size=BATCH,
                 next_batch=next_batch)


def test_cli_next_data(tmp_path, capsys):
    """``--next-data`` is loaded like ``--data``: a NaN batch exits 2, a good one is diagnosed."""
    import json

    from theorylab.cli import main

    report = tmp_path / "out"
    base = ["diagnose", "--model", "tests.test_diagnose:tiny_model", "--data",
            "tests.test_diagnose:tiny_data", "--lr", "0.1", "--batch-size", "2",
            "--skip", "hessian_trace,spectral_density,000,001,002,004", "--report", str(report)]
    assert main([*base, "--next-data", "tests.test_diagnose_paper003:_nan_next_data"]) == 2
    assert "Traceback" not in capsys.readouterr().err and not report.exists()
    assert main([*base, "--next-data", "tests.test_diagnose_paper003:_next_data"]) == 0
    written = json.loads((report / "diagnosis.json").read_text())
    paper = next(item for item in written["papers"] if item["paper"] == "003")
    assert {q["name"] for q in paper["quantities"]} >= {"subspace_criterion_top",
                                                         "subspace_criterion_random"}
