"""Finding things: paper names and LaTeX in ``show``, did-you-mean, the HTML report's contents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_report import make_report
from theorylab.cli import main
from theorylab.latex_text import latex_to_text
from theorylab.papers import PAPERS, paper_for, paper_label
from theorylab.registry import load_catalog
from theorylab.report import render_html

SHARED_PAPERS = Path(__file__).resolve().parents[2] / "shared" / "papers"


def test_every_claim_cites_a_known_paper():
    for claim in load_catalog().all():
        paper = paper_for(claim.source.paper)
        assert paper is not None, claim.source.paper
        assert claim.id.split(".")[0] == paper.key


@pytest.mark.skipif(not SHARED_PAPERS.is_dir(), reason="paper texts are not shipped to users")
@pytest.mark.parametrize("paper", PAPERS, ids=[p.key for p in PAPERS])
def test_stored_titles_are_the_papers_first_lines(paper):
    text = (SHARED_PAPERS / paper.file).read_text(encoding="utf-8")
    first = next(line.strip() for line in text.splitlines() if line.strip())
    assert first == paper.title


def test_show_names_the_paper_and_renders_latex(capsys):
    assert main(["show", "seos.k_theorem"]) == 0
    out = capsys.readouterr().out
    assert paper_label("002") in out
    assert "002_221c0ed419511743" not in out
    assert "𝒦" in out and "\\mathcal" not in out and "\\|" not in out
    assert main(["show", "seos.k_theorem", "--json"]) == 0
    raw = json.loads(capsys.readouterr().out)
    assert "\\mathcal{K}" in raw["statement"]  # --json keeps the raw LaTeX


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"\|A\|_{op}<1 \wedge \mathcal{K}<1", "‖A‖ₒₚ<1 ∧ 𝒦<1"),
        (r"\tfrac{\eta}{2B}\mathrm{tr}\,\Theta", "η/(2B)tr Θ"),
        (r"\forall\tilde p_0", "∀p̃₀"),
        (r"\mathbb{E}[\delta^\top H\delta]", "𝔼[δᵀ Hδ]"),
        (r"\sqrt\pi\,\Gamma(\frac{K+1}{2})", "√π Γ((K+1)/2)"),
        (r"\lambda_{\max} \ge 0", "λₘₐₓ ≥ 0"),
    ],
)
def test_latex_to_text(latex, text):
    assert latex_to_text(latex) == text


def test_no_catalogue_statement_keeps_a_backslash_macro():
    for claim in load_catalog().all():
        texts = [claim.statement, *(a.statement for a in [*claim.assumptions, *claim.conventions])]
        for rendered in map(latex_to_text, texts):
            assert not re.search(r"\\[A-Za-z]", rendered), (claim.id, rendered)


def test_html_report_has_contents_grouped_by_paper_with_working_anchors():
    page = render_html(make_report())
    assert '<nav aria-label="Contents">' in page
    assert paper_label("000") in page
    anchors = set(re.findall(r'id="([^"]+)"', page))
    links = set(re.findall(r'href="#([^"]+)"', page))
    assert {"top", "tpv.noise_covariance"} <= links
    assert links <= anchors
    assert page.count('href="#top"') == len(make_report().results)
