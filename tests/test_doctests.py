"""Every docstring example in the package runs: solvers, proofs, gpu, and the core modules.

Collected as one test per module (``pytest -k doctests``), with the module imported under
its installed name (``theorylab.proofs.steps``, not ``proofs.steps``), so the examples use
the same objects users get. Modules of ``theorylab.gpu`` skip without torch.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

_SKIP = {"theorylab.__main__"}


def _walk(package: str) -> list[str]:
    module = importlib.import_module(package)
    found = [package]
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        found.append(info.name)
    return found


def _modules() -> list[str]:
    """Every module; ``theorylab.proofs`` and ``theorylab.gpu`` live in their own folders."""
    names = set(_walk("theorylab")) | set(_walk("theorylab.proofs"))
    if importlib.util.find_spec("torch") is not None:
        names |= set(_walk("theorylab.gpu"))
    return sorted(names - _SKIP)


def _examples(name: str) -> int:
    module = importlib.import_module(name)
    return sum(len(test.examples) for test in doctest.DocTestFinder().find(module))


MODULES = _modules()
WITH_EXAMPLES = [name for name in MODULES if _examples(name)]


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} of {results.attempted} examples failed in {name}"


def test_solvers_proofs_and_gpu_have_examples_collected() -> None:
    packages = ["theorylab.solvers", "theorylab.proofs"]
    if importlib.util.find_spec("torch") is not None:
        packages.append("theorylab.gpu")
    for package in packages:
        assert any(name.startswith(package + ".") for name in WITH_EXAMPLES), package
