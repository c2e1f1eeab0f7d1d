"""``theorylab list`` and ``theorylab show``: the catalogue, and the equation index.

``list --paper 002 --eq 17`` (and ``--theorem``, ``--prop``, ``--lemma``, ``--corollary``,
``--remark``, ``--definition``, ``--assumption``, ``--section``, ``--figure``, ``--table``)
lists the claims whose source cites that reference (:mod:`theorylab.references`).
"""

from __future__ import annotations

import argparse
import json

from theorylab.console import Output
from theorylab.errors import TheorylabError, UnknownPaperError
from theorylab.spec import Claim

__all__ = ["INDEX_OPTIONS", "add_index_arguments", "catalog", "cmd_list", "cmd_show", "describe"]

INDEX_OPTIONS: dict[str, str] = {
    "eq": "equation", "theorem": "theorem", "prop": "proposition", "lemma": "lemma",
    "corollary": "corollary", "remark": "remark", "definition": "definition",
    "assumption": "assumption", "section": "section", "figure": "figure", "table": "table",
}
"""``list`` option → the reference kind it looks up."""


def add_index_arguments(listing: argparse.ArgumentParser) -> None:
    """``--paper`` and one option per reference kind on ``theorylab list``."""
    listing.add_argument("--paper", metavar="PAPER", help="paper key or number (e.g. 002, seos)")
    for option, kind in INDEX_OPTIONS.items():
        listing.add_argument(
            f"--{option}", metavar="N", help=f"claims citing this {kind} (e.g. 17, 2.1, A.4)"
        )


def catalog(args: argparse.Namespace):
    """Built-in claims, ``theorylab.claims`` entry points and ``--claims`` modules."""
    from theorylab.registry import load_catalog

    return load_catalog(args.claim_modules)


def cmd_list(args: argparse.Namespace, out: Output) -> int:
    """``list``: one line per claim (or JSON), filtered by ``--paper`` and the index options."""
    claims = _filtered(catalog(args).all(), args)
    if args.json:
        print(json.dumps([claim.model_dump(mode="json") for claim in claims], indent=2))
        return 0
    for claim in claims:
        kinds = ",".join(sorted({check.kind.value for check in claim.checks}))
        out.line(f"{claim.id}\t{claim.kind.value}\t{claim.source.location}\t[{kinds}]")
    return 0


def cmd_show(args: argparse.Namespace, out: Output) -> int:
    """``show``: one claim in words (or JSON)."""
    claim = catalog(args).get(args.claim_id)
    if args.json:
        print(claim.model_dump_json(indent=2))
        return 0
    for text in describe(claim):
        out.line(text)
    return 0


def describe(claim: Claim) -> list[str]:
    """``show``'s text: the paper by key and title, LaTeX rendered as Unicode (raw: --json)."""
    from theorylab.latex_text import latex_to_text
    from theorylab.papers import paper_label

    equations = f", Eq. {', '.join(claim.source.equations)}" if claim.source.equations else ""
    lines = [
        f"{claim.id} — {claim.title}",
        f"paper: {paper_label(claim.source.paper)}",
        f"source: {claim.source.location}{equations}",
        f"kind: {claim.kind.value}",
        f"statement: {latex_to_text(claim.statement)}",
    ]
    lines += [
        f"assumption ({item.name}): {latex_to_text(item.statement)}" for item in claim.assumptions
    ]
    lines += [
        f"convention ({item.name}): {latex_to_text(item.statement)}" for item in claim.conventions
    ]
    lines.append(f"tolerance: rtol={claim.tolerance.rtol:g}, atol={claim.tolerance.atol:g}")
    if claim.tolerance.error_law:
        lines.append(f"error law: {claim.tolerance.error_law}")
    lines += [
        f"check [{check.kind.value}] {check.name}: {check.description}" for check in claim.checks
    ]
    if claim.notes:
        lines.append(f"notes: {claim.notes}")
    return lines




def _filtered(claims: list[Claim], args: argparse.Namespace) -> list[Claim]:
    """The claims of ``--paper`` that cite every reference asked for (all claims if none)."""
    from theorylab.papers import paper_for
    from theorylab.references import lookup

    if getattr(args, "paper", None):
        paper = paper_for(args.paper)
        if paper is None:
            raise UnknownPaperError(
                f"unknown paper {args.paper!r}; use a key (tpv, awd, seos, subspace, softrank) "
                "or a number (000-004)"
            )
        claims = [claim for claim in claims if claim.source.paper == paper.file]
    for option, kind in INDEX_OPTIONS.items():
        wanted = getattr(args, option, None)
        if wanted is not None:
            if not wanted.strip():
                raise TheorylabError(f"--{option} needs a number, e.g. --{option} 17")
            claims = lookup(claims, kind, wanted)
    return claims
