"""Torch pieces of ``subspace.empirical``: corpus, trained point, HVP coefficients vs dense."""

from dataclasses import replace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from theorylab.gpu import HessianOperator  # noqa: E402
from theorylab.gpu.subspace_language_model import markov_corpus, train_to_minimiser  # noqa: E402
from theorylab.numerics import (  # noqa: E402
    POSITIVE_DEFINITE,
    SINGULAR_WITHIN_ROUNDOFF,
    classify_definiteness,
    roundoff_tolerance,
)


def test_markov_corpus_is_seeded_and_shifted():
    first = markov_corpus(4, 3, 20, seed=1)
    second = markov_corpus(4, 3, 20, seed=1)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert torch.equal(first[0][1:, :2], first[0][:-1, 1:])  # windows slide over one stream
    assert torch.equal(first[0][1:, -1], first[1][:-1])  # target = next token


def test_trained_point_is_written_back_and_model_is_causal():
    torch.set_num_threads(1)
    trained = train_to_minimiser(vocab_size=4, dim=8, layers=1, length=3, k=16, seed=0,
                                 max_iterations=5)
    objective = trained.objective(16)
    # oracle: the objective's flat parameters are the trained ones (HVPs are taken there)
    assert torch.equal(objective.theta, trained.theta)
    model = trained.model
    tokens = trained.windows[:4].clone()
    altered = tokens.clone()
    altered[:, -1] = (altered[:, -1] + 1) % 4
    with torch.no_grad():
        positions = torch.arange(3)
        hidden = model.blocks(model.token_embedding(tokens) + model.position_embedding(positions))
        other = model.blocks(model.token_embedding(altered) + model.position_embedding(positions))
    assert torch.equal(hidden[:, :-1], other[:, :-1])  # causal mask: no leak from the future


@pytest.mark.numerics
def test_compressed_hessian_difference_matches_dense_autograd():
    # oracle: dense float64 Hessians by torch.autograd.functional.hessian (no vmap)
    from theorylab.claims.subspace.empirical.measures import coefficients as _coefficients

    torch.set_num_threads(1)
    trained = train_to_minimiser(vocab_size=3, dim=4, layers=1, length=2, k=12, seed=2,
                                 max_iterations=5)
    before, after = trained.objective(12), trained.objective(13)
    theta = trained.theta
    basis = torch.linalg.qr(torch.randn(theta.numel(), 2, dtype=torch.float64))[0]
    gap, gradient, hessian = _coefficients(before, after, theta, basis)
    dense = (torch.autograd.functional.hessian(after, theta)
             - torch.autograd.functional.hessian(before, theta))
    expected = (basis.T @ dense @ basis).numpy()
    assert np.allclose(hessian, expected, rtol=1e-8, atol=1e-10)
    assert gap == pytest.approx(float(after(theta) - before(theta)), rel=1e-12)
    point = theta.clone().requires_grad_(True)
    increment_gradient = torch.autograd.grad(after(point) - before(point), point)[0]
    assert np.allclose(gradient, (basis.T @ increment_gradient).numpy(), rtol=1e-10, atol=1e-14)
    assert HessianOperator(before).shape == (theta.numel(), theta.numel())


def _decayed_dense_hessian(trained, theta):
    # oracle: dense float64 Hessian of L_k + decay/2 ||theta||^2 by torch.autograd.functional
    # (reverse over reverse, loops; torch.func.hessian, forward over reverse, is not symmetric
    # on this model, so it is not used as an oracle)
    objective = trained.objective(trained.k)

    def function(point):
        return objective(point) + 0.5 * trained.decay * point.square().sum()

    matrix = torch.autograd.functional.hessian(function, theta)
    point = theta.clone().requires_grad_(True)
    gradient = torch.autograd.grad(function(point), point)[0]
    return matrix, gradient, float(function(theta))


