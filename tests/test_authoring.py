"""Users' own claims: discovery, the authoring API, bad input, ``theorylab new``, the plugin.

User claim modules are written into ``tmp_path`` under unique package names; the ``catalog``
fixture restores :data:`theorylab.registry.CATALOG` and ``sys.modules`` afterwards, so the
built-in catalogue the other tests see is untouched.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.metadata
import importlib.util
import inspect
import itertools
import sys
import textwrap
from pathlib import Path

import pytest

from theorylab import authoring, cli, discovery, oracles, scaffold
from theorylab.errors import ClaimCollisionError, ClaimSourceError
from theorylab.registry import load_catalog

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "theorylab-classics"
_COUNTER = itertools.count()

HEADER = """\
from theorylab.authoring import *

def spec(claim_id):
    return Claim(id=claim_id, title="t", source=Source(paper="notes", title="Notes",
                 location="Lemma 1"), statement="x^2 \\\\ge 0", kind=ClaimKind.INEQUALITY,
                 tolerance=Tolerance(rtol=0.0))
"""

GOOD = HEADER + """
SQUARES = add_claim(spec("{family}.squares_nonnegative"))

@check(SQUARES, kind=CheckKind.EXACT, description="integers -50..50")
def integer_grid(context):
    smallest = min(x * x for x in range(-50, 51))
    return Finding(verdict=Verdict.HOLDS if smallest >= 0 else Verdict.REFUTED,
                   summary=f"min x^2 = {{smallest}}", instances=101)

BELOW_ONE = add_claim(spec("{family}.squares_below_one"))

def probe(x):
    if x * x < 1:
        return None
    return Counterexample(instance={{"x": x}}, claimed="< 1", actual=x * x,
                          message=f"x = {{x}}: x^2 = {{x * x}}")

def integers():
    from hypothesis import strategies as st
    return st.integers(-100, 100)

add_search(BELOW_ONE, PropertySearch("below_one", "x in -100..100", integers, probe))

CRASHES = add_claim(spec("{family}.crashes"))

@check(CRASHES, kind=CheckKind.EXACT, description="raises while running")
def crashes(context):
    raise ZeroDivisionError("the check divided by zero")
