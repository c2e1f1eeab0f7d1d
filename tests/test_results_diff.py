"""results_diff: verdicts and evidence compared field by field, timings left out."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from theorylab.results_diff import differences, main


def _results() -> dict:
    cells = [{"key": "a1", "worker": "w"}]
    evidence = {"verdict": "HOLDS", "seconds": 0.5, "residual": 1e-12,
                "details": {"sweep": {"wall_seconds": 2.0, "per_cell": cells}},
                "environment": {"threads": 2}}
    return {"level": "quick", "seed": 0, "backend": "numpy", "device": "cpu", "created": "x",
            "results": [{"claim": {"id": "toy.a"}, "verdict": "HOLDS", "evidence": [evidence]}]}


def test_timings_workers_and_environment_are_left_out() -> None:
    before, after = _results(), _results()
    evidence = after["results"][0]["evidence"][0]
    evidence["seconds"], evidence["environment"]["threads"] = 9.0, 1
    evidence["details"]["sweep"]["wall_seconds"] = 7.0
    evidence["details"]["sweep"]["per_cell"][0]["worker"] = "other"
    after["created"] = "y"
    assert differences(before, after) == []


def test_a_changed_number_or_verdict_is_reported_by_claim_and_path() -> None:
    before, after = _results(), copy.deepcopy(_results())
    after["results"][0]["evidence"][0]["residual"] = 2e-12
    after["results"][0]["verdict"] = "REFUTED"
    found = differences(before, after)
    assert any(line.startswith("toy.a.verdict") for line in found)
    assert any("evidence[0].residual" in line for line in found)


def test_ignore_and_only(tmp_path: Path) -> None:
    before, after = _results(), _results()
    after["results"][0]["evidence"][0]["details"]["sweep"]["per_cell"][0]["key"] = "b2"
    assert len(differences(before, after)) == 1
    assert differences(before, after, ignore=frozenset({"key"})) == []
    assert differences(before, after, only="other.*") == []
    left, right = tmp_path / "a.json", tmp_path / "b.json"
    left.write_text(json.dumps(before))
    right.write_text(json.dumps(after))
    assert main([str(left), str(right)]) == 1
    assert main([str(left), str(right), "--ignore", "key"]) == 0
    assert main([str(left), str(tmp_path / "missing.json")]) == 2
