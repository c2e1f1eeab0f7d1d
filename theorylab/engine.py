"""Run a claim's checks at a level and turn their evidence into a verdict.

Aggregation (:func:`aggregate`), strongest first: any ``REFUTED`` check refutes the claim;
otherwise any ``INCONCLUSIVE`` check makes it inconclusive; otherwise, among the checks that
could run (not ``SKIPPED`` / ``NOT_APPLICABLE``), any ``HOLDS_APPROX`` gives ``HOLDS_APPROX``,
any ``HOLDS`` gives ``HOLDS``, and only symbolic ``PROVED`` steps give ``PROVED``.
"""

from __future__ import annotations

import importlib.util
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from theorylab.backends import resolve_backend, resolve_device
from theorylab.errors import BackendUnavailableError, TheorylabError
from theorylab.provenance import current_environment
from theorylab.registry import CheckContext, RegisteredCheck, Registry
from theorylab.spec import CheckKind, Claim, ClaimResult, Evidence, Finding, Level, Report, Verdict
from theorylab.sweep.options import SweepOptions

__all__ = [
    "RunOptions",
    "aggregate",
    "run_check",
    "verify_claim",
    "verify_claims",
]

@dataclass(frozen=True)
class RunOptions:
    """What to run: level, seed, backend, device, only some check kinds, how to run grids."""

    level: Level = Level.QUICK
    seed: int = 0
    backend: str = "auto"
    device: str = "auto"
    kinds: frozenset[CheckKind] | None = None
    command: str = "verify"
    extra: dict[str, str] = field(default_factory=dict)
    sweep: SweepOptions = field(default_factory=SweepOptions)


def _skipped(summary: str, context: CheckContext) -> Finding:
    return Finding(verdict=Verdict.SKIPPED, summary=summary, backend=context.backend, instances=0)


def _needs(registered: RegisteredCheck, context: CheckContext) -> str | None:
    """Why the check cannot run here, or None."""
    kind = registered.spec.kind
    if kind is CheckKind.TORCH and context.backend != "torch":
        return f"torch check skipped: backend is {context.backend!r}"
    if kind is CheckKind.PROPERTY and importlib.util.find_spec("hypothesis") is None:
        return "property check skipped: hypothesis is not installed (pip install 'theorylab[test]')"
    return None


def run_check(claim: Claim, registered: RegisteredCheck, context: CheckContext) -> Evidence:
    """Run one check and wrap its finding with provenance; never raises for a failing check.

    A check that raises is reported ``INCONCLUSIVE`` with the exception (a crash decides
    nothing about the claim); a missing backend is ``SKIPPED``.
    """
    started = time.perf_counter()
    reason = _needs(registered, context)
    if reason is not None:
        finding = _skipped(reason, context)
    else:
        try:
            finding = registered.function(context)
        except BackendUnavailableError as exc:
            finding = _skipped(str(exc), context)
        except Exception as exc:  # a crashing check must not take the run down
            finding = Finding(
                verdict=Verdict.INCONCLUSIVE,
                summary=f"check raised {type(exc).__name__}: {exc}",
                backend=context.backend,
                instances=0,
                details={
                    "traceback": traceback.format_exc(limit=8),
                    "typed_error": isinstance(exc, TheorylabError),
                },
            )
    return Evidence(
        **finding.model_dump(),
        claim_id=claim.id,
        check=registered.spec.name,
        kind=registered.spec.kind,
        level=context.level,
        seed=context.seed,
        seconds=time.perf_counter() - started,
        environment=current_environment(),
    )


def aggregate(evidence: Iterable[Evidence]) -> tuple[Verdict, str]:
    """The claim verdict and a one-line reason from its checks' evidence (module docstring)."""
    items = list(evidence)
    if not items:
        return Verdict.SKIPPED, "no check runs at this level"

    def named(verdict: Verdict) -> list[Evidence]:
        return [item for item in items if item.verdict is verdict]

    for decisive in (Verdict.REFUTED, Verdict.INCONCLUSIVE):
        hits = named(decisive)
        if hits:
            return decisive, "; ".join(f"{item.check}: {item.summary}" for item in hits)
    informative = [
        item for item in items if item.verdict not in (Verdict.SKIPPED, Verdict.NOT_APPLICABLE)
    ]
    if not informative:
        verdict = Verdict.NOT_APPLICABLE if named(Verdict.NOT_APPLICABLE) else Verdict.SKIPPED
        return verdict, "; ".join(item.summary for item in items)
    for verdict in (Verdict.HOLDS_APPROX, Verdict.HOLDS, Verdict.PROVED):
        hits = named(verdict)
        if hits:
            kinds = sorted({item.kind.value for item in informative})
            return verdict, (
                f"{len(informative)} check(s) ({', '.join(kinds)}) support it; "
                f"{len(items) - len(informative)} skipped or not applicable"
            )
    raise AssertionError("unreachable: every verdict is handled above")


def verify_claim(claim: Claim, registry: Registry, options: RunOptions) -> ClaimResult:
    """Run every check of ``claim`` that applies at ``options.level`` and aggregate."""
    backend = resolve_backend(options.backend)
    context = CheckContext(
        level=options.level,
        seed=options.seed,
        backend=backend,
        device=resolve_device(options.device, backend),
        sweep=options.sweep,
    )
    evidence = [
        run_check(claim, registered, context)
        for registered in registry.checks(claim.id)
        if options.level in registered.spec.levels
        and (options.kinds is None or registered.spec.kind in options.kinds)
    ]
    verdict, reason = aggregate(evidence)
    return ClaimResult(claim=claim, verdict=verdict, reason=reason, evidence=evidence)


def verify_claims(
    claims: Iterable[Claim],
    registry: Registry,
    options: RunOptions,
    *,
    previous: Iterable[ClaimResult] = (),
    on_start: Callable[[Claim], None] | None = None,
    on_result: Callable[[Report], None] | None = None,
) -> Report:
    """Verify claims in order, calling ``on_result`` with the report so far after each one.

    ``previous`` results (from an interrupted run with the same level and seed) are reused
    instead of recomputed, which is how ``--resume`` works for whole claims; inside a claim,
    grid checks reuse finished cells from ``options.sweep.store`` (:mod:`theorylab.sweep`).
    """
    backend = resolve_backend(options.backend)
    device = resolve_device(options.device, backend)
    options = replace(options, backend=backend, device=device)
    reused = {result.claim.id: result for result in previous}
    report = Report(
        command=options.command,
        level=options.level,
        seed=options.seed,
        backend=backend,
        device=device,
        environment=current_environment(),
        results=[],
    )
    for claim in claims:
        if on_start is not None:
            on_start(claim)
        result = reused.get(claim.id) or verify_claim(claim, registry, options)
        report = report.model_copy(update={"results": [*report.results, result]})
        if on_result is not None:
            on_result(report)
    return report
