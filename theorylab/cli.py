"""The ``theorylab`` command: list, show, verify, prove, falsify, report, errata, schema, new.

``--claims MODULE`` (repeatable) on list, show, verify, prove, falsify and report also loads
a user's claim module, which imports (runs) it; installed ``theorylab.claims`` entry points
are always loaded (:mod:`theorylab.discovery`). ``new`` writes a claim module and its test
from a template (:mod:`theorylab.scaffold`).

Exit codes: 0 the command ran (whatever the verdicts); 1 ``--fail-on`` tripped; 2 bad usage
or bad input, reported as one line on stderr without a traceback. On a terminal, results
come as a rich table with a progress bar; when piped, as plain lines; ``--json`` gives the
pydantic report for machines (``--json`` alone writes it to stdout).

Where ``verify`` writes: by default the results JSON (saved after every claim, so
``--resume`` can pick up an interrupted run) and the Markdown and HTML report go to
``theorylab-report/`` (:data:`DEFAULT_REPORT_DIR`); ``--report DIR`` puts all three in
``DIR``; ``--json FILE`` alone writes only that file; ``--no-report`` writes nothing. The
last line says what was written. ``prove`` writes only where ``--json`` / ``--report`` say.

``prove`` runs the symbolic derivation steps only. Its verdict column reads ``steps PROVED``
(or ``steps REFUTED``) and each line says whether the claim has other checks that were not
run, and what a stored ``verify`` results file says about the claim, so a proved derivation
is never presented as the claim's verdict.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from theorylab import __version__
from theorylab.cli_checks import check_output_paths, seed_argument
from theorylab.console import DEFAULT_REPORT_DIR, Output, written_line
from theorylab.errors import TheorylabError
from theorylab.spec import CheckKind, Claim, Level, Report, Verdict
from theorylab.sweep.options import add_sweep_arguments, prepare_sweep

__all__ = ["main"]

FAIL_ON = {
    "never": frozenset(),
    "refuted": frozenset({Verdict.REFUTED}),
    "inconclusive": frozenset({Verdict.REFUTED, Verdict.INCONCLUSIVE}),
}
FALSIFY_EXAMPLES = 1000


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"theorylab: error: {message} (see 'theorylab {self._sub()}--help')\n")

    def _sub(self) -> str:
        parts = self.prog.split()[1:]
        return "".join(f"{part} " for part in parts)


def _add_threads_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--threads", type=int, default=None, metavar="N",
        help="torch CPU threads (default: the cores not busy with other processes, at least 1)",
    )


def _apply_threads(args: argparse.Namespace) -> None:
    """Set torch's CPU threads before any check runs (policy: theorylab.threads)."""
    from theorylab.threads import apply_threads

    if args.threads is not None and args.threads < 1:
        raise TheorylabError(f"--threads must be >= 1, got {args.threads}")
    apply_threads(args.threads)


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="theorylab", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"theorylab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="the claim catalogue")
    listing.add_argument("--json", action="store_true", help="print the claims as JSON")

    show = commands.add_parser("show", help="one claim: statement, assumptions, checks")
    show.add_argument("claim_id")
    show.add_argument("--json", action="store_true", help="print the claim as JSON")

    for name, helptext in (("verify", "run claims' checks"), ("prove", "run symbolic checks")):
        command = commands.add_parser(name, help=helptext)
        command.add_argument("claims", nargs="*", metavar="ID", help="ids, globs or tags")
        command.add_argument("--all", action="store_true", help="every claim")
        command.add_argument("--level", choices=[level.value for level in Level], default="quick")
        command.add_argument("--backend", choices=["auto", "numpy", "torch"], default="auto")
        command.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
        command.add_argument("--seed", type=seed_argument, default=0)
        _add_threads_option(command)
        if name == "verify":
            add_sweep_arguments(command)
            command.add_argument(
                "--kind",
                action="append",
                choices=[kind.value for kind in CheckKind],
                help="run only checks of this kind (repeatable; default: all kinds)",
            )
        command.add_argument(
            "--json", nargs="?", const="-", metavar="FILE", help="write results JSON (- = stdout)"
        )
        command.add_argument("--report", metavar="DIR", help="write JSON, Markdown and HTML here")
        if name == "verify":
            command.add_argument(
                "--no-report",
                action="store_true",
                help=f"write no files (default without --json/--report: {DEFAULT_REPORT_DIR}/)",
            )
        command.add_argument("--fail-on", choices=sorted(FAIL_ON), default="never")
        command.add_argument(
            "--resume",
            action="store_true",
            help="reuse claims already in --json FILE, and grid cells in its .cells.jsonl",
        )

    falsify = commands.add_parser("falsify", help="hypothesis search for a counterexample")
    falsify.add_argument("claim_id")
    falsify.add_argument("--max-examples", type=int, default=FALSIFY_EXAMPLES)
    falsify.add_argument("--seed", type=seed_argument, default=0)
    _add_threads_option(falsify)
    falsify.add_argument("--fail-on", choices=sorted(FAIL_ON), default="never")

    report = commands.add_parser("report", help="render a results JSON as Markdown and HTML")
    report.add_argument("results", metavar="RESULTS.json")
    report.add_argument("--report", metavar="DIR", help="output folder (default: beside it)")

    errata = commands.add_parser(
        "errata", help="one errata sheet per paper: Markdown, HTML and LaTeX"
    )
    errata.add_argument(
        "papers", nargs="*", metavar="PAPER", help="paper keys or numbers (default: all five)"
    )
    errata.add_argument(
        "--results", metavar="FILE",
        help="quick-level results JSON (default: verify the papers' claims at quick level)",
    )
    errata.add_argument(
        "--full", nargs="*", type=Path, metavar="FILE",
        help="stored full-level results (default: reports/*/results.json; name PAPERs first)",
    )
    errata.add_argument(
        "--out", default="errata", metavar="DIR", help="output folder (default: errata/)"
    )
    errata.set_defaults(claim_modules=[])

    schema = commands.add_parser("schema", help="JSON Schema of a Claim (or a Report)")
    schema.add_argument("--model", choices=["claim", "report"], default="claim")
    from theorylab.diagnose.command import add_diagnose_parser

    _add_threads_option(add_diagnose_parser(commands))
    from theorylab.scaffold import add_new_parser

    add_new_parser(commands)
    for name in ("list", "show", "verify", "prove", "falsify", "report"):
        commands.choices[name].add_argument(
            "--claims", dest="claim_modules", action="append", default=[], metavar="MODULE",
            help="also load claims from this module (repeatable; importing it runs its code)",
        )
    return parser


