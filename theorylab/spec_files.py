r"""Claim specs as data: a claim module's specs live in a TOML file with the module's stem.

``claims/awd/minimal_duality.py`` reads ``claims/awd/minimal_duality.toml``; a claim
package ``claims/tpv/trace_stability/`` reads ``claims/tpv/trace_stability.toml``. The
TOML holds what a reader of the paper checks — title, location, statement, assumptions,
conventions, tolerance and its error law — and the module keeps the wiring and the checks::

    (MINIMAL_DUALITY,) = CATALOG.add_specs(__file__, cite)  # Registry.add_specs reads it

One ``[[claim]]`` table per claim; ``location`` and ``equations`` become the
:class:`~theorylab.spec.Source` through the paper's ``cite`` (so every source is built one
way, :func:`theorylab.papers.citation`). LaTeX goes in TOML literal strings (``'...'`` or
``'''...'''``), which keep backslashes as written. The file is validated by pydantic when
the module is imported: a missing field or a wrong kind is a
:class:`~theorylab.errors.ClaimDefinitionError` naming the file.

>>> import tempfile, pathlib
>>> from theorylab.papers import citation
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "toy.toml").write_text('''
... [[claim]]
... id = "toy.square"
... title = "A square is non-negative"
... kind = "inequality"
... statement = 'x^2 \\ge 0'
... location = "Eq. 1"
... equations = ["1"]
... tolerance = { rtol = 0.0 }
... ''')
>>> specs = claim_specs(folder / "toy.py", citation("toy.txt", "Toy"))
>>> specs["toy.square"].statement, specs["toy.square"].source.equations
('x^2 \\ge 0', ['1'])
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from theorylab.errors import ClaimDefinitionError
from theorylab.spec import Claim, Source

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["claim_specs", "spec_path"]


def spec_path(module_file: str | Path) -> Path:
    """The TOML beside a claim module (``x.py`` → ``x.toml``; ``x/__init__.py`` → ``x.toml``)."""
    path = Path(module_file)
    return path.parent.with_suffix(".toml") if path.name == "__init__.py" else path.with_suffix(
        ".toml"
    )


def claim_specs(module_file: str | Path, cite: Callable[..., Source]) -> dict[str, Claim]:
    """The claims in the module's TOML, by id, each with its source built by ``cite``.

    Raises
    ------
    ClaimDefinitionError
        If the file is missing, is not TOML, or a claim in it does not validate.
    """
    path = spec_path(module_file)
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8")).get("claim", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ClaimDefinitionError(f"claim specs {path}: {exc}") from None
    specs: dict[str, Claim] = {}
    for table in tables:
        fields = dict(table)
        try:
            location = fields.pop("location")
            equations = fields.pop("equations", [])
            claim = Claim.model_validate({**fields, "source": cite(location, *equations)})
        except (KeyError, ValidationError) as exc:
            raise ClaimDefinitionError(
                f"claim specs {path}, claim {table.get('id', '?')!r}: {exc}"
            ) from None
        specs[claim.id] = claim
    return specs
