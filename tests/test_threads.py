"""CPU thread policy (theorylab.threads) and its record in the provenance."""

import os

import pytest

from theorylab.errors import ParameterError
from theorylab.provenance import current_environment
from theorylab.threads import apply_threads, default_threads


@pytest.mark.parametrize(
    ("cores", "load", "expected"),
    [(2, 1.0, 1), (2, 0.0, 2), (2, 6.5, 1), (16, 0.2, 16), (16, 4.4, 12), (1, 0.0, 1)],
)
def test_default_threads_leaves_busy_cores_alone(cores, load, expected):
    assert default_threads(cores=cores, load=load) == expected


def test_default_threads_detects_this_machine():
    assert 1 <= default_threads() <= (os.cpu_count() or 1)


def test_apply_threads_rejects_bad_counts():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ParameterError):
            apply_threads(bad)


def test_apply_threads_sets_torch_and_provenance_records_it():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    try:
        assert apply_threads(1) == 1
        assert torch.get_num_threads() == 1
        assert current_environment().threads == 1
    finally:
        torch.set_num_threads(before)


def test_cli_threads_option_is_validated_before_anything_runs(capsys):
    from theorylab.cli import main

    assert main(["verify", "--threads", "0", "no.such.claim"]) == 2
    assert "--threads must be >= 1" in capsys.readouterr().err
    assert main(["falsify", "--threads", "-2", "no.such.claim"]) == 2
    assert main(["verify", "--threads", "two", "no.such.claim"]) == 2  # argparse: not an int