def _selected_kinds(args: argparse.Namespace) -> frozenset[CheckKind] | None:
    """``prove`` runs symbolic checks; ``verify --kind K`` only kinds K; else every kind."""
    if args.command == "prove":
        return frozenset({CheckKind.SYMBOLIC})
    if getattr(args, "kind", None):
        return frozenset(CheckKind(kind) for kind in args.kind)
    return None


# --------------------------------------------------------------------------- commands


def _catalog(args: argparse.Namespace):
    """Built-in claims, ``theorylab.claims`` entry points and ``--claims`` modules."""
    from theorylab.registry import load_catalog

    return load_catalog(args.claim_modules)


def _cmd_list(args: argparse.Namespace, out: Output) -> int:
    claims = _catalog(args).all()
    if args.json:
        print(json.dumps([claim.model_dump(mode="json") for claim in claims], indent=2))
        return 0
    for claim in claims:
        kinds = ",".join(sorted({check.kind.value for check in claim.checks}))
        out.line(f"{claim.id}\t{claim.kind.value}\t{claim.source.location}\t[{kinds}]")
    return 0


def _cmd_show(args: argparse.Namespace, out: Output) -> int:
    claim = _catalog(args).get(args.claim_id)
    if args.json:
        print(claim.model_dump_json(indent=2))
        return 0
    for text in _describe(claim):
        out.line(text)
    return 0


def _describe(claim: Claim) -> list[str]:
    """``show``'s text: the paper by key and title, LaTeX rendered as Unicode (raw: --json)."""
    from theorylab.latex_text import latex_to_text
    from theorylab.papers import paper_label

    equations = f", Eq. {', '.join(claim.source.equations)}" if claim.source.equations else ""
    lines = [
        f"{claim.id} — {claim.title}",
        f"paper: {paper_label(claim.source.paper)}",
        f"source: {claim.source.location}{equations}",
        f"kind: {claim.kind.value}",
        f"statement: {latex_to_text(claim.statement)}",
    ]
    lines += [
        f"assumption ({item.name}): {latex_to_text(item.statement)}" for item in claim.assumptions
    ]
    lines += [
        f"convention ({item.name}): {latex_to_text(item.statement)}" for item in claim.conventions
    ]
    lines.append(f"tolerance: rtol={claim.tolerance.rtol:g}, atol={claim.tolerance.atol:g}")
    if claim.tolerance.error_law:
        lines.append(f"error law: {claim.tolerance.error_law}")
    lines += [
        f"check [{check.kind.value}] {check.name}: {check.description}" for check in claim.checks
    ]
    if claim.notes:
        lines.append(f"notes: {claim.notes}")
    return lines


