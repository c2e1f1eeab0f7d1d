"""The package's layers: no runtime import cycle, a torch-free core, self-contained numerics.

Read from the source with :mod:`ast` (nothing is imported), over the three folders the
package is installed from: ``theorylab/``, ``proofs/`` (``theorylab.proofs``) and ``gpu/``
(``theorylab.gpu``). An import counts wherever it is written, inside functions too (a lazy
import still runs); for the cycle rule an import under ``if TYPE_CHECKING:`` does not (it
never runs), and a module importing its own parent package is no edge (the package's
``__init__`` runs first anyway).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (("theorylab", "theorylab"), ("proofs", "theorylab.proofs"), ("gpu", "theorylab.gpu"))
TORCH_FREE = ("engine", "registry", "spec", "checks", "falsify")
"""Core modules that must never import torch, not even lazily."""
NUMERIC_LAYERS = ("theorylab.solvers", "theorylab.proofs", "theorylab.gpu")
UPPER_LAYERS = ("theorylab.claims", "theorylab.engine", "theorylab.registry")
UPPER_PREFIXES = ("theorylab.cli", "theorylab.report")
"""``theorylab.cli*`` and ``theorylab.report*``: any module whose name starts so."""


@dataclass(frozen=True)
class Import:
    """One imported name (``a.b`` for ``import a.b``; ``a`` and ``a.x`` for ``from a import x``)."""

    target: str
    line: int
    type_only: bool
    """Written under ``if TYPE_CHECKING:``."""


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement, anywhere, with whether it is under ``if TYPE_CHECKING:``."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, type_only = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_only
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack += [(child, True) for child in node.body]
            stack += [(child, type_only) for child in node.orelse]
            continue
        stack += [(child, type_only) for child in ast.iter_child_nodes(node)]


def imports_of(source: str, module: str, *, package: bool, filename: str = "<unknown>"
               ) -> list[Import]:
    """The names ``source`` (the text of ``module``) imports, relative imports resolved."""
    here = module if package else module.rpartition(".")[0]
    found = []
    for node, type_only in _import_nodes(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module
            if node.level:
                parts = here.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([node.module] if node.module else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names] if base else []
        found += [Import(name, node.lineno, type_only) for name in names]
    return found


@cache
def modules() -> dict[str, Path]:
    """Every module of the installed package by its dotted name."""
    found = {}
    for folder, prefix in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            found[".".join([prefix, *(part for part in parts if part != "__init__")])] = path
    return found


@cache
def imports(module: str) -> tuple[Import, ...]:
    path = modules()[module]
    return tuple(imports_of(path.read_text(encoding="utf-8"), module,
                            package=path.name == "__init__.py", filename=str(path)))


def runtime_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports at run time (not its own ancestors)."""
    known = modules()
    return {
        module: {
            item.target for item in imports(module)
            if not item.type_only and item.target in known and item.target != module
            and not module.startswith(item.target + ".")
        }
        for module in known
    }


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        for target in graph[stack.pop()]:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (each group is a cycle)."""
    reach = {module: _reachable(graph, module) for module in graph}
    groups = []
    for module in sorted(graph):
        group = sorted(other for other in reach[module] if module in reach[other])
        if group and module == group[0] and len(group) > 1:
            groups.append(group)
    return groups


def _describe(graph: dict[str, set[str]], group: list[str]) -> str:
    edges = [f"  {a} -> {b}" for a in group for b in sorted(graph[a] & set(group))]
    return "\n".join([", ".join(group), *edges])


def test_the_scanner_sees_lazy_relative_and_type_only_imports() -> None:
    source = textwrap.dedent("""
        from typing import TYPE_CHECKING
        from .model import Sheet
        from .. import spec
        if TYPE_CHECKING:
            from theorylab.registry import CheckContext
        else:
            import theorylab.engine
        def later():
            from theorylab.sweep.executors import dask_client
    """)
    found = {(item.target, item.type_only)
             for item in imports_of(source, "theorylab.errata.write", package=False)}
    assert ("theorylab.errata.model.Sheet", False) in found
    assert ("theorylab.spec", False) in found
    assert ("theorylab.registry", True) in found
    assert ("theorylab.engine", False) in found
    assert ("theorylab.sweep.executors", False) in found
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_scan_covers_the_three_folders() -> None:
    names = modules()
    for module in ("theorylab.engine", "theorylab.proofs.steps", "theorylab.gpu.lanczos"):
        assert module in names
    assert "theorylab.spec" in runtime_graph()["theorylab.engine"]


def test_no_runtime_import_cycle() -> None:
    graph = runtime_graph()
    found = cycles(graph)
    assert not found, "runtime import cycles:\n" + "\n".join(_describe(graph, g) for g in found)


@pytest.mark.parametrize("name", TORCH_FREE)
def test_core_module_never_imports_torch(name: str) -> None:
    module = f"theorylab.{name}"
    assert module in modules()
    torch = [f"line {item.line}: {item.target}" for item in imports(module)
             if item.target == "torch" or item.target.startswith("torch.")]
    assert not torch, f"{module} imports torch: {torch}"


def test_importing_the_core_loads_no_torch() -> None:
    names = ", ".join(f"theorylab.{name}" for name in TORCH_FREE)
    code = f"import sys, {names}; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert result.stdout.strip() == "False"


def _upper(target: str) -> bool:
    return any(target == layer or target.startswith(layer + ".") for layer in UPPER_LAYERS) or (
        any(target.startswith(prefix) for prefix in UPPER_PREFIXES)
    )


@pytest.mark.parametrize("layer", NUMERIC_LAYERS)
def test_numeric_layers_import_no_claims_engine_registry_cli_or_report(layer: str) -> None:
    members = [m for m in modules() if m == layer or m.startswith(layer + ".")]
    assert members
    wrong = [f"{module} line {item.line}: {item.target}" for module in members
             for item in imports(module) if _upper(item.target)]
    assert not wrong, f"{layer} imports an upper layer:\n" + "\n".join(wrong)
