"""A parametrised test that named checks give their expected verdicts at quick level."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from theorylab.registry import CATALOG, CheckContext, load_catalog
from theorylab.spec import Level, Verdict


def expect_verdicts(rows: list[tuple[str, str, Verdict]]) -> Callable[..., None]:
    """``(claim id, check name, verdict)`` rows → a test running each check with seed 0."""

    @pytest.mark.parametrize(("claim", "check", "verdict"), rows)
    def test_verdicts(claim: str, check: str, verdict: Verdict) -> None:
        load_catalog()
        registered = {item.spec.name: item for item in CATALOG.checks(claim)}
        context = CheckContext(level=Level.QUICK, seed=0, backend="torch")
        finding = registered[check].function(context)
        assert finding.verdict is verdict, finding.summary
        if verdict is Verdict.REFUTED:
            assert finding.counterexample is not None

    return test_verdicts
