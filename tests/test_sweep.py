"""The execution layer (theorylab.sweep) on a tiny grid of cheap pure cells.

Oracle throughout: the serial, in-memory run of the same cells (``probe_cell`` is a seeded
NumPy draw, so equal inputs give bitwise-equal floats). Each executor, a killed-and-resumed
run and a run whose worker dies must reproduce it exactly, with every cell stored once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from theorylab.cli import main
from theorylab.errors import ParameterError
from theorylab.sweep import (
    Cell,
    CellStore,
    SweepOptions,
    WorkerLostError,
    close_dask_clients,
    execute,
    run_sweep,
)
from theorylab.sweep.executors import dask_client
from theorylab.sweep.probe import ProbeResult, probe_cell

CELLS = 8


def _grid(**extra: object) -> list[Cell]:
    return [
        Cell.of(probe_cell, {"x": x, "size": 500, **extra}, seed=5, label=f"x={x}")
        for x in range(CELLS)
    ]


def _reference() -> list[ProbeResult]:
    return run_sweep(_grid(), ProbeResult, SweepOptions(progress=False)).values


def _stored_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def dask_cluster():
    """The layer's own 2-worker LocalCluster (127.0.0.1, processes), closed afterwards."""
    pytest.importorskip("distributed")
    yield SweepOptions(executor="dask", jobs=2, progress=False)
    close_dask_clients()


def test_cell_key_is_canonical_and_ignores_label() -> None:
    first = Cell.of(probe_cell, {"x": 1, "size": (2, 3)}, seed=1, label="a")
    second = Cell.of(probe_cell, {"size": [2, 3], "x": 1}, seed=1, label="b")
    assert first.key == second.key
    assert first.key != Cell.of(probe_cell, {"x": 1, "size": [2, 3]}, seed=2).key
    with pytest.raises(ParameterError, match="not importable"):
        Cell.of(lambda seed: seed, {})


def test_store_skips_a_torn_last_line_and_seals_it(tmp_path: Path) -> None:
    records = [execute(cell) for cell in _grid()[:3]]
    store = CellStore(tmp_path / "cells.jsonl")
    with store:
        for record in records[:2]:
            store.append(record)
    torn = records[2].model_dump_json().encode()[:40]
    with open(store.path, "ab") as handle:
        handle.write(torn)  # a process killed mid-write
    assert set(store.load()) == {records[0].key, records[1].key}
    with store:
        store.append(records[2])
    assert set(store.load()) == {record.key for record in records}
    assert store.skipped_lines == 1  # the sealed torn line, never counted


def test_store_keeps_nan_and_inf(tmp_path: Path) -> None:
    record = execute(_grid()[0]).model_copy(update={"value": {"k": [float("nan"), -float("inf")]}})
    store = CellStore(tmp_path / "cells.jsonl")
    with store:
        store.append(record)
    value = store.load()[record.key].value["k"]
    assert value[0] != value[0] and value[1] == -float("inf")  # NaN and -inf, not null


def test_serial_joblib_and_dask_give_identical_results(dask_cluster: SweepOptions) -> None:
    reference = _reference()
    joblib_run = run_sweep(_grid(), ProbeResult, SweepOptions(jobs=2, progress=False))
    dask_run = run_sweep(_grid(), ProbeResult, dask_cluster)
    assert joblib_run.values == reference
    assert dask_run.values == reference
    assert joblib_run.stats.executor == "joblib"
    assert dask_run.stats.executor == "dask"
    assert dask_run.stats.workers == 2
    address = dask_client(None, 2).scheduler.address  # the same cluster, as --scheduler
    remote = SweepOptions(scheduler=address, progress=False)
    assert run_sweep(_grid(), ProbeResult, remote).values == reference


_KILLED_RUN = """
import sys
from pathlib import Path
from theorylab.sweep import Cell, SweepOptions, run_sweep
from theorylab.sweep.probe import ProbeResult, probe_cell
cells = [Cell.of(probe_cell, {"x": x, "size": 500, "sleep": 0.3}, seed=5) for x in range(8)]
run_sweep(cells, ProbeResult, SweepOptions(store=Path(sys.argv[1]), progress=False))
"""


