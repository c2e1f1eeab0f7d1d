r"""``theorylab new``: write a claim module and its test into a user's package from a template.

``theorylab new mine.my_lemma --package src/mypkg --tests tests`` writes
``src/mypkg/my_lemma.py`` (the spec of ``mine.my_lemma`` and one placeholder check) and
``tests/test_my_lemma.py``. A fresh scaffold claims nothing: its only check returns
``INCONCLUSIVE`` ("no checks written yet"), so ``theorylab verify`` reports the claim
INCONCLUSIVE until the user replaces it with real checks — never HOLDS. Existing files are
not overwritten unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from theorylab.errors import OutputPathError, TheorylabError

__all__ = ["add_new_parser", "module_name", "render_module", "render_test", "run_new", "scaffold"]

_CLAIM_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")

MODULE_TEMPLATE = '''r"""``{claim_id}`` — TODO: where it is stated (paper, theorem, equation).

Written by ``theorylab new``. Until the placeholder check below is replaced by real ones
(symbolic, exact, property, torch: see ``theorylab.authoring``), the claim is INCONCLUSIVE.
"""

from __future__ import annotations

from theorylab.authoring import (
    CheckContext,
    CheckKind,
    Claim,
    ClaimKind,
    Finding,
    Source,
    Tolerance,
    Verdict,
    add_claim,
    check,
)

{constant} = add_claim(
    Claim(
        id="{claim_id}",
        title="TODO: one line",
        source=Source(paper="TODO: reference", title="TODO: title", location="TODO: Theorem 1"),
        statement=r"TODO: the statement in LaTeX",
        kind=ClaimKind.IDENTITY,
        tolerance=Tolerance(rtol=0.0, rationale="TODO: why this tolerance"),
    )
)


@check({constant}, kind=CheckKind.EXACT, description="placeholder: no checks written yet")
def placeholder(context: CheckContext) -> Finding:
    """Decides nothing; replace with checks that compute a verdict."""
    return Finding(
        verdict=Verdict.INCONCLUSIVE,
        summary="no checks written yet (theorylab new scaffold)",
        instances=0,
    )
'''

TEST_TEMPLATE = '''"""Tests of ``{claim_id}`` (written by ``theorylab new``)."""

from theorylab.authoring import Verdict, verify

import {module}  # noqa: F401  (importing the module registers the claim)


def test_{name}_is_not_refuted():
    # Once real checks replace the placeholder, assert the verdict you expect instead.
    (result,) = verify("{claim_id}")
    assert result.verdict is not Verdict.REFUTED, result.reason
'''


def module_name(path: Path) -> str:
    """The dotted import name of ``path``: its stem, prefixed by every enclosing package.

    Examples
    --------
    >>> module_name(Path("lemma.py"))
    'lemma'
    """
    parts = [path.stem]
    folder = path.resolve().parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def render_module(claim_id: str) -> str:
    """The claim module's text for ``claim_id``."""
    constant = claim_id.rsplit(".", 1)[1].upper()
    return MODULE_TEMPLATE.format(claim_id=claim_id, constant=constant)


def render_test(claim_id: str, module: str) -> str:
    """The test module's text for ``claim_id`` defined in ``module``."""
    return TEST_TEMPLATE.format(claim_id=claim_id, module=module, name=claim_id.rsplit(".")[-1])


def scaffold(claim_id: str, package: Path, tests: Path, *, force: bool = False) -> list[Path]:
    """Write ``package/<name>.py`` and ``tests/test_<name>.py``; returns both paths.

    Raises
    ------
    TheorylabError
        If ``claim_id`` is not ``<family>.<name>`` (lower case, digits, underscores) or its
        last part is not a Python identifier.
    OutputPathError
        If ``package`` is not a folder, or a target exists and ``force`` is false.
    """
    name = claim_id.rsplit(".", 1)[-1]
    if not _CLAIM_ID.match(claim_id) or not name.isidentifier():
        raise TheorylabError(
            f"claim id {claim_id!r} must look like family.name (lower case letters, digits, "
            "underscores; the last part a Python identifier)"
        )
    if not package.is_dir():
        raise OutputPathError(f"--package {package}: not an existing folder")
    targets = [package / f"{name}.py", tests / f"test_{name}.py"]
    existing = [str(path) for path in targets if path.exists()]
    if existing and not force:
        raise OutputPathError(f"{', '.join(existing)} exists; pass --force to overwrite")
    tests.mkdir(parents=True, exist_ok=True)
    targets[0].write_text(render_module(claim_id), encoding="utf-8")
    targets[1].write_text(render_test(claim_id, module_name(targets[0])), encoding="utf-8")
    return targets


def add_new_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``new`` subcommand to the CLI's subparsers."""
    new = commands.add_parser("new", help="write a claim module and its test from a template")
    new.add_argument("claim_id", metavar="ID", help="the new claim's id, e.g. mine.my_lemma")
    new.add_argument("--package", default=".", metavar="DIR", help="where the module goes")
    new.add_argument("--tests", default="tests", metavar="DIR", help="where its test goes")
    new.add_argument("--force", action="store_true", help="overwrite existing files")


def run_new(args: argparse.Namespace) -> list[str]:
    """Run ``theorylab new``; the lines to print."""
    module_path, test_path = scaffold(
        args.claim_id, Path(args.package), Path(args.tests), force=args.force
    )
    module = module_name(module_path)
    return [
        f"wrote {module_path} and {test_path}",
        f"verify it: theorylab verify --claims {module} '{args.claim_id}' "
        "(INCONCLUSIVE until you write its checks)",
        "or register it in pyproject.toml so every theorylab command finds it:",
        '  [project.entry-points."theorylab.claims"]',
        f'  {args.claim_id.split(".")[0]} = "{module}"',
    ]
