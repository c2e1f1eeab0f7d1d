"""Claims from outside theorylab: installed entry points and modules named on the command line.

Two ways bring a user's claims into the catalogue next to the built-in ones:

* an installed package names its claim module in the ``theorylab.claims`` entry-point group
  (:data:`ENTRY_POINT_GROUP`), e.g. in its ``pyproject.toml``::

      [project.entry-points."theorylab.claims"]
      classics = "theorylab_classics.claims"

* ``--claims MODULE`` (repeatable) on the command line, or ``--theorylab-claims MODULE`` for
  the pytest plugin, names an importable module.

**Loading claims imports the named modules, which runs their code**, exactly as ``import``
does; name only code you trust. A source that fails to import, defines an invalid spec or
registers a check twice raises one :class:`~theorylab.errors.ClaimSourceError` naming the
module or entry point (and where in its file it failed), and everything it had registered is
removed again; an id that two sources define is a
:class:`~theorylab.errors.ClaimCollisionError` naming both.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic
from pydantic import ValidationError

import theorylab
from theorylab.errors import ClaimCollisionError, ClaimSourceError, TheorylabError

if TYPE_CHECKING:
    from theorylab.registry import Registry

__all__ = ["ENTRY_POINT_GROUP", "claim_entry_points", "load_entry_points", "load_modules"]

ENTRY_POINT_GROUP = "theorylab.claims"
"""The entry-point group whose modules :func:`load_entry_points` imports."""

_LIBRARY_FOLDERS = tuple(
    str(Path(module.__file__).resolve().parent) + os.sep for module in (theorylab, pydantic)
)
"""Frames in these folders are not the user's code (:func:`_where` skips them)."""


def claim_entry_points() -> list[importlib.metadata.EntryPoint]:
    """The installed ``theorylab.claims`` entry points, sorted by name (then value)."""
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return sorted(found, key=lambda point: (point.name, point.value))


def load_entry_points(registry: Registry) -> None:
    """Import every module of :func:`claim_entry_points` into ``registry`` (see module doc)."""
    for point in claim_entry_points():
        dist = getattr(point, "dist", None)
        owner = f" of {dist.name}" if dist is not None else ""
        label = f"entry point {point.name!r} = {point.value!r}{owner}"
        _load(registry, label, point.value.split(":")[0], point.load)


def load_modules(registry: Registry, modules: Iterable[str]) -> None:
    """Import each named module (``--claims MODULE``) into ``registry`` (see module doc)."""
    for name in modules:
        if not name or not all(part.isidentifier() for part in name.split(".")):
            raise ClaimSourceError(f"--claims {name!r}: not a dotted module name like pkg.claims")
        _load(registry, f"--claims {name}", name, lambda name=name: importlib.import_module(name))


def _load(registry: Registry, label: str, module: str, load: Callable[[], Any]) -> None:
    """Run ``load`` inside ``registry.loading(label)``; any failure is one typed error."""
    try:
        with registry.loading(label):
            load()
    except ClaimCollisionError:
        raise
    except ModuleNotFoundError as exc:
        if exc.name is not None and (module == exc.name or module.startswith(f"{exc.name}.")):
            raise ClaimSourceError(
                f"{label}: no module named {exc.name!r} (is its package installed or on "
                "sys.path?)"
            ) from None
        raise ClaimSourceError(f"{label}: importing {module} failed: {exc}{_where(exc)}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(root)"
        raise ClaimSourceError(
            f"{label}: invalid {exc.title} spec at {where}: {first['msg']}{_where(exc)}"
        ) from None
    except TheorylabError as exc:
        raise ClaimSourceError(f"{label}: {exc}{_where(exc)}") from None
    except (Exception, SystemExit) as exc:  # the user's code: any failure is reported alike
        raise ClaimSourceError(
            f"{label}: importing {module} raised {type(exc).__name__}: {exc}{_where(exc)}"
        ) from None


def _where(exc: BaseException) -> str:
    """`` (at FILE:LINE)`` — the last frame of the user's code in the traceback, if any."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f" (at {exc.filename}:{exc.lineno})"
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith(_LIBRARY_FOLDERS) and "importlib" not in frame.filename
    ]
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