"""

BAD_MODULES = {
    "import_error": "import no_such_dependency_xyz\n",
    "syntax_error": "def broken(:\n",
    "raises": HEADER + "add_claim(spec('{family}.partial'))\nraise RuntimeError('boom')\n",
    "invalid_spec": HEADER + "add_claim(spec('Not A Valid Id'))\n",
    "not_a_claim": HEADER + "add_claim({{'id': '{family}.dict'}})\n",
    "check_twice": HEADER + textwrap.dedent("""
        C = add_claim(spec("{family}.twice"))
        @check(C, kind=CheckKind.EXACT, description="d")
        def first(context): ...
        @check(C, kind=CheckKind.EXACT, description="d", name="first")
        def second(context): ...
        """),
    "same_id_twice": HEADER + "add_claim(spec('{family}.a'))\nadd_claim(spec('{family}.a'))\n",
    "check_unadded": HEADER + textwrap.dedent("""
        @check(spec("{family}.never_added"), kind=CheckKind.EXACT, description="d")
        def orphan(context): ...
        """),
}
BAD_MESSAGES = {
    "import_error": "no_such_dependency_xyz",
    "syntax_error": "SyntaxError",
    "raises": "RuntimeError: boom",
    "invalid_spec": "invalid Claim spec at id",
    "not_a_claim": "takes a theorylab Claim",
    "check_twice": "registered twice",
    "check_unadded": "not in the catalogue",
    "same_id_twice": "is defined twice",
}


@pytest.fixture
def catalog():
    """The loaded catalogue, restored (with ``sys.modules``) after the test."""
    registry = load_catalog()
    tables = ("_claims", "_checks", "_searches", "_sources", "_namespaces")
    saved = {name: dict(getattr(registry, name)) for name in tables}
    lists = {key: list(value) for key, value in registry._checks.items()}
    yield registry
    for name in tables:
        setattr(registry, name, saved[name])
    registry._checks.update(lists)
    for name in [name for name in sys.modules if name.startswith("tl_user_")]:
        del sys.modules[name]


def write_module(tmp_path: Path, monkeypatch, source: str) -> tuple[str, str]:
    """Write ``source`` as a fresh package module on sys.path; its name and claim family."""
    number = next(_COUNTER)
    package, family = f"tl_user_{number}", f"user{number}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "claims.py").write_text(source.format(family=family))
    monkeypatch.syspath_prepend(str(tmp_path))
    return f"{package}.claims", family


def fake_entry_points(monkeypatch, *points: tuple[str, str]) -> None:
    """Make ``theorylab.claims`` entry points ``(name, module)`` appear installed."""
    made = [
        importlib.metadata.EntryPoint(name=name, value=value, group=discovery.ENTRY_POINT_GROUP)
        for name, value in points
    ]

    def entry_points(**selection):
        assert selection == {"group": discovery.ENTRY_POINT_GROUP}
        return made

    monkeypatch.setattr(discovery.importlib.metadata, "entry_points", entry_points)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --------------------------------------------------------------------------- discovery


def test_module_claims_go_through_every_command(catalog, tmp_path, monkeypatch, capsys):
    module, family = write_module(tmp_path, monkeypatch, GOOD)
    code, out, _ = run(capsys, "list", "--claims", module)
    assert code == 0 and f"{family}.squares_nonnegative\tinequality" in out
    assert "tpv.trace_inequality" in out  # the built-in claims are still there
    code, out, _ = run(capsys, "show", "--claims", module, f"{family}.squares_below_one")
    assert code == 0 and "check [property] below_one" in out
    results = tmp_path / "out" / "results.json"
    argv = ["verify", "--claims", module, f"{family}.*", "--report", str(tmp_path / "out")]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    verdicts = dict(line.split("\t")[:2] for line in out.splitlines() if "\t" in line)
    assert verdicts == {
        f"{family}.crashes": "INCONCLUSIVE",
        f"{family}.squares_below_one": "REFUTED",
        f"{family}.squares_nonnegative": "HOLDS",
    }
    code, out, _ = run(capsys, *argv, "--resume")  # every claim reused from results.json
    assert code == 0 and "REFUTED" in out
    code, out, _ = run(capsys, "report", str(results), "--report", str(tmp_path / "again"))
    assert code == 0 and (tmp_path / "again" / "report.html").exists()
    assert f"{family}.squares_below_one" in (tmp_path / "again" / "report.md").read_text()
    code, out, _ = run(capsys, "falsify", "--claims", module, f"{family}.squares_below_one")
    assert code == 0 and "COUNTEREXAMPLE (shrunk)" in out and '"x": 1' in out
    code, out, _ = run(capsys, "prove", "--claims", module, f"{family}.*")
    assert code == 0  # no symbolic checks: SKIPPED, not a crash


def test_check_raising_while_running_is_inconclusive_with_the_error(catalog, tmp_path, monkeypatch):
    module, family = write_module(tmp_path, monkeypatch, GOOD)
    (result,) = authoring.verify(f"{family}.crashes", modules=[module])
    assert result.verdict.value == "INCONCLUSIVE"
    assert "ZeroDivisionError: the check divided by zero" in result.evidence[0].summary


def test_a_module_imported_afresh_replaces_its_own_claims(catalog, tmp_path, monkeypatch):
    module, family = write_module(tmp_path, monkeypatch, GOOD)
    load_catalog([module])
    del sys.modules[module]
    load_catalog([module])  # e.g. importlib.reload, or pytester restoring sys.modules
    assert len(catalog.checks(f"{family}.squares_nonnegative")) == 1


def test_entry_point_claims_are_listed_and_verified(catalog, tmp_path, monkeypatch, capsys):
    module, family = write_module(tmp_path, monkeypatch, GOOD)
    fake_entry_points(monkeypatch, ("mine", module))
    code, out, _ = run(capsys, "list")
    assert code == 0 and f"{family}.squares_below_one" in out
    assert "entry point 'mine'" in catalog.source(f"{family}.squares_below_one")
    (result,) = authoring.verify(f"{family}.squares_nonnegative", modules=[module])  # loaded once
    assert result.verdict.value == "HOLDS"


def test_the_worked_example_through_its_entry_point(catalog, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    fake_entry_points(monkeypatch, ("classics", "theorylab_classics"))
    results = {r.claim.id: r for r in authoring.verify("classics.*", backend="numpy")}
    try:
        assert {claim_id: r.verdict.value for claim_id, r in results.items()} == {
            "classics.gd_quadratic_stability": "HOLDS",
            "classics.hutchinson_gaussian_formula_for_rademacher": "REFUTED",
            "classics.hutchinson_rademacher_variance": "HOLDS",
        }
        false = results["classics.hutchinson_gaussian_formula_for_rademacher"]
        search = next(item for item in false.evidence if item.kind.value == "property")
        assert search.counterexample.instance == {"A": [[1]]}  # the minimal counterexample
        for name in ("gradient_descent", "hutchinson"):
            module = sys.modules[f"theorylab_classics.{name}"]
            assert doctest.testmod(module).failed == 0, name
    finally:
        for name in [name for name in sys.modules if name.startswith("theorylab_classics")]:
            del sys.modules[name]


# --------------------------------------------------------------------------- bad input


def test_an_id_defined_twice_names_both_sources(catalog, tmp_path, monkeypatch, capsys):
    first, family = write_module(tmp_path, monkeypatch, GOOD)
    second, _ = write_module(
        tmp_path, monkeypatch, HEADER + f"add_claim(spec('{family}.squares_nonnegative'))\n"
    )
    with pytest.raises(ClaimCollisionError) as caught:
        load_catalog([first, second])
    assert f"module {first} (--claims {first})" in str(caught.value)
    assert f"module {second} (--claims {second})" in str(caught.value)
    builtin, _ = write_module(
        tmp_path, monkeypatch, HEADER + "add_claim(spec('tpv.trace_inequality'))\n"
    )
    fake_entry_points(monkeypatch, ("clash", builtin))
    code, _, err = run(capsys, "list")
    assert code == 2 and "theorylab.claims.tpv.trace_inequality" in err
    assert f"entry point 'clash' = '{builtin}'" in err and "Traceback" not in err


@pytest.mark.parametrize("case", sorted(BAD_MODULES))
def test_a_bad_claim_module_is_one_error_naming_it(case, catalog, tmp_path, monkeypatch, capsys):
    module, _ = write_module(tmp_path, monkeypatch, BAD_MODULES[case])
    before = set(catalog.ids())
    code, out, err = run(capsys, "verify", "--claims", module, "--no-report", "--all")
    assert code == 2 and out == ""
    assert err.startswith("theorylab: error: ") and err.count("\n") == 1
    assert f"--claims {module}" in err
    assert BAD_MESSAGES[case] in err and "Traceback" not in err
    assert set(catalog.ids()) == before  # what it registered before failing is gone
    fake_entry_points(monkeypatch, ("broken", module))
    with pytest.raises(ClaimSourceError, match=f"entry point 'broken' = '{module}'"):
        load_catalog()


@pytest.mark.parametrize("name", ["no_such_module_xyz", "not a module", ""])
def test_an_unknown_or_malformed_module_name_is_a_usage_error(name, catalog, capsys):
    code, _, err = run(capsys, "list", "--claims", name)
    assert code == 2 and "--claims" in err and "Traceback" not in err


# --------------------------------------------------------------------------- theorylab new


def test_new_writes_a_scaffold_that_claims_nothing(catalog, tmp_path, monkeypatch, capsys):
    package = tmp_path / "tl_user_new"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    argv = ["new", "mine.fresh_lemma", "--package", str(package), "--tests", str(tmp_path / "t")]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "tl_user_new.fresh_lemma" in out
    test_file = tmp_path / "t" / "test_fresh_lemma.py"
    compile(test_file.read_text(), str(test_file), "exec")
    (result,) = authoring.verify("mine.fresh_lemma", modules=["tl_user_new.fresh_lemma"])
    assert result.verdict.value == "INCONCLUSIVE"
    assert run(capsys, *argv)[0] == 2  # no overwrite without --force
    assert run(capsys, *argv, "--force")[0] == 0
    assert run(capsys, "new", "Mine", "--package", str(package))[0] == 2


# --------------------------------------------------------------------------- API and docs


def test_authoring_surface_is_documented_and_its_doctests_pass():
    for name in authoring.__all__:
        value = getattr(authoring, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert (value.__doc__ or "").strip(), f"theorylab.authoring.{name} has no docstring"
    assert authoring.strategies.psd_matrices is not None  # lazily imported
    for module in (authoring, scaffold, oracles):
        failures, attempted = doctest.testmod(module)
        assert failures == 0 and attempted > 0, module.__name__


def test_entry_points_are_declared():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"theorylab": "theorylab.pytest_plugin"}
    example = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    assert example["entry-points"]["theorylab.claims"] == {"classics": "theorylab_classics"}


def test_readme_section_shows_the_examples_code():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Verify your own theorem", 1)[1].split("\n## ", 1)[0]
    source = (EXAMPLE / "theorylab_classics" / "hutchinson.py").read_text(encoding="utf-8")
    regions = [part.split("# README: end", 1)[0] for part in source.split("# README: begin")[1:]]
    assert regions and all(region.strip() in section for region in regions)
    assert "imports (runs)" in " ".join(section.split())  # the docs say loading runs code


# --------------------------------------------------------------------------- pytest plugin

PLUGIN = ("-p", "no:theorylab", "-p", "theorylab.pytest_plugin")  # not twice via entry point


@pytest.fixture(scope="module")
def _modules_imported():
    """Import what a run imports before any ``pytester`` fixture snapshots ``sys.modules``.

    Inline runs drop the modules they imported, and torch cannot be imported twice.
    """
    for name in ("theorylab.engine", "theorylab.pytest_plugin", "theorylab.strategies"):
        importlib.import_module(name)
    if importlib.util.find_spec("torch") is not None:
        importlib.import_module("torch")


@pytest.fixture
def plugin_run(_modules_imported, catalog, pytester):
    """``pytester`` for inline runs of the plugin (see :func:`_modules_imported`)."""
    return pytester


def test_plugin_collects_claims_and_fails_on_refuted(plugin_run, monkeypatch):
    pytester = plugin_run
    module, family = write_module(pytester.path, monkeypatch, GOOD)
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest(*PLUGIN, "--theorylab", f"{family}.squares_*",
                                "--theorylab-claims", module)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        f"*{family}.squares_below_one is REFUTED*",
        "*counterexample (shrunk): {\"x\": 1}*",
        f"FAILED theorylab::{family}.squares_below_one*",
    ])


def test_plugin_maps_inconclusive_to_fail_or_skip(plugin_run, monkeypatch):
    pytester = plugin_run
    module, family = write_module(pytester.path, monkeypatch, GOOD)
    argv = (*PLUGIN, "--theorylab", f"{family}.crashes", "--theorylab-claims", module)
    failed = pytester.runpytest(*argv)
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*ZeroDivisionError: the check divided by zero*"])
    pytester.runpytest(*argv, "--theorylab-fail-on", "refuted").assert_outcomes(skipped=1)


def test_plugin_is_off_unless_asked_and_reports_bad_sources(plugin_run, monkeypatch):
    pytester = plugin_run
    module, _ = write_module(pytester.path, monkeypatch, BAD_MODULES["raises"])
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    quiet = pytester.runpytest(*PLUGIN, "--theorylab-claims", module)  # no --theorylab
    quiet.assert_outcomes(passed=1)
    assert module not in sys.modules
    broken = pytester.runpytest(*PLUGIN, "--theorylab", "*", "--theorylab-claims", module)
    assert broken.ret == pytest.ExitCode.USAGE_ERROR
    broken.stderr.fnmatch_lines([f"*theorylab: --claims {module}: *RuntimeError: boom*"])
