r"""Write your own claim: the public, stable surface for authoring theorylab claims.

Everything a claim module needs is importable from here; the modules behind these names are
internal and may change. A claim module reads like the section it encodes:

1. **the spec** — a :class:`Claim` (with :class:`Source`, :class:`Assumption`,
   :class:`Convention`, :class:`Tolerance`, :class:`ClaimKind`) added with :func:`add_claim`,
   or written as data in a TOML file beside the module and read with :func:`claim_specs`
   (sources built by a paper's :func:`citation`), as the built-in claims do;
2. **checks** — functions ``CheckContext -> Finding`` registered with :func:`check`, one
   :class:`CheckKind` each: ``SYMBOLIC`` (a sympy derivation: :func:`equality_step`,
   :func:`cayley_orthogonal`, :func:`labelled`, :func:`judge_derivation`), ``EXACT`` (a
   formula against a brute-force oracle: :func:`rademacher_expectation`,
   :func:`rational_solution_map`, ...), ``PROPERTY``
   (a hypothesis counterexample search: :class:`PropertySearch` with :func:`add_search`,
   strategies from :mod:`theorylab.strategies`) and ``TORCH`` (runs only on the torch
   backend; import torch inside the check);
3. **judges** — error-law fits (:func:`loglog_slope`) and statement judges on intervals
   (:func:`judge_interval`, :func:`combine_outcomes`) for approximate or empirical claims.

A check returns a :class:`Finding` whose verdict it *computed*; a check that raises is
reported ``INCONCLUSIVE`` with the exception. The claim's verdict aggregates its checks
(:mod:`theorylab.engine`): any ``REFUTED`` refutes it. Make the module known to theorylab with
``--claims MODULE`` or a ``theorylab.claims`` entry point (:mod:`theorylab.discovery`);
loading claims imports, i.e. runs, that module. ``theorylab new`` writes a starting point.

Examples
--------
A complete claim with one exact check, in a private registry (a claim module uses the
default, :data:`theorylab.registry.CATALOG`):

>>> registry = Registry()
>>> squares = add_claim(Claim(
...     id="demo.square_nonnegative", title="squares are nonnegative",
...     source=Source(paper="folklore", title="Folklore", location="Lemma 1"),
...     statement=r"x^2 \ge 0", kind=ClaimKind.INEQUALITY, tolerance=Tolerance(rtol=0.0),
... ), registry=registry)
>>> @check(squares, kind=CheckKind.EXACT, description="integers -10..10", registry=registry)
... def integer_grid(context: CheckContext) -> Finding:
...     smallest = min(x * x for x in range(-10, 11))
...     verdict = Verdict.HOLDS if smallest >= 0 else Verdict.REFUTED
...     return Finding(verdict=verdict, summary=f"min x^2 = {smallest}", instances=21)
>>> [result.verdict.value for result in verify("demo.*", registry=registry)]
['HOLDS']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from theorylab.derivations import judge_derivation, labelled
from theorylab.error_laws import gaussian_mean_square_stderr, loglog_slope
from theorylab.errors import ParameterError, TheorylabError
from theorylab.falsify import PropertySearch, SearchOutcome, search
from theorylab.numerics import machine_epsilon, roundoff_tolerance
from theorylab.oracles import (
    enumerated_noise_moments,
    qr_solution_map,
    rademacher_expectation,
    rational_solution_map,
)
from theorylab.papers import citation
from theorylab.proofs.steps import cayley_orthogonal, equality_step
from theorylab.registry import CATALOG, CheckContext, CheckFunction, Registry
from theorylab.spec import (
    Assumption,
    CheckKind,
    Claim,
    ClaimKind,
    ClaimResult,
    Convention,
    Counterexample,
    DerivationStep,
    Figure,
    FigureSeries,
    Finding,
    Level,
    Source,
    Tolerance,
    Verdict,
)
from theorylab.spec_files import claim_specs
from theorylab.statements import (
    CONTRADICTED,
    SUPPORTED,
    UNDECIDED,
    combine_outcomes,
    judge_interval,
)

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "CONTRADICTED",
    "SUPPORTED",
    "UNDECIDED",
    "Assumption",
    "CheckContext",
    "CheckFunction",
    "CheckKind",
    "Claim",
    "ClaimKind",
    "ClaimResult",
    "Convention",
    "Counterexample",
    "DerivationStep",
    "Figure",
    "FigureSeries",
    "Finding",
    "Level",
    "ParameterError",
    "PropertySearch",
    "Registry",
    "SearchOutcome",
    "Source",
    "TheorylabError",
    "Tolerance",
    "Verdict",
    "add_claim",
    "add_search",
    "cayley_orthogonal",
    "check",
    "citation",
    "claim_specs",
    "combine_outcomes",
    "enumerated_noise_moments",
    "equality_step",
    "gaussian_mean_square_stderr",
    "judge_derivation",
    "judge_interval",
    "labelled",
    "loglog_slope",
    "machine_epsilon",
    "qr_solution_map",
    "rademacher_expectation",
    "rational_solution_map",
    "roundoff_tolerance",
    "search",
    "verify",
]

_ALL_LEVELS = (Level.QUICK, Level.FULL)


def add_claim(claim: Claim, *, registry: Registry | None = None) -> Claim:
    """Add ``claim`` to the catalogue and return it (assign it to a module-level name).

    Parameters
    ----------
    claim
        The spec; its ``id`` is ``<family>.<name>`` in lower case, e.g. ``classics.gd``.
    registry
        Where to add it; default the catalogue that ``theorylab`` commands read.

    Raises
    ------
    ClaimCollisionError
        If another module already defines this id (both are named).
    """
    return (registry or CATALOG).add(claim)


def check(
    claim: Claim,
    *,
    kind: CheckKind,
    description: str,
    levels: Iterable[Level] = _ALL_LEVELS,
    name: str | None = None,
    registry: Registry | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Decorator: register ``function(context) -> Finding`` as a check of ``claim``.

    Parameters
    ----------
    claim
        A claim already added with :func:`add_claim`.
    kind
        ``SYMBOLIC``, ``EXACT``, ``PROPERTY`` or ``TORCH`` (skipped unless the backend is
        torch; a ``PROPERTY`` check is skipped without hypothesis).
    description
        One line: what is compared with what, on which instances.
    levels
        The levels it runs at (``quick``: CPU seconds; ``full``: paper scale).
    name
        The check's name; default the function's name. Unique per claim.
    registry
        Default the catalogue that ``theorylab`` commands read.

    Raises
    ------
    ClaimDefinitionError
        If the claim was not added, or a check of that name is already registered.
    """
    return (registry or CATALOG).check(
        claim, kind=kind, description=description, levels=levels, name=name
    )


