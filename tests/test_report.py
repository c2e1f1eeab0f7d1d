"""Tests of theorylab.report: JSON round trip, safe loading, Markdown and HTML rendering.

Oracle: a Report built by hand, whose every field is known, so each rendered fact can be
looked up verbatim and the JSON round trip compared with ``==`` on the pydantic model.
"""

from __future__ import annotations

import base64
import doctest
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from theorylab import report as report_module
from theorylab.errors import ResultsFileError
from theorylab.report import load_report, render_html, render_markdown, write_json, write_report_dir
from theorylab.spec import (
    Assumption,
    CheckKind,
    CheckSpec,
    Claim,
    ClaimKind,
    ClaimResult,
    Convention,
    Counterexample,
    DerivationStep,
    Environment,
    Evidence,
    Figure,
    FigureSeries,
    Level,
    Report,
    Source,
    Tolerance,
    Verdict,
)

COUNTEREXAMPLE_MESSAGE = "trace formula is off by a factor n/(n-1) at n=2"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def make_environment() -> Environment:
    return Environment(
        python="3.11.9",
        platform="Linux-test-x86_64",
        numpy="1.99.0",
        scipy="1.99.1",
        sympy="1.99.2",
        pydantic="2.99.0",
        hypothesis="6.99.0",
        torch=None,
        theorylab="0.1.0",
    )


def make_report(title: str = "Gradient noise covariance equals the Fisher") -> Report:
    environment = make_environment()
    claim = Claim(
        id="tpv.noise_covariance",
        title=title,
        source=Source(
            paper="000_f0c853046a0e9bbe.txt",
            title="A paper on SGD noise",
            location="Theorem 3.2, App. C.1",
            equations=["39", "40"],
        ),
        statement=r"C = \frac{1}{n} \sum_i g_i g_i^\top - \bar g \bar g^\top",
        kind=ClaimKind.IDENTITY,
        assumptions=[Assumption(name="iid", statement="samples are i.i.d.")],
        conventions=[Convention(name="fisher", statement=r"F = J^\top J / n")],
        tolerance=Tolerance(rtol=1e-10, atol=1e-12, rationale="float64, n ≤ 50"),
        checks=[
            CheckSpec(name="derive", kind=CheckKind.SYMBOLIC, description="sympy derivation"),
            CheckSpec(name="dense", kind=CheckKind.EXACT, description="dense float64 oracle"),
        ],
        tags=["sgd"],
    )
    symbolic = Evidence(
        verdict=Verdict.PROVED,
        summary="all 2 steps simplify to zero",
        steps=[
            DerivationStep(
                name="expand",
                equation="Eq. 39",
                claim=r"E[g g^\top] = C + \bar g \bar g^\top",
                holds=True,
                method="simplify",
            ),
            DerivationStep(
                name="substitute",
                equation="Eq. 40",
                claim=r"C = F - \bar g \bar g^\top",
                holds=False,
                method="moment substitution",
                residual="g**2/n",
            ),
        ],
        claim_id=claim.id,
        check="derive",
        kind=CheckKind.SYMBOLIC,
        level=Level.QUICK,
        seed=0,
        seconds=0.125,
        environment=environment,
    )
    exact = Evidence(
        verdict=Verdict.REFUTED,
        summary="relative residual 0.5 exceeds rtol 1e-10",
        lhs=1.5,
        rhs=1.0,
        residual=0.5,
        bound=1e-10,
        instances=7,
        sizes={"n": 2, "p": 3},
        counterexample=Counterexample(
            instance={"n": 2, "gradients": [[1.0, 0.0], [0.0, 1.0]]},
            claimed=1.5,
            actual=1.0,
            message=COUNTEREXAMPLE_MESSAGE,
        ),
        figure=Figure(
            title="Residual against n",
            x_label="n",
            y_label="relative residual",
            series=[
                FigureSeries(label="measured", x=[2, 4, 8, 16], y=[0.5, 0.25, 0.125, 0.0625]),
                FigureSeries(label="points", x=[2, 4], y=[0.5, 0.25], style="scatter"),
                FigureSeries(label="1/n law", x=[2, 16], y=[0.5, 0.0625], style="band"),
            ],
            log_x=True,
            log_y=True,
        ),
        claim_id=claim.id,
        check="dense",
        kind=CheckKind.EXACT,
        level=Level.QUICK,
        seed=1234,
        seconds=0.5,
        environment=environment,
    )
    result = ClaimResult(
        claim=claim,
        verdict=Verdict.REFUTED,
        reason="dense check found a counterexample",
        evidence=[symbolic, exact],
    )
    return Report(
        created=datetime(2024, 5, 1, 12, 30, tzinfo=timezone.utc),
        command="theorylab verify tpv.*",
        level=Level.QUICK,
        seed=1234,
        backend="numpy",
        device="cpu",
        environment=environment,
        results=[result],
    )


