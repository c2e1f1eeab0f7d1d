"""The README runs as written: code blocks, links, commands, generated regions, docs/CLAIMS.md."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from theorylab import cli
from theorylab.catalogue_doc import render_catalogue
from theorylab.readme import FullRun, render, verdicts
from theorylab.readme import main as readme_main
from theorylab.registry import load_catalog
from theorylab.report import load_report

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")
FIXTURE = Path(__file__).parent / "data" / "readme-results.json"
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def blocks(language: str) -> list[str]:
    """The README's fenced code blocks in ``language``."""
    return [body for lang, body in _FENCE.findall(TEXT) if lang == language]


def commands(body: str) -> list[str]:
    """Shell commands of a bash block: comment lines dropped, ``&&`` chains split."""
    lines = [line.strip() for line in body.splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    return [part.strip() for line in code for part in line.split("&&")]


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_block_runs_as_written(index):
    source = blocks("python")[index]
    if re.search(r"^\s*import torch", source, re.MULTILINE):
        pytest.importorskip("torch")
    exec(compile(source, f"README.md python block {index}", "exec"), {"__name__": "readme"})


def test_relative_links_and_paths_exist():
    links = re.findall(r"\]\(([^)\s]+)\)", TEXT)
    targets = [link.split("#")[0] for link in links if "://" not in link]
    quoted = re.findall(r"`([\w./-]+)`", TEXT)
    paths = [item for item in quoted if "/" in item or re.search(r"\.(md|py|toml)$", item)]
    outputs = ("theorylab-report/", "ci-")  # what a run writes, not repository files
    candidates = [item for item in targets + paths if not item.startswith(outputs)]
    assert "docs/CLAIMS.md" in candidates and len(candidates) > 10
    missing = sorted({item for item in candidates if not (ROOT / item).exists()})
    assert not missing, f"README names files the repository does not have: {missing}"


def normalised(line: str) -> str | None:
    """A shell command line without ``-q`` flags, re-quoted; None if it is not one line."""
    try:
        return shlex.join(part for part in shlex.split(line) if part != "-q")
    except ValueError:  # the first line of a multi-line quoted argument
        return None


def test_install_and_test_commands_are_what_ci_runs():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    ci_commands = {normalised(line) for line in ci} - {None}
    readme = commands(blocks("bash")[0])
    installs = [item for item in readme if item.startswith(("pip ", "pytest"))]
    assert installs and all(shlex.join(shlex.split(item)) in ci_commands for item in installs)
    main_job = next(item for item in readme if item.startswith("theorylab verify"))
    assert any(line.startswith(main_job) for line in ci)


def test_cheap_commands_and_catalogue_match_the_code(capsys):
    claims = {claim.id: claim for claim in load_catalog().all()}
    assert cli.main(["list"]) == 0
    listed = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert sorted(listed) == sorted(claims)
    assert cli.main(["show", "tpv.label_noise_regimes"]) == 0
    assert "statement:" in capsys.readouterr().out
    in_tables = {claim for region, claim, column in verdicts(TEXT) if region != "verify-output"}
    assert in_tables == set(claims)
    companions = sum(1 for claim in claims.values() if claim.companion_of)
    assert f"{len(claims)} claims, {companions} of them `.corrected` companions" in TEXT


def test_generated_regions_are_idempotent_on_the_committed_readme():
    report = load_report(FIXTURE)
    full = FullRun(sorted(ROOT.glob("reports/*/results.json")))
    assert render(TEXT, report, full, ROOT) == TEXT


def test_check_fails_on_a_verdict_and_only_warns_on_evidence(tmp_path, capsys):
    readme = tmp_path / "README.md"
    line = next(item for item in TEXT.splitlines() if item.startswith("| `tpv.trace_inequality`"))
    evidence_only = line.replace("40 integer instances", "41 integer instances")
    readme.write_text(TEXT.replace(line, evidence_only), encoding="utf-8")
    (tmp_path / "reports").symlink_to(ROOT / "reports")  # the full runs, beside the README
    argv = ["--results", str(FIXTURE), "--readme", str(readme)]
    assert readme_main([*argv, "--check"]) == 0
    assert "41 integer instances" in capsys.readouterr().err
    wrong = evidence_only.replace("| HOLDS |", "| REFUTED |", 1)
    readme.write_text(TEXT.replace(line, wrong), encoding="utf-8")
    assert readme_main([*argv, "--check"]) == 1
    message = "tpv.trace_inequality (quick) says REFUTED, the results say HOLDS"
    assert message in capsys.readouterr().err
    assert readme_main(argv) == 0 and readme.read_text(encoding="utf-8") == TEXT


def test_claims_document_is_generated_from_the_specs():
    expected = render_catalogue(load_catalog().all())
    assert (ROOT / "docs" / "CLAIMS.md").read_text(encoding="utf-8") == expected, (
        "docs/CLAIMS.md is out of date: python -m theorylab.catalogue_doc"
    )


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--results", "no/such.json"], "does not exist"),
        (["--results", str(FIXTURE), "--readme", "no/README.md"], "does not exist"),
    ],
)
def test_generator_bad_input_exits_2_with_one_line(capsys, argv, words):
    assert readme_main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
