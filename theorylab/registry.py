"""The claim catalogue: claims and their checks, looked up by id, glob pattern or tag.

Claim modules (:mod:`theorylab.claims`) add their :class:`~theorylab.spec.Claim` objects to
:data:`CATALOG` and register check functions with the :meth:`Registry.check` decorator.
:func:`load_catalog` imports every claim module once and returns the filled catalogue.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from theorylab.errors import UnknownClaimError
from theorylab.spec import CheckKind, CheckSpec, Claim, Finding, Level

if TYPE_CHECKING:
    from theorylab.falsify import PropertySearch

__all__ = [
    "CATALOG",
    "CheckContext",
    "CheckFunction",
    "RegisteredCheck",
    "Registry",
    "load_catalog",
]


@dataclass(frozen=True)
class CheckContext:
    """What a check is given: level, seed, backend and device.

    ``rng()`` returns a fresh generator seeded with ``seed`` on every call, so a check is
    deterministic given the seed and independent of the checks run before it.
    """

    level: Level = Level.QUICK
    seed: int = 0
    backend: str = "numpy"
    device: str = "cpu"

    def rng(self) -> np.random.Generator:
        """A new ``numpy.random.Generator`` seeded with :attr:`seed`."""
        return np.random.default_rng(self.seed)

    @property
    def full(self) -> bool:
        """Whether this is the paper-scale level."""
        return self.level is Level.FULL


CheckFunction = Callable[[CheckContext], Finding]


@dataclass(frozen=True)
class RegisteredCheck:
    """A check function together with its spec."""

    spec: CheckSpec
    function: CheckFunction


class Registry:
    """A catalogue of claims and the checks that back them."""

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}
        self._checks: dict[str, list[RegisteredCheck]] = {}
        self._searches: dict[str, list[PropertySearch]] = {}

    def add(self, claim: Claim) -> Claim:
        """Add ``claim``; its id must be new. Returns the claim for module-level assignment."""
        if claim.id in self._claims:
            raise ValueError(f"claim {claim.id!r} is registered twice")
        self._claims[claim.id] = claim
        self._checks.setdefault(claim.id, [])
        return claim

    def check(
        self,
        claim: Claim,
        *,
        kind: CheckKind,
        description: str,
        levels: Iterable[Level] = (Level.QUICK, Level.FULL),
        name: str | None = None,
    ) -> Callable[[CheckFunction], CheckFunction]:
        """Register the decorated function as a check of ``claim``."""

        def register(function: CheckFunction) -> CheckFunction:
            check_name = name or function.__name__
            existing = self._checks.setdefault(claim.id, [])
            if any(item.spec.name == check_name for item in existing):
                raise ValueError(f"check {check_name!r} of {claim.id!r} is registered twice")
            spec = CheckSpec(
                name=check_name, kind=kind, description=description, levels=list(levels)
            )
            existing.append(RegisteredCheck(spec=spec, function=function))
            return function

        return register

    def add_search(
        self,
        claim: Claim,
        property_search: PropertySearch,
        *,
        levels: Iterable[Level] = (Level.QUICK, Level.FULL),
    ) -> PropertySearch:
        """Register a counterexample search: ``theorylab falsify`` and a property check use it."""
        from theorylab.falsify import property_check  # falsify builds on this module

        self._searches.setdefault(claim.id, []).append(property_search)
        self.check(
            claim,
            kind=CheckKind.PROPERTY,
            description=property_search.description,
            levels=levels,
            name=property_search.name,
        )(property_check(property_search))
        return property_search

    def searches(self, claim_id: str) -> list[PropertySearch]:
        """The counterexample searches registered for a claim."""
        self.get(claim_id)
        return list(self._searches.get(claim_id, []))

    def get(self, claim_id: str) -> Claim:
        """The claim with this id, its ``checks`` field listing every registered check."""
        try:
            claim = self._claims[claim_id]
        except KeyError:
            known = ", ".join(sorted(self._claims)) or "none"
            raise UnknownClaimError(f"unknown claim id {claim_id!r}; known ids: {known}") from None
        specs = [item.spec for item in self._checks[claim_id]]
        return claim.model_copy(update={"checks": specs})

    def checks(self, claim_id: str) -> list[RegisteredCheck]:
        """The registered checks of a claim, in registration (paper) order."""
        self.get(claim_id)
        return list(self._checks[claim_id])

    def ids(self) -> list[str]:
        """All claim ids, sorted."""
        return sorted(self._claims)

    def select(self, patterns: Iterable[str]) -> list[Claim]:
        """Claims whose id matches a glob pattern (``tpv.*``) or that carry the tag.

        Raises
        ------
        UnknownClaimError
            If a pattern matches nothing.
        """
        chosen: dict[str, Claim] = {}
        for pattern in patterns:
            matches = [
                claim_id
                for claim_id in self.ids()
                if fnmatch.fnmatchcase(claim_id, pattern) or pattern in self._claims[claim_id].tags
            ]
            if not matches:
                known = ", ".join(self.ids()) or "none"
                raise UnknownClaimError(f"no claim matches {pattern!r}; known ids: {known}")
            for claim_id in matches:
                chosen[claim_id] = self.get(claim_id)
        return list(chosen.values())

    def all(self) -> list[Claim]:
        """Every claim, sorted by id."""
        return [self.get(claim_id) for claim_id in self.ids()]


CATALOG = Registry()
"""The catalogue the claim modules register into."""

CLAIM_MODULES: tuple[str, ...] = (
    "theorylab.claims.tpv",
    "theorylab.claims.awd",
    "theorylab.claims.seos",
    "theorylab.claims.subspace",
    "theorylab.claims.softrank",
)


def load_catalog() -> Registry:
    """Import every claim module (once) and return :data:`CATALOG`."""
    for module in CLAIM_MODULES:
        importlib.import_module(module)
    return CATALOG
