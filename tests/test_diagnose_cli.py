r"""``theorylab diagnose --weight-decay λ``: paper 004's λ from the command line.

A bad λ (zero, negative, NaN, infinite) is refused like ``--lr``: exit code 2, one line on
stderr naming the flag, no traceback, nothing written. A good λ reaches the diagnosis: paper
004's ``regularization`` quantity is exactly λ, its method "given (weight_decay=)"; without
the flag it is the documented default :math:`10^{-3}\|F\|_2` (Remark 5.2).
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from theorylab.cli import main

# the tiny model of tests/test_diagnose.py; papers 000-003 and the slow curvature parts skipped
TINY = ["diagnose", "--model", "tests.test_diagnose:tiny_model", "--data",
        "tests.test_diagnose:tiny_data", "--lr", "0.1", "--batch-size", "2", "--skip",
        "000,001,002,003,hessian_trace,spectral_density"]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_a_bad_weight_decay_exits_2_with_one_line(value, tmp_path, capsys):
    folder = tmp_path / "out"
    code = main([*TINY, "--weight-decay", value, "--report", str(folder)])
    captured = capsys.readouterr()
    assert code == 2, captured
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("theorylab: error: --weight-decay must be finite and > 0")
    assert "Traceback" not in captured.err + captured.out
    assert not folder.exists()


def _regularization(folder) -> object:
    from theorylab.diagnose.model import Diagnosis

    diagnosis = Diagnosis.model_validate_json((folder / "diagnosis.json").read_text())
    paper = next(part for part in diagnosis.papers if part.paper == "004")
    return next(q for q in paper.quantities if q.name == "regularization")


def test_a_good_weight_decay_reaches_paper_004(tmp_path, capsys):
    weight_decay = 0.0125
    assert main([*TINY, "--weight-decay", str(weight_decay), "--report",
                 str(tmp_path / "given")]) == 0, capsys.readouterr().err
    given = _regularization(tmp_path / "given")
    assert given.method == "given (weight_decay=)"
    assert given.value == weight_decay  # passed through unchanged (decimal → float → JSON)
    assert main([*TINY, "--report", str(tmp_path / "default")]) == 0  # control: no flag
    default = _regularization(tmp_path / "default")
    assert default.method.startswith("10⁻³‖F‖₂") and default.value != weight_decay
