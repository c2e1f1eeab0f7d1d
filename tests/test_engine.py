"""Engine: check dispatch, levels, backends, aggregation and provenance (toy registry)."""

import pytest

from theorylab.engine import RunOptions, aggregate, run_check, verify_claim, verify_claims
from theorylab.errors import BackendUnavailableError, UnknownClaimError
from theorylab.registry import CheckContext
from theorylab.spec import CheckKind, Level, Verdict

from .toy_catalog import build


def test_true_claim_holds_and_records_provenance():
    registry = build()
    result = verify_claim(
        registry.get("toy.squares_nonnegative"), registry, RunOptions(backend="numpy")
    )
    assert result.verdict is Verdict.HOLDS
    verdicts = {e.check: e.verdict for e in result.evidence}
    assert verdicts == {
        "grid": Verdict.HOLDS,
        "torch_only": Verdict.SKIPPED,
    }  # full_only not at quick
    evidence = result.evidence[0]
    assert evidence.seed == 0 and evidence.level is Level.QUICK
    assert evidence.environment.numpy and evidence.seconds >= 0


def test_false_claim_is_refuted_with_shrunk_counterexample():
    registry = build()
    result = verify_claim(
        registry.get("toy.squares_below_one"), registry, RunOptions(backend="numpy")
    )
    assert result.verdict is Verdict.REFUTED
    counterexample = result.evidence[0].counterexample
    assert counterexample is not None
    assert abs(counterexample.instance["x"]) == 1.0  # hypothesis shrinks to the boundary


def test_full_level_runs_full_only_checks():
    registry = build()
    result = verify_claim(
        registry.get("toy.squares_nonnegative"),
        registry,
        RunOptions(level=Level.FULL, backend="numpy"),
    )
    assert "full_only" in {e.check for e in result.evidence}


def test_kinds_filter_and_empty_is_skipped():
    registry = build()
    options = RunOptions(backend="numpy", kinds=frozenset({CheckKind.SYMBOLIC}))
    result = verify_claim(registry.get("toy.squares_nonnegative"), registry, options)
    assert result.verdict is Verdict.SKIPPED and result.evidence == []


def test_crashing_check_is_inconclusive_not_a_crash():
    registry = build()
    claim = registry.get("toy.squares_nonnegative")

    @registry.check(claim, kind=CheckKind.EXACT, description="boom")
    def boom(context):
        raise ZeroDivisionError("division by zero")

    result = verify_claim(registry.get(claim.id), registry, RunOptions(backend="numpy"))
    assert result.verdict is Verdict.INCONCLUSIVE
    assert "ZeroDivisionError" in result.reason


def test_aggregate_ordering():
    registry = build()
    claim = registry.get("toy.squares_nonnegative")
    grid = registry.checks(claim.id)[0]
    holds = run_check(claim, grid, CheckContext())
    refuted = holds.model_copy(update={"verdict": Verdict.REFUTED})
    approx = holds.model_copy(update={"verdict": Verdict.HOLDS_APPROX})
    proved = holds.model_copy(update={"verdict": Verdict.PROVED})
    skipped = holds.model_copy(update={"verdict": Verdict.SKIPPED})
    assert aggregate([holds, refuted])[0] is Verdict.REFUTED
    assert aggregate([holds, approx])[0] is Verdict.HOLDS_APPROX
    assert aggregate([proved, holds])[0] is Verdict.HOLDS
    assert aggregate([proved, skipped])[0] is Verdict.PROVED
    assert aggregate([skipped])[0] is Verdict.SKIPPED
    assert aggregate([])[0] is Verdict.SKIPPED


def test_resume_reuses_previous_results():
    registry = build()
    claims = registry.all()
    first = verify_claims(claims[:1], registry, RunOptions(backend="numpy"))
    calls = []
    second = verify_claims(
        claims,
        registry,
        RunOptions(backend="numpy"),
        previous=first.results,
        on_start=lambda claim: calls.append(claim.id),
    )
    assert second.results[0] == first.results[0]
    assert len(second.results) == 2


def test_selection_by_glob_and_tag_and_unknown():
    registry = build()
    assert len(registry.select(["toy.*"])) == 2
    assert len(registry.select(["toy"])) == 2
    with pytest.raises(UnknownClaimError, match="no claim matches"):
        registry.select(["nope.*"])


def test_unknown_backend_and_missing_cuda():
    registry = build()
    with pytest.raises(BackendUnavailableError, match="unknown backend"):
        verify_claims(registry.all(), registry, RunOptions(backend="jax"))
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        with pytest.raises(BackendUnavailableError, match="cuda"):
            verify_claims(registry.all(), registry, RunOptions(backend="torch", device="cuda"))


def test_judge_derivation_names_the_first_failing_step():
    from theorylab.derivations import judge_derivation
    from theorylab.spec import DerivationStep

    good = DerivationStep(name="a", equation="Eq. 1", claim="x=x", holds=True, method="simplify")
    bad = DerivationStep(
        name="b", equation="Eq. 2", claim="x=2x", holds=False, method="simplify", residual="-x"
    )
    assert judge_derivation([good], cases=1).verdict is Verdict.PROVED
    finding = judge_derivation([good, bad], cases=1)
    assert finding.verdict is Verdict.REFUTED
    assert finding.counterexample.actual == "-x"
    assert "Eq. 2" in finding.summary