@pytest.fixture(scope="module")
def sample_report() -> Report:
    return make_report()


@pytest.fixture(scope="module")
def sample_html(sample_report: Report) -> str:
    return render_html(sample_report)


# ---------------------------------------------------------------- JSON files


def test_json_round_trip_equals_original(tmp_path: Path, sample_report: Report) -> None:
    path = write_json(sample_report, tmp_path / "results.json")
    assert path == tmp_path / "results.json"
    assert load_report(path) == sample_report
    assert json.loads(path.read_text())["format"] == "theorylab.report/1"


def test_missing_figure_points_round_trip_and_render(tmp_path: Path) -> None:
    """Regression: a NaN in a figure was written as JSON null, which load_report rejected."""
    series = FigureSeries(label="s", x=[1.0, float("nan"), 3.0], y=[1.0, 2.0, float("inf")])
    assert series.x == [1.0, None, 3.0] and series.y == [1.0, 2.0, None]
    figure = Figure(title="t", x_label="x", y_label="y", series=[series])
    assert report_module._figure_png(figure).startswith(b"\x89PNG")
    path = tmp_path / "figure.json"
    path.write_text(figure.model_dump_json())
    assert Figure.model_validate_json(path.read_text()) == figure


def test_write_json_replaces_and_leaves_no_temporary_file(
    tmp_path: Path, sample_report: Report
) -> None:
    target = tmp_path / "results.json"
    target.write_text("old contents")
    write_json(sample_report, target)
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
    assert load_report(target) == sample_report


def test_write_report_dir_creates_folder_and_three_files(
    tmp_path: Path, sample_report: Report
) -> None:
    paths = write_report_dir(sample_report, tmp_path / "out" / "run1")
    assert set(paths) == {"json", "markdown", "html"}
    assert {p.name for p in paths.values()} == {"results.json", "report.md", "report.html"}
    assert all(p.is_file() for p in paths.values())
    assert load_report(paths["json"]) == sample_report


def _bad_verdict_report() -> str:
    data = json.loads(make_report().model_dump_json())
    data["results"][0]["verdict"] = "MOSTLY_TRUE"
    return json.dumps(data, indent=2)


@pytest.mark.parametrize(
    ("contents", "expected"),
    [
        pytest.param(None, "does not exist", id="missing"),
        pytest.param("", "is empty", id="empty"),
        pytest.param(
            '{\n  "format": "theorylab.report/1",\n    oops\n}',
            "not valid JSON: line 3",
            id="not-json",
        ),
        pytest.param("[1, 2, 3]", "expected a JSON object, got an array", id="array"),
        pytest.param('{"command": "x"}', "no 'format' field", id="no-format"),
        pytest.param(
            '{"format": "otherlab.report/1"}', 'format is "otherlab.report/1"', id="wrong-format"
        ),
        pytest.param(
            '{"format": "theorylab.report/1"}', "is not a theorylab report: ", id="missing-fields"
        ),
        pytest.param(
            _bad_verdict_report(), "results.0.verdict: Input should be 'PROVED'", id="bad-verdict"
        ),
    ],
)
def test_load_report_rejects_bad_files_in_one_line(
    tmp_path: Path, contents: str | None, expected: str
) -> None:
    path = tmp_path / "results.json"
    if contents is not None:
        path.write_text(contents)
    with pytest.raises(ResultsFileError) as excinfo:
        load_report(path)
    message = str(excinfo.value)
    assert expected in message
    assert str(path) in message
    assert "\n" not in message


