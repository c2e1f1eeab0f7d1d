"""Every package folder is listed in pyproject.toml, so the wheel carries all of it."""

from __future__ import annotations

from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib


ROOT = Path(__file__).resolve().parents[1]
ROOTS = {"theorylab": "theorylab", "proofs": "theorylab.proofs", "gpu": "theorylab.gpu"}


def _package_folders() -> set[str]:
    found = set()
    for folder, prefix in ROOTS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if "__pycache__" not in parts:
                found.add(".".join([prefix, *parts]))
    return found


def test_pyproject_lists_every_package() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(setuptools["packages"]) == _package_folders()
    assert setuptools["package-dir"] == {v: k for k, v in ROOTS.items()}
