"""The premise audit (issue 18): every claim lists what its checks could silently assume.

Each premise either names the checks that exercise the statement without it, or is one of the
claim's stated assumptions (same name); the checks named must
be registered for that claim, so the audit cannot point at a check that does not run.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from theorylab.registry import CATALOG, load_catalog
from theorylab.spec import Claim, Premise, PremiseStatus


def _claims() -> list[Claim]:
    load_catalog()
    return [claim for claim in CATALOG.all()
            if CATALOG.source(claim.id).startswith("module theorylab.claims.")]


def test_every_builtin_claim_is_audited() -> None:
    unaudited = [claim.id for claim in _claims() if not claim.premises]
    assert not unaudited, f"claims without a premise audit: {unaudited}"


def test_audited_premises_name_registered_checks() -> None:
    wrong = []
    for claim in _claims():
        registered = {check.name for check in claim.checks}
        wrong += [(claim.id, premise.name, name) for premise in claim.premises
                  for name in premise.checks if name not in registered]
    assert not wrong, f"premises naming checks the claim does not register: {wrong}"


def test_premise_names_are_unique_per_claim() -> None:
    for claim in _claims():
        names = [premise.name for premise in claim.premises]
        assert len(names) == len(set(names)), claim.id


def test_a_premise_checked_without_must_name_its_checks() -> None:
    with pytest.raises(ValidationError, match="must name the checks"):
        Premise(name="zero_mean", premise="noise has zero mean",
                status=PremiseStatus.CHECKED_WITHOUT, finding="-")


def test_stated_premises_are_among_the_assumptions() -> None:
    wrong = []
    for claim in _claims():
        names = {assumption.name for assumption in claim.assumptions}
        wrong += [(claim.id, premise.name) for premise in claim.premises
                  if premise.status is PremiseStatus.STATED and premise.name not in names]
    assert not wrong, f"stated premises that are not assumptions of their claim: {wrong}"