@pytest.mark.numerics
def test_polished_point_is_a_verified_minimiser_on_a_small_model():
    from theorylab.gpu.subspace_language_model import polish_to_minimiser

    torch.set_num_threads(1)
    trained = train_to_minimiser(vocab_size=3, dim=4, layers=1, length=2, k=12, seed=2,
                                 decay=1e-2, max_iterations=50)
    for dense in (True, False):
        polished, report = polish_to_minimiser(trained, dense=dense, max_iterations=20)
        matrix, gradient, value = _decayed_dense_hessian(polished, polished.theta)
        assert float(gradient.norm()) <= 1e-8 * (1 + abs(value))  # oracle: autograd gradient
        eigenvalues = torch.linalg.eigvalsh(matrix)
        # oracle: dense Hessian positive definite beyond its roundoff margin n eps ||H||_2
        assert float(eigenvalues[0]) > roundoff_tolerance(matrix, symmetric=True)
        assert report.second_order == POSITIVE_DEFINITE
        assert report.converged and report.minimiser and report.iterations <= 6
        assert report.smallest_eigenvalue == pytest.approx(float(eigenvalues[0]), rel=1e-6)
        assert report.largest_eigenvalue == pytest.approx(float(eigenvalues[-1]), rel=1e-6)
        # the polished parameters are written back: objectives (and HVPs) are taken there
        assert torch.equal(polished.objective(12).theta, polished.theta)


@pytest.fixture(scope="module")
def quick_trained():
    from theorylab.claims.subspace.empirical.experiment import QUICK

    torch.set_num_threads(1)
    return train_to_minimiser(
        vocab_size=QUICK["vocab_size"], dim=QUICK["dim"], layers=QUICK["layers"],
        length=QUICK["length"], k=QUICK["k"], decay=QUICK["decay"], seed=0,
        max_iterations=QUICK["max_iterations"], spare=QUICK["samples"], heads=QUICK["heads"],
        order=QUICK["order"], sharpness=QUICK["sharpness"], continuation=QUICK["continuation"])


@pytest.mark.numerics
def test_polish_report_is_truthful_on_the_quick_model(quick_trained):
    # One Newton step from the L-BFGS point does not reach the tolerance: the report must
    # say so, with numbers matching a dense oracle.
    from theorylab.gpu.subspace_language_model import polish_to_minimiser

    polished, report = polish_to_minimiser(quick_trained, max_iterations=1)
    matrix, gradient, value = _decayed_dense_hessian(polished, polished.theta)
    eigenvalues = torch.linalg.eigvalsh(matrix)
    assert report.gradient_norm == pytest.approx(float(gradient.norm()), rel=1e-9)
    assert report.value == pytest.approx(value, rel=1e-12) and value <= report.value_before
    assert report.smallest_eigenvalue == pytest.approx(float(eigenvalues[0]), rel=1e-6)
    assert report.largest_eigenvalue == pytest.approx(float(eigenvalues[-1]), rel=1e-6)
    assert not report.converged and not report.minimiser
    # oracle class from the autograd Hessian (which class the L-BFGS end point has depends on
    # the CPU's rounding along 2000 steps: indefinite on one machine, positive definite where
    # the attention block collapses; the report must agree with the oracle on either)
    margin = roundoff_tolerance(matrix, symmetric=True)
    assert report.second_order == classify_definiteness(float(eigenvalues[0]), margin)


@pytest.fixture(scope="module")
def quick_polished(quick_trained):
    # the experiment's own polish settings (run_probe_experiment at quick level)
    from theorylab.claims.subspace.empirical.experiment import POLISH_TOLERANCE, QUICK
    from theorylab.gpu.subspace_language_model import polish_to_minimiser

    return polish_to_minimiser(
        quick_trained, tolerance=POLISH_TOLERANCE, max_iterations=QUICK["polish_iterations"],
        cg_iterations=QUICK["cg_iterations"])


