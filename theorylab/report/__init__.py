"""Results files and human-readable reports of one verification run.

A :class:`~theorylab.spec.Report` is written three ways:

* ``results.json`` — the pydantic model as JSON, the machine-readable record, written
  atomically (:func:`write_json`) and read back with every failure turned into a one-line
  :class:`~theorylab.errors.ResultsFileError` (:func:`load_report`);
* ``report.md`` — a summary table and one section per claim (:func:`render_markdown`);
* ``report.html`` — the same content as a self-contained page: inline CSS, no scripts, no
  external resources, figures drawn with matplotlib's Agg renderer and embedded as base64 PNG
  data URIs (:func:`render_html`).

This package keeps the results files and re-exports the renderers, which live in
:mod:`theorylab.report.markdown` and :mod:`theorylab.report.html_page` (with the building
blocks of :mod:`theorylab.report.html_parts`, the figure drawing of
:mod:`theorylab.report.figure_png` and the shared text of :mod:`theorylab.report.text`).

matplotlib is imported only when a figure is drawn, so ``import theorylab.report`` is cheap.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from theorylab.errors import ResultsFileError
from theorylab.report.figure_png import _figure_png as _figure_png
from theorylab.report.html_page import render_html
from theorylab.report.html_parts import HTML_CSP, HTML_CSS, html_escape, html_table, verdict_badge
from theorylab.report.markdown import _markdown_table as _markdown_table
from theorylab.report.markdown import render_markdown
from theorylab.report.text import _one_line, _shorten
from theorylab.spec import Report

__all__ = [
    "HTML_CSP",
    "HTML_CSS",
    "MAX_RESULTS_BYTES",
    "html_escape",
    "html_table",
    "load_report",
    "render_html",
    "render_markdown",
    "verdict_badge",
    "write_json",
    "write_report_dir",
]

MAX_RESULTS_BYTES: int = 200_000_000
"""Results files larger than this (200 MB) are refused by :func:`load_report`."""

_FORMAT_PREFIX = "theorylab.report/"


# --------------------------------------------------------------------------- JSON files


def write_json(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write ``report`` as indented JSON to ``path``, atomically.

    The JSON is ``report.model_dump_json(indent=2)``. It is written to a temporary file in
    the same folder and moved into place with :func:`os.replace`, so a reader never sees a
    half-written file and an interrupted write leaves any previous file intact.

    Parameters
    ----------
    report : Report
        The run to record.
    path : str or os.PathLike
        Destination file; its folder is created if missing.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    OSError
        If the folder cannot be created or written.
    """
    return _write_text_atomically(Path(path), report.model_dump_json(indent=2) + "\n")


def load_report(path: str | os.PathLike[str]) -> Report:
    """Read and validate a results file written by :func:`write_json`.

    The file is parsed as JSON (never evaluated), must be an object whose ``format`` field
    reads ``theorylab.report/N``, and must validate as a :class:`~theorylab.spec.Report`.

    Parameters
    ----------
    path : str or os.PathLike
        The results file.

    Returns
    -------
    Report
        The validated report.

    Raises
    ------
    ResultsFileError
        With a one-line message, if the file is missing, not a regular file, larger than
        :data:`MAX_RESULTS_BYTES`, unreadable, not UTF-8, not JSON, not a JSON object, has a
        missing or wrong ``format`` field, or fails validation.

    Examples
    --------
    >>> load_report("no/such/results.json")
    Traceback (most recent call last):
    ...
    theorylab.errors.ResultsFileError: no/such/results.json does not exist
    """
    name = os.fspath(path)
    text = _read_bounded_text(Path(path), name)
    if not text.strip():
        raise ResultsFileError(f"{name} is empty, not a theorylab report")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsFileError(
            f"{name} is not valid JSON: line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    except RecursionError:
        raise ResultsFileError(f"{name} is nested too deeply to be a theorylab report") from None
    if not isinstance(data, dict):
        raise ResultsFileError(
            f"{name} is not a theorylab report: expected a JSON object, got {_json_type(data)}"
        )
    if "format" not in data:
        raise ResultsFileError(f"{name} is not a theorylab report: it has no 'format' field")
    declared = data["format"]
    if not _is_report_format(declared):
        shown = _shorten(json.dumps(declared), 60)
        raise ResultsFileError(
            f"{name} is not a theorylab report: format is {shown}, expected '{_FORMAT_PREFIX}N'"
        )
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        raise ResultsFileError(
            f"{name} is not a theorylab report: {_describe_validation_error(exc)}"
        ) from None
    except RecursionError:
        raise ResultsFileError(f"{name} is nested too deeply to be a theorylab report") from None


def write_report_dir(report: Report, directory: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``results.json``, ``report.md`` and ``report.html`` into ``directory``.

    Parameters
    ----------
    report : Report
        The run to record.
    directory : str or os.PathLike
        Output folder, created (with parents) if missing. Existing files of these three
        names are replaced atomically.

    Returns
    -------
    dict of str to Path
        The paths written, under the keys ``"json"``, ``"markdown"`` and ``"html"``.

    Raises
    ------
    OSError
        If the folder cannot be created or written.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "json": write_json(report, folder / "results.json"),
        "markdown": _write_text_atomically(folder / "report.md", render_markdown(report)),
        "html": _write_text_atomically(folder / "report.html", render_html(report)),
    }


def _write_text_atomically(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    # os.open with mode 0o666 lets the umask decide permissions, as for an ordinary file.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _read_bounded_text(path: Path, name: str) -> str:
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ResultsFileError(f"{name} does not exist") from None
    except OSError as exc:
        raise ResultsFileError(f"{name} could not be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(status.st_mode):
        raise ResultsFileError(f"{name} is a directory, not a results file")
    if not stat.S_ISREG(status.st_mode):
        raise ResultsFileError(f"{name} is not a regular file")
    limit_mb = MAX_RESULTS_BYTES / 1e6
    too_large = f"{name} is larger than {limit_mb:g} MB; results files that large are refused"
    if status.st_size > MAX_RESULTS_BYTES:
        raise ResultsFileError(too_large)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_RESULTS_BYTES + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise ResultsFileError(f"{name} could not be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_RESULTS_BYTES:
        raise ResultsFileError(too_large)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResultsFileError(
            f"{name} is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start}"
        ) from None


def _is_report_format(declared: Any) -> bool:
    if not isinstance(declared, str) or not declared.startswith(_FORMAT_PREFIX):
        return False
    version = declared[len(_FORMAT_PREFIX) :]
    return version.isascii() and version.isdigit()


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"


def _describe_validation_error(error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = f"{location}: {_one_line(first['msg'])}"
    others = error.error_count() - 1
    if others:
        message += f" (and {others} more problem{'s' if others > 1 else ''})"
    return message
