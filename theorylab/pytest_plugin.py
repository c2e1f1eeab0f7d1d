"""pytest plugin: theorylab claims as test items, e.g. ``pytest --theorylab 'mine.*'``.

Registered through the ``pytest11`` entry point, so it is available wherever theorylab is
installed, and **off unless asked for**: without ``--theorylab`` it adds its options and
nothing else (it imports no claim module and collects no item). With ``--theorylab PATTERN``
(repeatable; ids, globs or tags as for ``theorylab verify``) every matching claim becomes one
test item ``theorylab::<claim id>``, appended after the ordinary tests; ``-k`` and ``-m``
select among them as usual. ``--theorylab-claims MODULE`` (repeatable) loads claims from a
module (importing it runs its code); ``theorylab.claims`` entry points are always loaded.

How a claim's verdict becomes a test outcome:

==================================  ==============================================
verdict                             test outcome
==================================  ==============================================
PROVED, HOLDS, HOLDS_APPROX         passed
REFUTED                             failed; the report shows each refuting check
                                    and its (shrunk) counterexample
INCONCLUSIVE                        failed (a check could not decide, or raised);
                                    skipped with ``--theorylab-fail-on refuted``
SKIPPED, NOT_APPLICABLE             skipped, with the reason
==================================  ==============================================

``--theorylab-level``, ``--theorylab-seed`` and ``--theorylab-backend`` are those of
``theorylab verify``. A claim source that fails to load, or a pattern that matches nothing,
is a pytest usage error naming it.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from theorylab.registry import Registry
    from theorylab.spec import Claim, ClaimResult

__all__ = [
    "ClaimFailedError",
    "ClaimItem",
    "describe_failure",
    "pytest_addoption",
    "pytest_collection_modifyitems",
]

_PASSING = ("PROVED", "HOLDS", "HOLDS_APPROX")
_SKIPPING = ("SKIPPED", "NOT_APPLICABLE")


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--theorylab*`` options (all inert unless ``--theorylab`` is given)."""
    group = parser.getgroup("theorylab", "theorylab claims as test items")
    group.addoption(
        "--theorylab", action="append", default=[], metavar="PATTERN",
        help="collect the theorylab claims matching PATTERN (id, glob or tag; repeatable)",
    )
    group.addoption(
        "--theorylab-claims", action="append", default=[], metavar="MODULE",
        help="also load claims from MODULE (repeatable; importing it runs its code)",
    )
    group.addoption("--theorylab-level", choices=["quick", "full"], default="quick")
    group.addoption("--theorylab-seed", type=int, default=0)
    group.addoption("--theorylab-backend", choices=["auto", "numpy", "torch"], default="auto")
    group.addoption(
        "--theorylab-fail-on", choices=["refuted", "inconclusive"], default="inconclusive",
        help="which verdicts fail an item (default: REFUTED and INCONCLUSIVE)",
    )


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect, so they apply to claims too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Append one :class:`ClaimItem` per selected claim (only with ``--theorylab``)."""
    patterns = config.getoption("theorylab")
    if not patterns:
        return
    from theorylab.errors import TheorylabError
    from theorylab.registry import load_catalog

    try:
        catalog = load_catalog(config.getoption("theorylab_claims"))
        claims = catalog.select(patterns)
    except TheorylabError as exc:
        raise pytest.UsageError(f"theorylab: {exc}") from None
    # node ids are shown relative to the invocation folder: put "theorylab" there
    nodeid = os.path.relpath(config.invocation_params.dir / "theorylab", config.rootpath)
    parent = _ClaimCollector.from_parent(session, name="theorylab", nodeid=nodeid)
    collected = [
        ClaimItem.from_parent(parent, name=claim.id, claim=claim, catalog=catalog)
        for claim in claims
    ]
    report = pytest.CollectReport(nodeid, "passed", None, collected)
    config.hook.pytest_collectreport(report=report)  # counted in "collected N items"
    items.extend(collected)


class _ClaimCollector(pytest.Collector):
    """The parent node of the claim items (it collects nothing by itself)."""

    def collect(self) -> list[pytest.Item]:
        return []


class ClaimFailedError(Exception):
    """Raised by :meth:`ClaimItem.runtest` for a failing verdict; carries the result."""

    def __init__(self, result: ClaimResult) -> None:
        super().__init__(f"{result.claim.id}: {result.verdict.value}")
        self.result = result


class ClaimItem(pytest.Item):
    """One theorylab claim, verified as ``theorylab verify`` would verify it."""

    def __init__(self, *, claim: Claim, catalog: Registry, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.claim = claim
        self.catalog = catalog

    def runtest(self) -> None:
        """Verify the claim; fail, skip or pass by the table in the module docstring."""
        from theorylab.engine import RunOptions, verify_claim
        from theorylab.spec import Level

        config = self.config
        options = RunOptions(
            level=Level(config.getoption("theorylab_level")),
            seed=config.getoption("theorylab_seed"),
            backend=config.getoption("theorylab_backend"),
            command="pytest",
        )
        result = verify_claim(self.claim, self.catalog, options)
        verdict = result.verdict.value
        self.user_properties.append(("theorylab_verdict", verdict))
        if verdict in _PASSING:
            return
        lenient = config.getoption("theorylab_fail_on") == "refuted"
        if verdict in _SKIPPING or (verdict == "INCONCLUSIVE" and lenient):
            pytest.skip(f"{self.claim.id} {verdict}: {result.reason}")
        raise ClaimFailedError(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """For a failing verdict: the reason, and every deciding check's counterexample."""
        if not isinstance(excinfo.value, ClaimFailedError):
            return str(super().repr_failure(excinfo, style=style))
        return describe_failure(excinfo.value.result)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """The file of the claim's first check (else the rootdir), and the claim id."""
        checks = self.catalog.checks(self.claim.id)
        try:
            path = Path(inspect.getsourcefile(checks[0].function) or "")
        except (IndexError, TypeError):
            path = self.config.rootpath
        return path, None, f"theorylab claim {self.claim.id}"


def describe_failure(result: ClaimResult) -> str:
    """The failure text: verdict and reason, then each deciding check with its counterexample."""
    lines = [f"{result.claim.id} is {result.verdict.value}: {result.reason}"]
    for evidence in result.evidence:
        if evidence.verdict is not result.verdict:
            continue
        lines.append(f"  check {evidence.check} [{evidence.kind.value}]: {evidence.summary}")
        example = evidence.counterexample
        if example is not None:
            shrunk = " (shrunk)" if evidence.kind.value == "property" else ""
            instance = json.dumps(example.instance, ensure_ascii=False, default=str)
            lines.append(f"    counterexample{shrunk}: {instance}")
            lines.append(f"    claimed: {example.claimed!r}  actual: {example.actual!r}")
            lines.append(f"    {example.message}")
        if "traceback" in evidence.details:
            lines.append(str(evidence.details["traceback"]).rstrip())
    return "\n".join(lines)