@pytest.mark.numerics
def test_quick_probe_point_is_a_verified_minimiser_modulo_symmetry(quick_polished):
    # The premise of subspace.empirical (w_k* minimises L_k + decay/2 ||theta||^2) holds at
    # the quick level with the experiment's own settings: not strictly (lambda_min ~ 1e-13 in
    # magnitude, either sign depending on the CPU, against a roundoff margin n eps ||H||_2 ~
    # 3e-10: singular within roundoff), but modulo the value/output rotation orbit.
    from theorylab.claims.subspace.empirical.experiment import POLISH_TOLERANCE, QUICK
    from theorylab.gpu.subspace_symmetry import symmetry_tangents, verify_modulo_symmetry

    polished, report = quick_polished
    matrix, gradient, value = _decayed_dense_hessian(polished, polished.theta)
    eigenvalues, eigenvectors = torch.linalg.eigh(0.5 * (matrix + matrix.T))
    # oracles: autograd gradient and dense autograd Hessian at the polished point
    assert float(gradient.norm()) <= POLISH_TOLERANCE * (1 + abs(value))
    margin = roundoff_tolerance(matrix, symmetric=True)  # n eps ||H||_2 + asymmetry
    tangents, _ = symmetry_tangents(polished.model, polished.theta)
    if not bool((tangents.norm(dim=0) > 1e-8 * float(polished.theta.norm())).any()):
        # the attention block's value/output weights collapsed to 0 on this CPU: no rotation
        # orbit, so the point is a strict minimiser and must be reported as one
        assert float(eigenvalues[0]) > margin
        assert report.converged and report.second_order == POSITIVE_DEFINITE and report.minimiser
        symmetry = verify_modulo_symmetry(polished, tolerance=POLISH_TOLERANCE)
        assert symmetry.verified and symmetry.tangent_rank == 0 == symmetry.null_dimension
        return
    assert abs(float(eigenvalues[0])) <= margin  # zero within roundoff, whatever its sign
    assert report.converged and report.second_order == SINGULAR_WITHIN_ROUNDOFF
    assert not report.minimiser  # not strict: singular, accepted modulo symmetry below
    assert report.roundoff_tolerance == pytest.approx(margin, rel=1e-3)
    tangents, _ = symmetry_tangents(polished.model, polished.theta)
    moved, _ = symmetry_tangents(polished.model, gradient)  # M grad F (the actions are linear)
    keep = tangents.norm(dim=0) > 1e-8 * float(polished.theta.norm())
    tangents, moved = tangents[:, keep], moved[:, keep]
    unit = tangents / tangents.norm(dim=0)
    # H t = M grad F for an exact symmetry: ||H t|| within roundoff of ||M grad F||
    assert bool(((matrix @ unit).norm(dim=0)
                 <= moved.norm(dim=0) / tangents.norm(dim=0) + margin).all())
    assert float((gradient @ unit).abs().max()) <= POLISH_TOLERANCE
    rank = int(torch.linalg.matrix_rank(unit, rtol=1e-8))
    span = torch.linalg.svd(unit, full_matrices=False)[0][:, :rank]
    # Kahan: the span's rank eigenvalues lie within 2 ||H Q||_2 (+ roundoff) of zero
    null = eigenvectors[:, eigenvalues.abs()
                        <= 2 * float(torch.linalg.matrix_norm(matrix @ span, ord=2)) + margin]
    assert null.shape[1] == 7 == rank
    assert float(torch.linalg.svdvals(span.T @ null).min()) >= 1 - 1e-10  # same space
    projector = torch.eye(matrix.shape[0], dtype=matrix.dtype) - span @ span.T
    restricted = torch.linalg.eigvalsh(projector @ matrix @ projector)
    assert float(restricted[null.shape[1]]) > 1e-3  # H > 0 on the complement
    symmetry = verify_modulo_symmetry(polished, tolerance=POLISH_TOLERANCE)
    assert symmetry.verified and symmetry.exact
    assert symmetry.null_dimension == symmetry.tangent_rank == 7
    assert symmetry.complement_second_order == POSITIVE_DEFINITE
    # derived Davis-Kahan bound, tighter than the former fixed 1e-6 rad
    assert max(symmetry.principal_angles) <= symmetry.angle_tolerance < 1e-6
    assert symmetry.complement_smallest_eigenvalue == pytest.approx(
        float(restricted[null.shape[1]]), rel=1e-6)
    blocks = sum(float(p.detach().square().sum()) for name, p in polished.model.named_parameters()
                 if name.startswith("blocks")) ** 0.5
    assert blocks >= 0.1 * float(polished.theta.norm())  # the attention block is active
    assert torch.equal(polished.objective(QUICK["k"]).theta, polished.theta)


