"""``theorylab errata``: five sheets from the README fixture and the stored full-level runs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from theorylab import cli
from theorylab.errata import resolve_papers
from theorylab.errata.exact.common import instance_numbers, small_rational
from theorylab.errata.exact.registry import exact_check
from theorylab.errata.tex import tex_text
from theorylab.errors import UnknownPaperError
from theorylab.papers import PAPERS, paper_for
from theorylab.report import load_report
from theorylab.spec import Counterexample, Verdict

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "data" / "readme-results.json"
FULL = sorted(ROOT.glob("reports/*/results.json"))


@pytest.fixture(scope="module")
def sheets(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("errata")
    argv = ["errata", "--results", str(FIXTURE), "--full", *map(str, FULL), "--out", str(out)]
    assert cli.main(argv) == 0
    return out


def test_five_sheets_in_three_formats(sheets):
    names = sorted(path.name for path in sheets.iterdir())
    assert names == sorted(
        f"errata-{paper.key}{suffix}" for paper in PAPERS for suffix in (".md", ".html", ".tex")
    )


def _refuted(paper_key: str) -> list:
    return [
        result
        for result in load_report(FIXTURE).results
        if paper_for(result.claim.source.paper).key == paper_key
        and result.verdict is Verdict.REFUTED
        and result.claim.companion_of is None
    ]


@pytest.mark.parametrize("paper", [paper.key for paper in PAPERS])
def test_every_refuted_claim_has_its_parts(sheets, paper):
    text = (sheets / f"errata-{paper}.md").read_text(encoding="utf-8")
    refuted = _refuted(paper)
    assert refuted, paper
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    for result in refuted:
        claim = result.claim
        section = next(s for s in sections if s.startswith(f"`{claim.id}`"))
        assert claim.source.location in section.replace("\\", "")
        assert claim.statement in section  # as printed, in a math block
        deciding = [e.check for e in result.evidence if e.verdict is Verdict.REFUTED]
        assert any(f"`{check}`" in section for check in deciding)
        assert f"`{claim.id}.corrected`" in section
        assert f"theorylab verify {claim.id} --kind " in section
        assert ("Verified in exact arithmetic" in section
                or "Not re-verified in exact arithmetic" in section
                or "No exact counterexample: refuted by" in section)


def test_exactly_verified_counterexamples_are_on_the_sheets(sheets):
    markdown = "".join(path.read_text(encoding="utf-8") for path in sheets.glob("*.md"))
    text = markdown.replace("\\", "")  # markdown escapes of | * _
    assert "rank2((S0+S1)/2) = 1/9, short by 1/72" in text
    assert "actual Eq. 46: Sigma_xi = [[0]]" in text
    assert "alpha = log(50)/log(5) > 2 (C1/C2 = 50 vs (H1/H2)^2 = 25)" in text
    assert "CH - HC = [[0, -2], [2, 0]]" in text
    assert "(1/n) X^T X = [[1, 0], [0, 0]]" in text
    assert "actual TPV_test = 1/2" in text
    assert "gap = |Tr(H_tr(w*) C) - Tr(H_te(w*) C)| = 1" in text
    assert "Eq. 15 terms [0, 1/256]: groups 0 and 1 swap" in text
    assert "E[D2 sigma]_B = -1/8, d_2 = E[D2 sigma]_D = 1/16: gap -3/16" in text
    assert "actual K_tr = 1/64, K_HD = 1/63, K = 0: K_HD > K" in text
    assert "G(x=1/2, mu=3/10) = -190/147; actual sum_t y_t^2 = 260/147" in text
    assert "actual max Delta_2 = 3/4 at indices [1]" in text
    assert "(Eq. 74/TPV = eta Tr H/2b = 1/4)" in text
    assert "-> 1/2 as lambda -> 0" in text


def test_html_is_self_contained(sheets):
    for path in sheets.glob("*.html"):
        page = path.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in page
        assert not re.search(r"<script|<link|\b(?:src|href)=\"(?!#|data:)", page), path.name


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_compiles_standalone(sheets, tmp_path):
    for path in sorted(sheets.glob("*.tex")):
        shutil.copy(path, tmp_path / path.name)
        run = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", path.name],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        )
        assert run.returncode == 0, f"{path.name}: {run.stdout[-2000:]}"
        assert (tmp_path / path.with_suffix(".pdf").name).stat().st_size > 0


def test_tex_text_escapes_specials_and_unicode():
    assert tex_text("a_b & 50% #1 {x} ~ ^ \\") == (
        r"a\_b \& 50\% \#1 \{x\} \~{} \^{} \textbackslash{}"
    )
    assert tex_text("σ̂ ≤ ‖x‖²") == (
        r"\ensuremath{\hat{\sigma}} \ensuremath{\le} \ensuremath{\|}x\ensuremath{\|}"
        r"\ensuremath{^{2}}"
    )
    assert tex_text("☃") == "[U+2603]"  # never dropped, never a pdflatex error


def test_small_rationals_and_exact_checks():
    assert small_rational(0.9375) == small_rational(15 / 16)
    assert small_rational(0.19999999999999996) is None
    assert small_rational(384) is None and small_rational(float("nan")) is None
    assert instance_numbers({"K": 96, "spectrum": "Haar"}) == {"K": "96", "spectrum": "Haar"}
    assert instance_numbers({"step": "a", "equation": "Eq. 1"}) is None  # no numbers
    holds = Counterexample(instance={"lambda": 1, "S0": [[1]], "S1": [[1]]}, message="")
    assert exact_check("softrank.properties", "rank2_midpoint_exact", holds).refutes is False
    zero_noise = Counterexample(
        instance={"jacobian": [[1.0], [-1.0]], "residuals": [1.0, -1.0], "batch_size": 1},
        message="",
    )
    assert exact_check(
        "tpv.sgd_noise_covariance", "approximation_1_error_law", zero_noise
    ).refutes is True
    same = [[1.0, 0.0]]
    stable = Counterexample(
        instance={"J_tr(w0)": same, "J_tr(w*)": same, "J_te(w0)": same, "J_te(w*)": same,
                  "C": [[1.0, 0.0], [0.0, 1.0]]},
        message="",
    )
    trace_check = exact_check("tpv.trace_stability", "assumptions_imply_conclusion", stable)
    assert trace_check.refutes is False
    rounded = Counterexample(instance={"per_sample_hessians": [[[0.1 + 0.2, 0], [0, 1]]]},
                             message="")
    assert exact_check("awd.alpha_bounds", "bounds_and_fitted_exponent", rounded) is None


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["errata", "tvp"], "did you mean 'tpv'?"),
        (["errata", "--results", str(ROOT / "reports/tpv-full/results.json")], "full-level"),
        (["errata", "--results", "no-such-file.json"], "no-such-file.json"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, argv, words):
    assert cli.main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_unwritable_out_fails_before_any_work(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["errata", "tpv", "--out", str(blocker / "sub")]) == 2  # no --results: no run
    assert "is a file" in capsys.readouterr().err


def test_resolve_papers():
    assert [paper.key for paper in resolve_papers(["002", "tpv", "seos"])] == ["seos", "tpv"]
    assert len(resolve_papers([])) == 5
    with pytest.raises(UnknownPaperError):
        resolve_papers(["002_221c0ed419511743.txt"])


def _exact(claim_id: str, check: str, **instance):
    return exact_check(claim_id, check, Counterexample(instance=instance, message=""))


def test_exact_eq17_batch_gap_brute_force():
    stored = _exact("seos.conservative_sharpening", "eq17_batch_gap", jacobian=[[1.0], [0.0]],
                    learning_rate=1.0, batch_size=1, P=1, V=1.0, V_z=1.0)
    assert stored.refutes and stored.claimed.endswith("= -1/4")
    assert stored.actual == "E[D2 sigma]_B = -1/8, d_2 = E[D2 sigma]_D = 1/16: gap -3/16"
    # the sympy brute force agrees with the float64 one on a D = 3, P = 2 instance
    from sympy import Integer, Matrix, Rational

    from theorylab.errata.exact.seos import _second_derivative
    from theorylab.solvers.quadratic_regression import exact_eigenvalue_derivatives

    exact = _second_derivative(Matrix([[1, 0], [0, Rational(1, 2)], [0, 0]]), Rational(1, 2), 1,
                               Integer(1), Integer(1))
    assert exact == Rational(1, 48)
    brute = exact_eigenvalue_derivatives([[1.0, 0.0], [0.0, 0.5], [0.0, 0.0]], 0.5, 1).second
    assert float(exact) == pytest.approx(brute, rel=1e-12)  # float64 sum of ~100 terms


def test_exact_k_ordering_and_momentum_gain():
    stored = _exact("seos.k_approximations", "ordering_ktr_khd_k", ntk=[[0.125]], eta=0.25, B=1)
    assert stored.refutes and stored.actual == "K_tr = 1/64, K_HD = 1/63, K = 0: K_HD > K"
    # K from the exact eigenframe is the noise_kernel_norm docstring's 0.4 (C = 11^T/2)
    two = _exact("seos.k_approximations", "ordering_minimal", ntk=[[2.0, 1.0], [1.0, 2.0]],
                 eta=0.2, B=1)
    assert "K = 2/5" in two.actual
    gain = _exact("seos.k_momentum", "printed_gain", x=0.5, mu=0.3)
    assert gain.refutes and gain.claimed.endswith("= -190/147")
    assert gain.actual == "sum_t y_t^2 = 260/147"  # = (1+mu)/((1-mu) x (2(1+mu)-x)), Eq. 66
    plain = _exact("seos.k_momentum", "printed_gain", x=0.5, mu=0.0)  # no momentum: agrees
    assert plain.refutes is False and plain.actual == "sum_t y_t^2 = 4/3"
    assert _exact("seos.k_momentum", "printed_gain", x=2.5, mu=0.0) is None  # diverges


def test_exact_extremality_lyapunov_and_curved_model():
    stored = _exact("subspace.extremality", "proposition3_minimal", base_eigenvalues=[1.0, 0.0],
                    increments=[0.0, 1.0], dimension=1, sigma=1.0)
    assert stored.refutes and stored.actual == "max Delta_2 = 3/4 at indices [1]"
    ordered = _exact("subspace.extremality", "proposition3_minimal",
                     base_eigenvalues=[1.0, 0.0], increments=[1.0, 0.0], dimension=1)
    assert ordered.refutes is False  # Lemma 5's ordering hypothesis restores Prop. 3
    zero = _exact("tpv.sgd_lyapunov", "zero_loss_eq74", n=1, p=1, jacobian=[[1.0]],
                  residuals=[0.0], batch_size=1, learning_rate=0.5)
    assert zero.refutes and "dw**2/4" in zero.claimed and "eta Tr H/2b = 1/4" in zero.actual
    at_two = _exact("tpv.sgd_lyapunov", "zero_loss_eq74", n=1, p=1, jacobian=[[1.0]],
                    residuals=[0.0], batch_size=1, learning_rate=2.0)  # eta Tr H = 2b
    assert at_two.refutes is False
    assert _exact("tpv.sgd_lyapunov", "zero_loss_eq74", n=1, p=1, jacobian=[[1.0]],
                  residuals=[0.5], batch_size=1, learning_rate=0.5) is None
    model = {"atoms": "x∈{a,b} w.p. 1/2", "logit": "N_a = θ + θ²/2, N_b = −θ + θ²/2",
             "labels": "P(y=1|x) = 1/4", "theta_star": 0.0, "alpha_star": 1.0, "kappa": 1.0,
             "F": 0.25, "H": 0.5}
    curved = _exact("softrank.error_uncertainty", "curved_model_counterexample", **model)
    assert curved.refutes and "-> 1/2 as lambda -> 0" in curved.actual
    calibrated = {**model, "labels": "P(y=1|x) = 1/2", "H": 0.25}  # H = F: the bounds hold
    assert _exact("softrank.error_uncertainty", "curved_model_counterexample",
                  **calibrated).refutes is False
    assert _exact("softrank.error_uncertainty", "curved_model_counterexample",
                  **{**model, "H": 0.75}) is None  # not the stored model


def test_inherently_numeric_claims_say_so(sheets):
    text = (sheets / "errata-awd.md").read_text(encoding="utf-8")
    section = text.split("## `awd.random_baseline`")[1].split("\n## ")[0]
    assert "Inherently floating point: its counterexamples are Monte Carlo means" in section