def _output_paths(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """The results JSON and the report folder this run writes (module docstring); None: none.

    Raises
    ------
    TheorylabError
        For ``--no-report`` together with ``--json FILE`` or ``--report DIR``.
    """
    json_path = None if args.json in (None, "-") else Path(args.json)
    if getattr(args, "no_report", False):
        if json_path is not None or args.report:
            raise TheorylabError("--no-report conflicts with --json FILE and --report DIR")
        return None, None
    if args.report:
        folder = Path(args.report)
        return json_path or folder / "results.json", folder
    if args.command == "verify" and args.json is None:
        return DEFAULT_REPORT_DIR / "results.json", DEFAULT_REPORT_DIR
    return json_path, None


def _previous_results(args: argparse.Namespace, path: Path | None) -> list:
    from theorylab.report import load_report

    if not args.resume:
        return []
    if path is None:
        raise TheorylabError(
            "--resume needs a results file to read earlier results from: --json FILE"
        )
    if not path.exists():
        return []
    earlier = load_report(path)
    if earlier.level.value != args.level or earlier.seed != args.seed:
        raise TheorylabError(
            f"{path} holds level {earlier.level.value} seed {earlier.seed}; cannot resume a run "
            f"with level {args.level} seed {args.seed}"
        )
    return list(earlier.results)


def _cmd_verify(args: argparse.Namespace, out: Output) -> int:
    _apply_threads(args)
    from theorylab.engine import RunOptions
    from theorylab.report import write_json, write_report_dir

    check_output_paths(*_output_paths(args))  # before anything runs: nothing half-written
    catalog = _catalog(args)
    if args.all or not args.claims:
        if args.command == "verify" and not args.all:
            raise TheorylabError("name claim ids (globs or tags) or pass --all")
        claims = catalog.all()
    else:
        claims = catalog.select(args.claims)
    options = RunOptions(
        level=Level(args.level),
        seed=args.seed,
        backend=args.backend,
        device=args.device,
        kinds=_selected_kinds(args),
        command=args.command,
    )
    json_path, report_dir = _output_paths(args)
    previous = _previous_results(args, json_path)
    options = dataclasses.replace(options, sweep=prepare_sweep(args, json_path))

    def save(partial: Report) -> None:
        if json_path is not None:
            write_json(partial, json_path)

    report = _run_with_progress(claims, catalog, options, previous, save, out)
    if args.command == "prove":
        from theorylab.prove_scope import scope_prove

        report = scope_prove(report, catalog, options.level)
    written: list[Path] = []
    if json_path is not None:
        written.append(write_json(report, json_path))
    if report_dir is not None:
        written += [p for p in write_report_dir(report, report_dir).values() if p != json_path]
    if args.json == "-":
        print(report.model_dump_json(indent=2))
    else:
        out.results(report)
    if written:
        closing = written_line(written)
        if args.json == "-":  # stdout carries the JSON
            print(closing, file=sys.stderr)
        else:
            out.line(closing)
    tripped = [r for r in report.results if r.verdict in FAIL_ON[args.fail_on]]
    return 1 if tripped else 0


def _run_with_progress(claims, catalog, options, previous, save, out: Output) -> Report:
    from theorylab.engine import verify_claims

    if not out.rich:

        def announce(claim: Claim) -> None:
            print(f"running {claim.id} ...", file=sys.stderr, flush=True)

        return verify_claims(
            claims, catalog, options, previous=previous, on_start=announce, on_result=save
        )
    from rich.progress import Progress

    with Progress(console=out.console, transient=True) as progress:
        task = progress.add_task("verifying", total=len(claims))

        def start(claim: Claim) -> None:
            progress.update(task, description=claim.id)

        def finished(partial: Report) -> None:
            save(partial)
            progress.advance(task)

        return verify_claims(
            claims, catalog, options, previous=previous, on_start=start, on_result=finished
        )


def _cmd_falsify(args: argparse.Namespace, out: Output) -> int:
    _apply_threads(args)
    from theorylab.falsify import search

    if args.max_examples < 1:
        raise TheorylabError(f"--max-examples must be >= 1, got {args.max_examples}")
    catalog = _catalog(args)
    searches = catalog.searches(args.claim_id)
    if not searches:
        raise TheorylabError(f"claim {args.claim_id!r} has no counterexample search")
    found = False
    for property_search in searches:
        outcome = search(property_search, max_examples=args.max_examples, seed=args.seed)
        if outcome.counterexample is None:
            out.line(f"{property_search.name}: no counterexample in {outcome.examples} examples")
            continue
        found = True
        out.line(
            f"{property_search.name}: COUNTEREXAMPLE (shrunk) after {outcome.examples} examples"
        )
        out.line(outcome.counterexample.model_dump_json(indent=2))
    return 1 if found and Verdict.REFUTED in FAIL_ON[args.fail_on] else 0


def _cmd_report(args: argparse.Namespace, out: Output) -> int:
    from theorylab.report import load_report, write_report_dir

    if args.claim_modules:  # a report renders from its JSON; load them only to check them
        _catalog(args)
    path = Path(args.results)
    directory = Path(args.report) if args.report else path.parent / DEFAULT_REPORT_DIR
    check_output_paths(None, directory)
    report = load_report(path)
    out.results(report)
    paths = write_report_dir(report, directory)
    out.line(written_line(list(paths.values())))
    return 0


def _cmd_errata(args: argparse.Namespace, out: Output) -> int:
    from theorylab.engine import RunOptions
    from theorylab.errata import build_sheet, output_files, resolve_papers, write_sheets
    from theorylab.papers import paper_for
    from theorylab.report import load_report

    papers = resolve_papers(args.papers)
    target = Path(args.out)
    for path in output_files(papers, target):  # before anything runs
        check_output_paths(path, None)
    full = args.full if args.full is not None else sorted(Path("reports").glob("*/results.json"))
    if args.results:
        report, source = load_report(args.results), args.results
        if report.level is not Level.QUICK:
            raise TheorylabError(f"--results {args.results} holds a {report.level.value}-level "
                                 "run; errata reads the quick level from it")
    else:
        catalog = _catalog(args)
        claims = [c for c in catalog.all() if paper_for(c.source.paper) in papers]
        options = RunOptions(level=Level.QUICK, command="errata")
        report = _run_with_progress(claims, catalog, options, [], lambda _: None, out)
        source = f"a verify run made by this command ({report.created:%Y-%m-%d %H:%M} UTC)"
    sheets = [build_sheet(paper, report, full, source) for paper in papers]
    out.line(f"errata written: {', '.join(map(str, write_sheets(sheets, target)))}")
    return 0


def _cmd_new(args: argparse.Namespace, out: Output) -> int:
    from theorylab.scaffold import run_new

    for line in run_new(args):
        out.line(line)
    return 0


def _cmd_diagnose(args: argparse.Namespace, out: Output) -> int:
    from theorylab.diagnose.command import run_diagnose

    _apply_threads(args)
    return run_diagnose(args, out)


def _cmd_schema(args: argparse.Namespace, out: Output) -> int:
    model = Claim if args.model == "claim" else Report
    print(json.dumps(model.model_json_schema(), indent=2))
    return 0


COMMANDS = {
    "list": _cmd_list,
    "show": _cmd_show,
    "verify": _cmd_verify,
    "prove": _cmd_verify,
    "falsify": _cmd_falsify,
    "report": _cmd_report,
    "schema": _cmd_schema,
    "errata": _cmd_errata,
    "new": _cmd_new,
    "diagnose": _cmd_diagnose,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ran, 1 ``--fail-on`` tripped, 2 bad input)."""
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0)
        return int(exc.code or 0)
    out = Output(sys.stdout)
    try:
        return COMMANDS[args.command](args, out)
    except TheorylabError as exc:
        print(f"theorylab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        print(f"theorylab: error: invalid input at {where}: {first['msg']}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file system failure after the up-front path checks (a race)
        where = f" {exc.filename}" if exc.filename else ""
        print(f"theorylab: error: file system:{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("theorylab: interrupted; results so far are in the --json file", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
