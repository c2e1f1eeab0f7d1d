"""The claim catalogue: claims and their checks, looked up by id, glob pattern or tag.

Claim modules (:mod:`theorylab.claims`) add their :class:`~theorylab.spec.Claim` objects to
:data:`CATALOG` and register check functions with the :meth:`Registry.check` decorator.
:func:`load_catalog` imports every claim module once and returns the filled catalogue: the
built-in modules (:data:`CLAIM_MODULES`), then the user's (:mod:`theorylab.discovery`).

The registry remembers which source (module, and entry point or ``--claims`` option) added
each claim, so an id defined twice is a :class:`~theorylab.errors.ClaimCollisionError`
naming both sources; :meth:`Registry.loading` undoes a source that fails half-way.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from theorylab.checks import CheckContext, CheckFunction, RegisteredCheck
from theorylab.errors import ClaimCollisionError, ClaimDefinitionError, UnknownClaimError
from theorylab.falsify import PropertySearch, property_check
from theorylab.spec import CheckKind, CheckSpec, Claim, Level, Source
from theorylab.spec_files import claim_specs

__all__ = [
    "CATALOG",
    "CheckContext",
    "CheckFunction",
    "RegisteredCheck",
    "Registry",
    "load_catalog",
]


class Registry:
    """A catalogue of claims and the checks that back them."""

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}
        self._checks: dict[str, list[RegisteredCheck]] = {}
        self._searches: dict[str, list[PropertySearch]] = {}
        self._sources: dict[str, str] = {}
        self._namespaces: dict[str, dict] = {}
        self._label: str | None = None
        self._journal: list[tuple[str, str | None]] | None = None

    def add(self, claim: Claim) -> Claim:
        """Add ``claim``; its id must be new. Returns the claim for module-level assignment.

        Raises
        ------
        ClaimDefinitionError
            If ``claim`` is not a :class:`~theorylab.spec.Claim`.
        ClaimCollisionError
            If another source already added a claim with this id (both are named).
        """
        if not isinstance(claim, Claim):
            raise ClaimDefinitionError(
                f"add() takes a theorylab Claim, got {type(claim).__name__} from {self._caller()}"
            )
        source, namespace = self._caller(), self._caller_namespace()
        if claim.id in self._claims:
            earlier, name = self._namespaces[claim.id], namespace.get("__name__")
            rerun = earlier is not namespace and earlier.get("__name__") == name
            if not rerun:  # a module imported afresh (a reload) replaces its own claims
                raise ClaimCollisionError(
                    f"claim id {claim.id!r} is defined twice: by {self._sources[claim.id]} "
                    f"and by {source}"
                )
            self._checks[claim.id], self._searches[claim.id] = [], []
        self._claims[claim.id] = claim
        self._checks.setdefault(claim.id, [])
        self._sources[claim.id] = source
        self._namespaces[claim.id] = namespace
        if self._journal is not None:
            self._journal.append((claim.id, None))
        return claim

    def add_specs(self, module_file: str, cite: Callable[..., Source]) -> tuple[Claim, ...]:
        """Add every claim of a claim module's spec file, in file order (``spec_files``).

        ``A, A_CORRECTED = CATALOG.add_specs(__file__, cite)`` in ``claims/P/a.py`` reads
        ``claims/P/a.toml``; each source is built by the paper's ``cite``.
        """
        return tuple(self.add(claim) for claim in claim_specs(module_file, cite).values())

    def source(self, claim_id: str) -> str:
        """Which module (and entry point or ``--claims`` option) added the claim."""
        self.get(claim_id)
        return self._sources[claim_id]

    def _caller(self) -> str:
        """``module M`` for the first calling module outside theorylab's registration code."""
        namespace = self._caller_globals()
        module = namespace.get("__name__", "<unknown>")
        return f"module {module}" + (f" ({self._label})" if self._label else "")

    def _caller_namespace(self) -> dict:
        """The calling module's namespace: a fresh import of the module gets a new one."""
        return self._caller_globals()

    @staticmethod
    def _caller_globals() -> dict:
        frame = sys._getframe(1)
        inner = {__name__, "theorylab.authoring", "theorylab.falsify"}
        while frame is not None and frame.f_globals.get("__name__") in inner:
            frame = frame.f_back
        return {} if frame is None else frame.f_globals

    @contextmanager
    def loading(self, label: str) -> Iterator[None]:
        """Attribute what is added inside to ``label``; on an exception, remove it all again.

        Used by :mod:`theorylab.discovery` around importing a user's module, so a module
        that fails half-way leaves the catalogue as it was (and can be loaded again).
        """
        outer_label, outer_journal = self._label, self._journal
        self._label, self._journal = label, []
        journal = self._journal
        try:
            yield
        except BaseException:
            self._undo(journal)
            raise
        finally:
            self._label, self._journal = outer_label, outer_journal
        if outer_journal is not None:
            outer_journal.extend(journal)

    def _undo(self, journal: list[tuple[str, str | None]]) -> None:
        for claim_id, check_name in reversed(journal):
            if check_name is None:
                tables = (self._claims, self._checks, self._searches, self._sources)
                for table in (*tables, self._namespaces):
                    table.pop(claim_id, None)
                continue
            checks = self._checks.get(claim_id, [])
            checks[:] = [item for item in checks if item.spec.name != check_name]
            searches = self._searches.get(claim_id, [])
            searches[:] = [item for item in searches if item.name != check_name]

    def check(
        self,
        claim: Claim,
        *,
        kind: CheckKind,
        description: str,
        levels: Iterable[Level] = (Level.QUICK, Level.FULL),
        name: str | None = None,
    ) -> Callable[[CheckFunction], CheckFunction]:
        """Register the decorated function as a check of ``claim``.

        Raises
        ------
        ClaimDefinitionError
            If ``claim`` was not added to this registry, or a check of that name exists.
        """
        if not isinstance(claim, Claim) or claim.id not in self._claims:
            shown = claim.id if isinstance(claim, Claim) else type(claim).__name__
            raise ClaimDefinitionError(
                f"a check in {self._caller()} is registered for {shown!r}, which is not in the "
                "catalogue: add the claim first (theorylab.authoring.add_claim)"
            )

        def register(function: CheckFunction) -> CheckFunction:
            check_name = name or function.__name__
            existing = self._checks.setdefault(claim.id, [])
            if any(item.spec.name == check_name for item in existing):
                raise ClaimDefinitionError(
                    f"check {check_name!r} of {claim.id!r} is registered twice "
                    f"(in {self._caller()})"
                )
            if not callable(function):
                raise ClaimDefinitionError(f"check {check_name!r} of {claim.id!r} is not callable")
            spec = CheckSpec(
                name=check_name, kind=kind, description=description, levels=list(levels)
            )
            existing.append(RegisteredCheck(spec=spec, function=function))
            if self._journal is not None:
                self._journal.append((claim.id, check_name))
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
        self.check(
            claim,
            kind=CheckKind.PROPERTY,
            description=property_search.description,
            levels=levels,
            name=property_search.name,
        )(property_check(property_search))
        self._searches.setdefault(claim.id, []).append(property_search)
        return property_search

    def search(
        self,
        claim: Claim,
        name: str,
        description: str,
        strategy: Callable[[], Any],
        probe: Callable[[Any], Any],
        *,
        levels: Iterable[Level] = (Level.QUICK, Level.FULL),
    ) -> PropertySearch:
        """:meth:`add_search` of ``PropertySearch(name, description, strategy, probe)``."""
        return self.add_search(
            claim,
            PropertySearch(name=name, description=description, strategy=strategy, probe=probe),
            levels=levels,
        )

    def searches(self, claim_id: str) -> list[PropertySearch]:
        """The counterexample searches registered for a claim."""
        self.get(claim_id)
        return list(self._searches.get(claim_id, []))

    def get(self, claim_id: str) -> Claim:
        """The claim with this id, its ``checks`` field listing every registered check."""
        try:
            claim = self._claims[claim_id]
        except KeyError:
            raise UnknownClaimError(
                f"unknown claim id {claim_id!r}{self._suggest(claim_id)}"
            ) from None
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
                raise UnknownClaimError(f"no claim matches {pattern!r}{self._suggest(pattern)}")
            for claim_id in matches:
                chosen[claim_id] = self.get(claim_id)
        return list(chosen.values())

    def _suggest(self, wanted: str) -> str:
        """``"; did you mean a, b? ..."`` with close ids, tags or families, and a hint."""
        tags = {tag for claim in self._claims.values() for tag in claim.tags}
        families = sorted({claim_id.split(".")[0] for claim_id in self._claims})
        plain = wanted.replace("*", "").replace("?", "")
        close = difflib.get_close_matches(plain, [*self.ids(), *sorted(tags)], n=3, cutoff=0.6)
        if not close:
            head = plain.split(".")[0]
            close = [f"{key}.*" for key in difflib.get_close_matches(head, families, n=2)]
        hint = f" (run 'theorylab list' for all {len(self._claims)} ids)"
        return f"; did you mean {', '.join(close)}?{hint}" if close else f"{hint}"

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


def load_catalog(modules: Iterable[str] = (), *, entry_points: bool = True) -> Registry:
    """Import the claim modules (once each) and return :data:`CATALOG`.

    Parameters
    ----------
    modules
        Dotted names of the user's claim modules (``--claims MODULE``), imported last.
    entry_points
        Also import the modules that installed packages name in the ``theorylab.claims``
        entry-point group (:func:`theorylab.discovery.load_entry_points`).

    Importing a claim module runs its code. Raises
    :class:`~theorylab.errors.ClaimSourceError` (naming the module or entry point) if one
    fails to import or defines a claim or check wrongly.
    """
    for module in CLAIM_MODULES:
        importlib.import_module(module)
    from theorylab.discovery import load_entry_points, load_modules  # discovery uses CATALOG

    if entry_points:
        load_entry_points(CATALOG)
    load_modules(CATALOG, modules)
    return CATALOG