def test_load_report_rejects_non_utf8_and_directories(tmp_path: Path) -> None:
    binary = tmp_path / "results.json"
    binary.write_bytes(b'{"format": "\xff\xfe"}')
    with pytest.raises(ResultsFileError, match="not UTF-8"):
        load_report(binary)
    with pytest.raises(ResultsFileError, match="is a directory"):
        load_report(tmp_path)


def test_load_report_refuses_files_over_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"format": "theorylab.report/1", "padding": "x" * 200}))
    monkeypatch.setattr(report_module, "MAX_RESULTS_BYTES", 100)
    with pytest.raises(ResultsFileError, match="larger than"):
        load_report(path)


def test_module_doctests_pass() -> None:
    failures, _ = doctest.testmod(report_module)
    assert failures == 0


# ---------------------------------------------------------------- Markdown


def test_markdown_has_summary_sections_and_counterexample(sample_report: Report) -> None:
    markdown = render_markdown(sample_report)
    assert "| `tpv.noise_covariance` | **REFUTED** | dense check found a counterexample |" in (
        markdown
    )
    assert "## `tpv.noise_covariance` — Gradient noise covariance equals the Fisher" in markdown
    assert "Theorem 3.2, App. C.1, Eqs. (39), (40)" in markdown
    assert "$$\nC = \\frac{1}{n}" in markdown
    assert COUNTEREXAMPLE_MESSAGE in markdown
    assert "| dense | exact | REFUTED | 1.5 | 1 | 0.5 | 1e-10 | 7 | 0.500 | 1234 |" in markdown
    assert "| expand | Eq. 39 |" in markdown
    assert "✓" in markdown
    assert "✗" in markdown
    assert "numpy 1.99.0" in markdown


# ---------------------------------------------------------------- HTML


def test_html_is_self_contained(sample_html: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", sample_html, re.I)
    assert "<script" not in sample_html.lower()
    assert "<link" not in sample_html.lower()


def test_html_embeds_a_png_figure(sample_html: str) -> None:
    match = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', sample_html)
    assert match is not None
    assert base64.b64decode(match.group(1)).startswith(PNG_SIGNATURE)


def test_html_has_content_and_badges(sample_html: str) -> None:
    assert "tpv.noise_covariance" in sample_html
    assert '<span class="badge bad">REFUTED</span>' in sample_html
    assert '<span class="badge good">PROVED</span>' in sample_html
    assert COUNTEREXAMPLE_MESSAGE in sample_html


def test_html_escapes_injected_markup() -> None:
    page = render_html(make_report(title="<script>alert('x')</script> & more"))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page


def test_html_survives_a_figure_matplotlib_cannot_draw() -> None:
    base = make_report()
    evidence = base.results[0].evidence[1]
    broken = evidence.figure.model_copy(update={"title": r"$\frac{1$"})
    result = base.results[0].model_copy(
        update={"evidence": [evidence.model_copy(update={"figure": broken})]}
    )
    page = render_html(base.model_copy(update={"results": [result]}))
    assert "could not be drawn" in page


def test_numpy_values_in_details_serialise_as_plain_json() -> None:
    """A check may put NumPy scalars/arrays in ``details``; the JSON report must still write."""
    import numpy as np

    from theorylab.spec import Finding

    details = {"count": np.int64(3), "rows": [np.float64(1.5), np.arange(2)], "flag": np.bool_(1)}
    finding = Finding(verdict=Verdict.HOLDS, summary="numpy details", details=details)
    assert json.loads(finding.model_dump_json())["details"] == {
        "count": 3,
        "rows": [1.5, [0, 1]],
        "flag": True,
    }
