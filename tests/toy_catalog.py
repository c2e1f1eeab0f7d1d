"""A tiny registry of toy claims for testing the engine and CLI plumbing quickly.

The toy checks compute their verdicts (1 + 1 == 2, a false inequality), so the engine's
aggregation is exercised on real computations, not on hard-coded verdicts.
"""

from theorylab.falsify import PropertySearch
from theorylab.registry import CheckContext, Registry
from theorylab.spec import (
    CheckKind,
    Claim,
    ClaimKind,
    Counterexample,
    Finding,
    Level,
    Source,
    Tolerance,
    Verdict,
)


def make_claim(claim_id: str) -> Claim:
    return Claim(
        id=claim_id,
        title=f"toy {claim_id}",
        source=Source(paper="toy.txt", title="Toy", location="Eq. 1", equations=["1"]),
        statement="x^2 \\ge 0",
        kind=ClaimKind.INEQUALITY,
        tolerance=Tolerance(rtol=0.0),
        tags=["toy"],
    )


def build() -> Registry:
    registry = Registry()
    true_claim = registry.add(make_claim("toy.squares_nonnegative"))
    false_claim = registry.add(make_claim("toy.squares_below_one"))

    @registry.check(true_claim, kind=CheckKind.EXACT, description="grid")
    def grid(context: CheckContext) -> Finding:
        values = context.rng().standard_normal(100)
        ok = bool((values**2 >= 0).all())
        return Finding(
            verdict=Verdict.HOLDS if ok else Verdict.REFUTED, summary="grid", instances=100
        )

    @registry.check(true_claim, kind=CheckKind.TORCH, description="torch only")
    def torch_only(context: CheckContext) -> Finding:
        return Finding(verdict=Verdict.HOLDS, summary="ran", backend=context.backend)

    @registry.check(true_claim, kind=CheckKind.EXACT, description="full only", levels=(Level.FULL,))
    def full_only(context: CheckContext) -> Finding:
        return Finding(verdict=Verdict.HOLDS, summary="full")

    def probe(value: float) -> Counterexample | None:
        if value * value < 1:
            return None
        return Counterexample(
            instance={"x": value}, claimed="< 1", actual=value * value, message=f"x={value}"
        )

    def strategy():
        from hypothesis import strategies as st

        return st.floats(min_value=-10, max_value=10)

    registry.add_search(
        false_claim,
        PropertySearch(
            name="search_squares", description="x in [-10, 10]", strategy=strategy, probe=probe
        ),
    )
    return registry
