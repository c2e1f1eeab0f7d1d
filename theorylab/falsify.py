"""Counterexample search with hypothesis, shared by property checks, property tests and the CLI.

A :class:`PropertySearch` pairs a strategy (over the whole domain the claim's assumptions
allow) with a probe that returns a :class:`~theorylab.spec.Counterexample` when an instance
violates the claim. :func:`search` runs hypothesis and returns the *shrunk* counterexample:
hypothesis replays the minimal failing example last, so the last failure recorded is it.
:func:`hypothesis_test` turns a search into a pytest test under the active hypothesis profile.
Hypothesis is imported lazily (it lives in the ``test`` extra).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from theorylab.checks import CheckContext, CheckFunction
from theorylab.spec import Counterexample, Finding, Level, Verdict

__all__ = ["PropertySearch", "SearchOutcome", "hypothesis_test", "property_check", "search"]

EXAMPLES_PER_LEVEL = {Level.QUICK: 60, Level.FULL: 600}


@dataclass(frozen=True)
class PropertySearch:
    """A strategy over a claim's domain and a probe that returns a counterexample or None."""

    name: str
    description: str
    strategy: Callable[[], Any]
    probe: Callable[[Any], Counterexample | None]


@dataclass(frozen=True)
class SearchOutcome:
    """How many examples hypothesis tried and the shrunk counterexample, if any."""

    examples: int
    counterexample: Counterexample | None


class _ViolationError(AssertionError):
    pass


def search(property_search: PropertySearch, *, max_examples: int, seed: int) -> SearchOutcome:
    """Run hypothesis on the probe, deterministically given ``seed``; shrink any failure."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed

    failures: list[Counterexample] = []
    examples = 0

    @hypothesis_seed(seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(property_search.strategy())
    def probe(instance: Any) -> None:
        nonlocal examples
        examples += 1
        try:
            found = property_search.probe(instance)
        except Exception as exc:  # a crash on a valid instance is a counterexample too
            found = Counterexample(
                instance={"repr": repr(instance)[:2000]},
                message=f"raised {type(exc).__name__}: {exc}",
            )
        if found is not None:
            failures.append(found)
            raise _ViolationError(found.message)

    try:
        probe()
    except _ViolationError:
        return SearchOutcome(examples=examples, counterexample=failures[-1])
    return SearchOutcome(examples=examples, counterexample=None)


def property_check(property_search: PropertySearch) -> CheckFunction:
    """A check function running :func:`search` with a per-level example budget."""

    def run(context: CheckContext) -> Finding:
        outcome = search(
            property_search,
            max_examples=EXAMPLES_PER_LEVEL[context.level],
            seed=context.seed,
        )
        if outcome.counterexample is not None:
            return Finding(
                verdict=Verdict.REFUTED,
                summary=f"{property_search.name}: {outcome.counterexample.message}",
                instances=outcome.examples,
                counterexample=outcome.counterexample,
                details={"search": property_search.description},
            )
        return Finding(
            verdict=Verdict.HOLDS,
            summary=f"{property_search.name}: no counterexample in {outcome.examples} examples",
            instances=outcome.examples,
            details={"search": property_search.description},
        )

    run.__name__ = property_search.name
    return run


def hypothesis_test(property_search: PropertySearch) -> Callable[[], None]:
    """A pytest test asserting that hypothesis finds no counterexample to a property search.

    Parameters
    ----------
    property_search
        The search whose ``strategy()`` the test draws instances from and whose ``probe`` must
        return None on every instance.

    Returns
    -------
    Callable[[], None]
        A ``@given``-decorated test function; assign it to a module-level ``test_*`` name for
        pytest to collect. No ``settings`` are applied, so the active hypothesis profile (e.g.
        ``HYPOTHESIS_PROFILE=deep``) decides the example budget and the database. A
        counterexample fails the test with an ``AssertionError`` carrying its message; an
        exception raised by the probe propagates unchanged.

    Examples
    --------
    >>> test_minimal_duality_exact = hypothesis_test(duality_search)  # doctest: +SKIP
    """
    from hypothesis import given

    def probe(instance: Any) -> None:
        counterexample = property_search.probe(instance)
        if counterexample is not None:
            raise AssertionError(f"{property_search.name}: {counterexample.message}")

    probe.__name__ = probe.__qualname__ = "test_" + "".join(
        char if char.isalnum() else "_" for char in property_search.name
    )
    probe.__doc__ = f"No counterexample to {property_search.name}: {property_search.description}"
    # Every generated test shares this source, which hypothesis hashes into the database key
    # and the derandomized seed; mix in the search's name so each test gets its own (the hook
    # pytest.mark.parametrize uses).
    probe._hypothesis_internal_add_digest = property_search.name.encode()  # type: ignore[attr-defined]
    return given(property_search.strategy())(probe)
