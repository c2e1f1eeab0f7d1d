"""The cell store: an append-only JSONL file, one finished cell per line, fsynced.

Each line is a :class:`~theorylab.sweep.cells.CellRecord`. A line is written with one
``write`` and ``fsync`` as soon as its cell finishes, so a run killed at any moment loses at
most the cells still running. Reading is tolerant: a torn last line (the process died
mid-write) and any other line that does not parse are skipped, and the first record of a
key wins, so a cell is never counted twice. Before the first append, a torn tail is sealed
with a newline so the next record starts on a line of its own.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from theorylab.errors import ResultsFileError
from theorylab.sweep.cells import CellRecord

__all__ = ["CellStore"]


class CellStore:
    """Append-only JSONL cell records at ``path`` (created on the first append).

    Parameters
    ----------
    path
        The ``.cells.jsonl`` file (see :func:`~theorylab.sweep.options.store_path_for`).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.skipped_lines = 0
        self._descriptor: int | None = None

    def load(self) -> dict[str, CellRecord]:
        """Every readable record by key (first occurrence wins); torn lines are skipped.

        Raises
        ------
        ResultsFileError
            When the path exists but is not a readable file.
        """
        if not self.path.exists():
            return {}
        try:
            lines = self.path.read_bytes().split(b"\n")
        except OSError as exc:
            raise ResultsFileError(f"cannot read cell store {self.path}: {exc}") from exc
        records: dict[str, CellRecord] = {}
        self.skipped_lines = 0
        for line in lines:
            if not line.strip():
                continue
            try:
                record = CellRecord.model_validate_json(line)
            except ValidationError:
                self.skipped_lines += 1
                continue
            records.setdefault(record.key, record)
        return records

    def append(self, record: CellRecord) -> None:
        """Write ``record`` as one line and fsync it before returning."""
        if self._descriptor is None:
            self._descriptor = self._open()
        os.write(self._descriptor, (record.model_dump_json() + "\n").encode())
        os.fsync(self._descriptor)

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            os.write(descriptor, b"\n")  # seal a torn last line
        return descriptor

    def close(self) -> None:
        """Close the file (appending again reopens it)."""
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> CellStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reset(self) -> None:
        """Delete the file: a run without ``--resume`` starts from no cells."""
        self.close()
        self.path.unlink(missing_ok=True)