def add_search(
    claim: Claim,
    property_search: PropertySearch,
    *,
    levels: Iterable[Level] = _ALL_LEVELS,
    registry: Registry | None = None,
) -> PropertySearch:
    """Register a hypothesis counterexample search as a ``PROPERTY`` check of ``claim``.

    ``property_search.strategy()`` builds the hypothesis strategy over the claim's whole
    domain; ``property_search.probe(instance)`` returns a :class:`Counterexample` when the
    instance violates the claim, else ``None``. The check is ``REFUTED`` with the *shrunk*
    counterexample if hypothesis finds one; ``theorylab falsify ID`` runs a longer search.

    Examples
    --------
    >>> registry = Registry()
    >>> claim = add_claim(Claim(
    ...     id="demo.squares_below_one", title="x^2 < 1 (false)",
    ...     source=Source(paper="folklore", title="Folklore", location="-"),
    ...     statement="x^2 < 1", kind=ClaimKind.INEQUALITY, tolerance=Tolerance(rtol=0.0),
    ... ), registry=registry)
    >>> def probe(x: int) -> Counterexample | None:
    ...     if x * x < 1:
    ...         return None
    ...     return Counterexample(instance={"x": x}, claimed="< 1", actual=x * x,
    ...                           message=f"x = {x} gives x^2 = {x * x}")
    >>> def integers():
    ...     from hypothesis import strategies as st
    ...     return st.integers(-100, 100)
    >>> found = add_search(claim, PropertySearch("below_one", "x in -100..100", integers, probe),
    ...                    registry=registry)
    >>> (result,) = verify("demo.*", registry=registry)
    >>> result.verdict.value, result.evidence[0].counterexample.instance
    ('REFUTED', {'x': 1})
    """
    return (registry or CATALOG).add_search(claim, property_search, levels=levels)


def verify(
    *patterns: str,
    level: Level | str = Level.QUICK,
    seed: int = 0,
    backend: str = "auto",
    device: str = "auto",
    modules: Iterable[str] = (),
    registry: Registry | None = None,
) -> list[ClaimResult]:
    """Verify the claims matching ids, globs or tags; the results in catalogue order.

    For a user's own tests: ``verify("mine.*")`` runs what ``theorylab verify 'mine.*'``
    runs. Without ``registry`` the catalogue is loaded first (built-in claims, entry points
    and ``modules``, which are imported).

    Raises
    ------
    UnknownClaimError
        If a pattern matches no claim.
    """
    from theorylab.engine import RunOptions, verify_claims
    from theorylab.registry import load_catalog

    catalog = registry if registry is not None else load_catalog(modules)
    options = RunOptions(level=Level(level), seed=seed, backend=backend, device=device)
    return list(verify_claims(catalog.select(patterns), catalog, options).results)


def __getattr__(name: str) -> ModuleType:
    """``strategies``: :mod:`theorylab.strategies`, imported on use (it needs hypothesis)."""
    if name == "strategies":
        import theorylab.strategies

        return theorylab.strategies
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "strategies"])

