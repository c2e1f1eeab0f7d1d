"""Up-front checks of CLI inputs, so bad input fails before any claim runs.

* :func:`seed_argument` — the ``type=`` of ``--seed``: an integer in ``[0, 2**32 - 1]``
  (what :func:`numpy.random.default_rng`, ``torch.manual_seed`` and hypothesis all accept),
  so a negative seed is a usage error (exit 2), not a run of INCONCLUSIVE claims.
* :func:`check_output_paths` — every file a run will write (``--json FILE``, the three
  files of ``--report DIR``) can be created: the nearest existing ancestor is a folder we
  can create entries in (probed with a temporary entry that is removed at once), no
  component is a file, and no target is a folder. It creates nothing that stays, so a
  refused run leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from theorylab.errors import OutputPathError

__all__ = ["MAX_SEED", "REPORT_FILES", "check_output_paths", "seed_argument"]

MAX_SEED = 2**32 - 1
"""Largest accepted ``--seed``."""

REPORT_FILES = ("results.json", "report.md", "report.html")
"""The files ``--report DIR`` writes (:func:`theorylab.report.write_report_dir`)."""


def seed_argument(text: str) -> int:
    """Parse ``--seed``: an integer in ``[0, MAX_SEED]``, else an argparse usage error.

    Examples
    --------
    >>> seed_argument("7")
    7
    >>> seed_argument("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be an integer in [0, 4294967295], got '-1'
    """
    try:
        value = int(text, 10)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, {MAX_SEED}], got {text!r}")
    return value


def check_output_paths(json_path: Path | None, report_dir: Path | None) -> None:
    """Raise :class:`OutputPathError` unless every output of the run can be written.

    Parameters
    ----------
    json_path
        The results file (``--json FILE``), or ``None``.
    report_dir
        The report folder (``--report DIR``), or ``None``; its three files are checked.
    """
    targets: list[Path] = [] if json_path is None else [json_path]
    if report_dir is not None:
        if report_dir.exists() and not report_dir.is_dir():
            raise OutputPathError(f"--report {report_dir}: exists and is not a folder")
        targets += [report_dir / name for name in REPORT_FILES]
    for folder in _distinct_parents(targets):
        _check_creatable_folder(folder)
    for target in targets:
        if target.is_dir():
            raise OutputPathError(f"cannot write {target}: it is a folder")
        if target.exists() and not os.access(target, os.W_OK):
            raise OutputPathError(f"cannot write {target}: permission denied")


def _distinct_parents(targets: Iterable[Path]) -> list[Path]:
    seen: dict[str, Path] = {}
    for target in targets:
        seen.setdefault(os.fspath(target.parent), target.parent)
    return list(seen.values())


def _check_creatable_folder(folder: Path) -> None:
    """``folder`` exists as a writable folder, or can be created under its nearest ancestor."""
    absolute = Path(os.path.abspath(folder))
    ancestor = absolute
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputPathError(
            f"output folder {folder} cannot be created: {ancestor} is a file, not a folder"
        )
    try:  # a real probe: os.access does not see /proc, read-only mounts or ACLs
        if ancestor == absolute:
            handle, probe = tempfile.mkstemp(prefix=".theorylab-probe-", dir=ancestor)
            os.close(handle)
            os.unlink(probe)
        else:
            os.rmdir(tempfile.mkdtemp(prefix=".theorylab-probe-", dir=ancestor))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if ancestor == absolute:
            raise OutputPathError(f"output folder {folder} is not writable: {reason}") from None
        raise OutputPathError(
            f"output folder {folder} cannot be created under {ancestor}: {reason}"
        ) from None