def _kill_after_three_cells(process: subprocess.Popen, store: Path) -> int:
    """SIGKILL ``process`` once ``store`` holds 3 cells (30 s at most); return the count."""
    deadline = time.monotonic() + 30
    while (not store.exists() or len(_stored_lines(store)) < 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return len(_stored_lines(store))


def test_killed_sweep_resumes_with_every_cell_exactly_once(tmp_path: Path) -> None:
    store = tmp_path / "results.cells.jsonl"
    process = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, str(store)])
    finished = _kill_after_three_cells(process, store)
    assert 3 <= finished < CELLS, "the run must be killed mid-sweep"
    cells = _grid(sleep=0.3)
    resumed = run_sweep(cells, ProbeResult, SweepOptions(store=store, progress=False))
    assert resumed.stats.reused == finished
    assert resumed.stats.computed == CELLS - finished
    keys = [line["key"] for line in _stored_lines(store)]
    assert sorted(keys) == sorted(cell.key for cell in cells)  # each cell exactly once
    assert [value.model_dump() for value in resumed.values] == [
        value.model_dump() for value in _reference()
    ]


_KILLED_CLI = """
import sys
from theorylab import cli, cli_catalogue
from theorylab.registry import Registry
from theorylab.spec import CheckKind, Finding, Verdict
from theorylab.sweep import Cell, run_sweep
from theorylab.sweep.probe import ProbeResult, probe_cell
from tests.toy_catalog import make_claim

registry = Registry()
claim = registry.add(make_claim("toy.sweep"))

@registry.check(claim, kind=CheckKind.EXACT, description="a grid of slow probe cells")
def grid(context):
    cells = [Cell.of(probe_cell, {"x": x, "size": 500, "sleep": 0.3}, seed=5) for x in range(8)]
    run = run_sweep(cells, ProbeResult, context.sweep)
    return Finding(verdict=Verdict.HOLDS, summary="ran",
                   details={"totals": [value.total for value in run.values],
                            "reused": run.stats.reused})

cli_catalogue.catalog = lambda *_: registry
sys.exit(cli.main(["verify", "toy.sweep", *sys.argv[1:]]))
"""


def test_killed_verify_resumes_cell_by_cell(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    store = tmp_path / "results.cells.jsonl"
    command = [sys.executable, "-c", _KILLED_CLI, "--json", str(results)]
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(command, cwd=root)
    finished = _kill_after_three_cells(process, store)
    assert 3 <= finished < CELLS, "verify must be killed mid-sweep"
    assert not results.exists(), "no claim finished before the kill"
    resumed = subprocess.run(
        [*command, "--resume"], cwd=root, capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    details = json.loads(results.read_text())["results"][0]["evidence"][0]["details"]
    assert details["reused"] == finished
    assert details["totals"] == [value.total for value in _reference()]
    keys = [line["key"] for line in _stored_lines(store)]
    assert len(keys) == len(set(keys)) == CELLS  # every cell exactly once


@pytest.mark.parametrize("executor", ["joblib", "dask"])
def test_a_dead_worker_does_not_stop_the_run(
    executor: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if executor == "dask":
        options = request.getfixturevalue("dask_cluster")
    else:
        options = SweepOptions(jobs=2, progress=False)
    store = tmp_path / "cells.jsonl"
    options = SweepOptions(
        executor=options.executor, jobs=options.jobs, store=store, progress=False
    )
    marker = tmp_path / "crashed-once"
    cells = [
        Cell.of(
            probe_cell,
            {"x": x, "size": 500, "crash_marker": str(marker) if x == 3 else None},
            seed=5,
        )
        for x in range(CELLS)
    ]
    run = run_sweep(cells, ProbeResult, options)
    assert marker.exists(), "the first attempt of cell 3 must have killed its worker"
    assert [value.total for value in run.values] == [value.total for value in _reference()]
    keys = [line["key"] for line in _stored_lines(store)]
    assert sorted(keys) == sorted(cell.key for cell in cells)
    if executor == "joblib":  # loky aborts the batch; the layer resubmits what is missing
        assert run.stats.resubmissions >= 1


def test_workers_dying_past_the_retry_budget_raise(tmp_path: Path) -> None:
    cells = [Cell.of(probe_cell, {"x": 0, "crash_marker": str(tmp_path / "m")}, seed=0)]
    with pytest.raises(WorkerLostError):
        run_sweep(cells, ProbeResult, SweepOptions(jobs=2, retries=0, progress=False))


@pytest.mark.parametrize(
    "flags",
    [["--jobs", "0"], ["--executor", "serial", "--scheduler", "tcp://127.0.0.1:1"]],
)
def test_bad_sweep_flags_exit_2(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "tpv.trace_stability.corrected", "--no-report", *flags])
    assert code == 2
    assert "Traceback" not in capsys.readouterr().err
