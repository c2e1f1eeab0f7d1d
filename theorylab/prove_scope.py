"""What ``theorylab prove`` judged: the symbolic derivation steps, not the claim.

A derivation whose every step follows says nothing about a claim whose statement fails on
numbers (``tpv.label_noise_regimes``: steps PROVED, ``verify`` REFUTED). :func:`scope_prove`
rewrites each ``prove`` reason to say so, naming the checks ``prove`` did not run and the
verdict a stored ``verify`` run gives the claim.
"""

from __future__ import annotations

from theorylab.console import DEFAULT_REPORT_DIR
from theorylab.errors import ResultsFileError
from theorylab.registry import Registry
from theorylab.report import load_report
from theorylab.spec import CheckKind, Level, Report

__all__ = ["scope_prove"]


def scope_prove(report: Report, catalog: Registry, level: Level) -> Report:
    """Say in each ``prove`` reason what the symbolic verdict does not cover.

    A claim whose checks at ``level`` are all symbolic gets its verdict from ``prove``; any
    other claim's verdict needs ``verify``: the reason names the checks not run and, when
    ``theorylab-report/results.json`` holds a ``verify`` run, the verdict stored there.

    Parameters
    ----------
    report : Report
        A ``prove`` run (symbolic checks only).
    catalog : Registry
        The catalogue the run used, to count each claim's other checks.
    level : Level
        The level of the run.

    Returns
    -------
    Report
        The same results, each reason prefixed with its scope.
    """
    stored = _stored_verify_verdicts()
    results = []
    for result in report.results:
        others = [
            registered.spec.kind.value
            for registered in catalog.checks(result.claim.id)
            if level in registered.spec.levels and registered.spec.kind is not CheckKind.SYMBOLIC
        ]
        if not others:
            scope = f"all its checks at level {level.value} are symbolic: this is its verdict"
        else:
            scope = (
                f"the claim's verdict needs `theorylab verify`: {len(others)} check(s) "
                f"({', '.join(sorted(set(others)))}) not run"
            )
            if result.claim.id in stored:
                scope += f"; stored verify verdict: {stored[result.claim.id]}"
        results.append(result.model_copy(update={"reason": f"{scope}; steps: {result.reason}"}))
    return report.model_copy(update={"results": results})


def _stored_verify_verdicts() -> dict[str, str]:
    """Claim id → ``VERDICT (level L, FILE)`` from the default ``verify`` results, if any."""
    path = DEFAULT_REPORT_DIR / "results.json"
    if not path.is_file():
        return {}
    try:
        stored = load_report(path)
    except ResultsFileError:
        return {}
    if stored.command != "verify":
        return {}
    where = f"level {stored.level.value}, {path}"
    return {result.claim.id: f"{result.verdict.value} ({where})" for result in stored.results}