@pytest.mark.numerics
def test_strict_check_is_blind_to_the_sign_of_roundoff(quick_polished, monkeypatch):
    # Simulate the other CPU: the same polished point with lambda_min of either sign. The
    # classification, the strict verdict and the modulo-symmetry verdict must not change.
    from theorylab.claims.subspace.empirical.experiment import POLISH_TOLERANCE
    from theorylab.gpu import subspace_polish as module
    from theorylab.gpu.subspace_symmetry import verify_modulo_symmetry

    polished, _ = quick_polished
    original = module._dense_extremes
    reports = []
    for sign in (1.0, -1.0):
        # lambda_min at half the roundoff margin, of either sign, whatever the trained point
        monkeypatch.setattr(module, "_dense_extremes", lambda matrix, sign=sign: replace(
            original(matrix), smallest=sign * 0.5 * roundoff_tolerance(matrix, symmetric=True)))
        _, report = module.polish_to_minimiser(polished, tolerance=POLISH_TOLERANCE)
        assert report.iterations == 0 and report.converged  # already at the point
        assert abs(report.smallest_eigenvalue) <= report.roundoff_tolerance
        reports.append((report.second_order, report.minimiser))
    assert reports == [(SINGULAR_WITHIN_ROUNDOFF, False)] * 2
    assert verify_modulo_symmetry(polished, tolerance=POLISH_TOLERANCE).verified


def test_rotation_tangents_are_exact_symmetries_of_a_generic_model():
    # oracle: the model's outputs and the parameter norm along the finite flow exp(M) theta,
    # at a random (non-critical) point where the heads' attention patterns differ
    from theorylab.gpu.models import TinyTransformer
    from theorylab.gpu.subspace_symmetry import _flow, _generator_actions

    model = TinyTransformer(vocab_size=4, dim=8, heads=2, layers=1, max_length=3,
                            seed=3).double()
    theta = torch.nn.utils.parameters_to_vector(model.parameters()).detach()
    tokens = torch.randint(4, (16, 3), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = model(tokens)
    changes = {}
    for label, act in _generator_actions(model):
        moved = _flow(act, theta, 0.7)
        assert float(act(theta) @ theta) == pytest.approx(0.0, abs=1e-12)  # antisymmetric
        assert float(moved.norm()) == pytest.approx(float(theta.norm()), rel=1e-12)
        with torch.no_grad():
            torch.nn.utils.vector_to_parameters(moved, model.parameters())
            changes[label] = float((model(tokens) - reference).abs().max())
    assert all(change <= 1e-12 for label, change in changes.items()
               if "across heads" not in label)  # within a head, query/key: exact
    # across heads: a symmetry only where the heads attend alike (not here)
    assert max(change for label, change in changes.items() if "across heads" in label) > 1e-6


def test_chunked_lbfgs_follows_one_long_run():
    # oracle: one .step() of 40 iterations; repeated .step() calls of 10 keep the optimizer's
    # curvature pairs, so they give the same iterates (only extra evaluations between calls)
    torch.set_num_threads(1)
    settings = {"vocab_size": 4, "dim": 8, "layers": 1, "length": 3, "k": 32, "seed": 0,
                "max_iterations": 40}
    chunked = train_to_minimiser(**settings, chunk=10)
    single = train_to_minimiser(**settings, chunk=40)
    assert torch.allclose(chunked.theta, single.theta, rtol=0, atol=1e-12)
    assert chunked.iterations > single.iterations
