r"""The equation index: which claims cite an equation, theorem, proposition or section.

Every claim's :class:`~theorylab.spec.Source` is built one way
(:func:`theorylab.papers.citation`): a location in the paper's own words and the equation
numbers. :func:`references` reads the location with a small grammar, a kind word followed
by numbers (``Theorem 2.1``, ``Props 4.1, 4.2``, ``App. E.4.1-E.4.2``, ``Fig. 3-5``,
``Eq. 13-16``), and adds the ``equations`` list; integer ranges are expanded. Words that are
not kinds (``proof``, ``after``, ``corrected``) end a list, so ``regimes (1), (2a)`` cites
no section. :func:`lookup` answers ``theorylab list --paper 002 --eq 17``.

>>> found = references_in("Theorem 2.1; App. A (A.1, Lemma A.3); Fig. 1-2; App. C.2 (1)")
>>> sorted(found)  # doctest: +NORMALIZE_WHITESPACE
[('figure', '1'), ('figure', '2'), ('lemma', 'A.3'), ('section', 'A'), ('section', 'A.1'),
 ('section', 'C.2'), ('theorem', '2.1')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from theorylab.spec import Claim

__all__ = ["KINDS", "lookup", "matches", "references", "references_in"]

KINDS: dict[str, str] = {
    "eq": "equation", "eqs": "equation", "equation": "equation", "equations": "equation",
    "theorem": "theorem", "theorems": "theorem", "thm": "theorem",
    "prop": "proposition", "props": "proposition", "proposition": "proposition",
    "lemma": "lemma", "lemmas": "lemma",
    "corollary": "corollary", "cor": "corollary",
    "remark": "remark",
    "def": "definition", "definition": "definition",
    "assumption": "assumption", "assumptions": "assumption",
    "sec": "section", "section": "section", "app": "section", "appendix": "section",
    "fig": "figure", "figs": "figure", "figure": "figure",
    "table": "table",
}
"""The words of a location that start a list, and the kind of reference they start."""

_TOKEN = re.compile(r"[A-Z](?:\.\d+)+|[A-Z](?![a-z])|\d+(?:\.\d+)*[a-z]?|[A-Za-z]+|[-,;()]|\S")
_NUMBER = re.compile(r"^(?:[A-Z](?:\.\d+)*|\d+(?:\.\d+)*[a-z]?)$")


def _expand(first: str, last: str) -> list[str]:
    if first.isdigit() and last.isdigit() and int(first) <= int(last):
        return [str(value) for value in range(int(first), int(last) + 1)]
    return [first, last]


def references_in(location: str) -> set[tuple[str, str]]:
    """The ``(kind, number)`` pairs a location names (doctest in the module docstring)."""
    found: set[tuple[str, str]] = set()
    kind: str | None = None
    previous: str | None = None
    pending_range = opened = False
    for token in _TOKEN.findall(location):
        word = token.lower().rstrip(".")
        if opened and _NUMBER.match(token) and not token.startswith(f"{previous}."):
            kind = None  # "App. C.2 (1)" names a case, not a section; "App. A (A.1" continues
        opened = token == "("
        if token[0].isalpha() and not _NUMBER.match(token):
            kind = KINDS.get(word, kind if word == "and" else None)
            previous, pending_range = None, False
        elif _NUMBER.match(token) and kind is not None:
            if pending_range and previous is not None:
                found.update((kind, value) for value in _expand(previous, token))
            else:
                found.add((kind, token))
            previous, pending_range = token, False
        elif token == "-":
            pending_range = previous is not None
        elif token == ";":
            kind, previous = None, None
    return found


def references(claim: Claim) -> set[tuple[str, str]]:
    """Everything a claim's source cites: its location's references and its equations."""
    found = references_in(claim.source.location)
    for equation in claim.source.equations:
        first, _, last = equation.partition("-")
        found.update(("equation", value) for value in _expand(first, last or first))
    return found


def matches(cited: str, wanted: str, kind: str) -> bool:
    """Whether a cited number answers a query: sections match by prefix (``A`` → ``A.3``)."""
    if cited == wanted:
        return True
    return kind == "section" and cited.startswith(wanted + ".")


def lookup(claims: Iterable[Claim], kind: str, number: str) -> list[Claim]:
    """The claims citing ``kind`` ``number`` (e.g. ``"equation", "17"``), in id order."""
    if kind not in set(KINDS.values()):
        raise ValueError(f"unknown reference kind {kind!r}; one of {sorted(set(KINDS.values()))}")
    wanted = number.strip().rstrip(".")
    return sorted(
        (claim for claim in claims
         if any(k == kind and matches(n, wanted, kind) for k, n in references(claim))),
        key=lambda claim: claim.id,
    )
