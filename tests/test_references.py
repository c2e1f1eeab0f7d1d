"""The equation index: every claim is found by each reference its source cites."""

from __future__ import annotations

import pytest

from theorylab.cli import main
from theorylab.papers import paper_for
from theorylab.references import lookup, references, references_in
from theorylab.registry import load_catalog


@pytest.fixture(scope="module")
def claims():
    return load_catalog().all()


def test_every_claim_is_found_by_every_reference_it_cites(claims) -> None:
    for claim in claims:
        cited = references(claim)
        assert cited, f"{claim.id} cites nothing the index can read: {claim.source.location!r}"
        same_paper = [c for c in claims if c.source.paper == claim.source.paper]
        for kind, number in cited:
            assert claim in lookup(same_paper, kind, number), (claim.id, kind, number)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("Props 4.1, 4.2; App. G.3, G.4",
         {("proposition", "4.1"), ("proposition", "4.2"), ("section", "G.3"), ("section", "G.4")}),
        ("Sec. 5, Eq. 14-15; App. A.4, Eq. 20-21",
         {("section", "5"), ("equation", "14"), ("equation", "15"), ("section", "A.4"),
          ("equation", "20"), ("equation", "21")}),
        ("App. C.2, regimes (1), (2a), (2b), (3); Sec. 3.1 'Pathological Cases'",
         {("section", "C.2"), ("section", "3.1")}),
        ("Theorem 3.3 / App. D.3 (corrected)", {("theorem", "3.3"), ("section", "D.3")}),
        ("Assumption 2, Corollary 4, App. A.1 and A.5",
         {("assumption", "2"), ("corollary", "4"), ("section", "A.1"), ("section", "A.5")}),
    ],
)
def test_locations_parse(location: str, expected: set[tuple[str, str]]) -> None:
    assert references_in(location) == expected


def test_cli_equation_lookup(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--paper", "002", "--eq", "17"]) == 0
    ids = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert ids == ["seos.conservative_sharpening", "seos.conservative_sharpening.corrected"]
    assert main(["list", "--paper", "seos", "--theorem", "2.1"]) == 0
    ids = [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()]
    assert "seos.k_theorem" in ids and all(i.startswith("seos.") for i in ids)


def test_section_prefix_and_paper_filter(claims) -> None:
    tpv = [c for c in claims if c.source.paper == paper_for("000").file]
    ids = {c.id for c in lookup(tpv, "section", "D")}
    assert {"tpv.sgd_noise_covariance", "tpv.gauss_newton_split", "tpv.sgd_lyapunov"} <= ids


@pytest.mark.parametrize(
    "argv",
    [["list", "--paper", "009"], ["list", "--eq", " "], ["list", "--paper", "x", "--eq", "1"]],
)
def test_bad_lookup_is_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("theorylab: error:") and "Traceback" not in err
