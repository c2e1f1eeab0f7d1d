"""The ``theorylab`` command: list, show, verify, prove, falsify, report, schema.

Exit codes: 0 the command ran (whatever the verdicts); 1 ``--fail-on`` tripped; 2 bad usage
or bad input, reported as one line on stderr without a traceback. On a terminal, results
come as a rich table with a progress bar; when piped, as plain lines; ``--json`` gives the
pydantic report for machines (``--json`` alone writes it to stdout).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from pydantic import ValidationError

from theorylab import __version__
from theorylab.errors import TheorylabError
from theorylab.spec import CheckKind, Claim, Level, Report, Verdict

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
        command.add_argument("--seed", type=int, default=0)
        if name == "verify":
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
        command.add_argument("--fail-on", choices=sorted(FAIL_ON), default="never")
        command.add_argument(
            "--resume", action="store_true", help="reuse claims already in --json FILE"
        )

    falsify = commands.add_parser("falsify", help="hypothesis search for a counterexample")
    falsify.add_argument("claim_id")
    falsify.add_argument("--max-examples", type=int, default=FALSIFY_EXAMPLES)
    falsify.add_argument("--seed", type=int, default=0)
    falsify.add_argument("--fail-on", choices=sorted(FAIL_ON), default="never")

    report = commands.add_parser("report", help="render a results JSON as Markdown and HTML")
    report.add_argument("results", metavar="RESULTS.json")
    report.add_argument("--report", metavar="DIR", help="output folder (default: beside it)")

    schema = commands.add_parser("schema", help="JSON Schema of a Claim (or a Report)")
    schema.add_argument("--model", choices=["claim", "report"], default="claim")
    return parser


# --------------------------------------------------------------------------- output


class _Output:
    """Rich tables and progress on a terminal, plain lines when piped."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        self.console = Console(file=stream, highlight=False, soft_wrap=True)
        self.rich = self.console.is_terminal
        self.stream = stream

    def line(self, text: str) -> None:
        if self.rich:
            self.console.print(text, markup=False)
        else:
            print(text, file=self.stream, flush=True)

    def results(self, report: Report) -> None:
        if not self.rich:
            for result in report.results:
                self.line(f"{result.claim.id}\t{result.verdict.value}\t{_short(result.reason)}")
            self.line(_counts_line(report))
            return
        from rich.table import Table

        table = Table(title=f"theorylab {report.command} — level {report.level.value}")
        for column in ("claim", "verdict", "checks", "reason"):
            table.add_column(column, overflow="fold")
        for result in report.results:
            checks = ", ".join(f"{e.kind.value}:{e.verdict.value}" for e in result.evidence)
            table.add_row(result.claim.id, _styled(result.verdict), checks, result.reason)
        self.console.print(table)
        self.console.print(_counts_line(report), markup=False)


def _selected_kinds(args: argparse.Namespace) -> frozenset[CheckKind] | None:
    """``prove`` runs symbolic checks; ``verify --kind K`` only kinds K; else every kind."""
    if args.command == "prove":
        return frozenset({CheckKind.SYMBOLIC})
    if getattr(args, "kind", None):
        return frozenset(CheckKind(kind) for kind in args.kind)
    return None


def _short(text: str, limit: int = 200) -> str:
    """One screen line of a reason; the full text is in the JSON report."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _styled(verdict: Verdict) -> str:
    colour = {
        Verdict.PROVED: "green",
        Verdict.HOLDS: "green",
        Verdict.HOLDS_APPROX: "cyan",
        Verdict.REFUTED: "bold red",
        Verdict.INCONCLUSIVE: "yellow",
    }.get(verdict, "dim")
    return f"[{colour}]{verdict.value}[/{colour}]"


def _counts_line(report: Report) -> str:
    counts = report.counts()
    parts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(counts.items()))
    return f"{len(report.results)} claim(s): {parts or 'none'}"


# --------------------------------------------------------------------------- commands


def _catalog():
    from theorylab.registry import load_catalog

    return load_catalog()


def _cmd_list(args: argparse.Namespace, out: _Output) -> int:
    claims = _catalog().all()
    if args.json:
        print(json.dumps([claim.model_dump(mode="json") for claim in claims], indent=2))
        return 0
    for claim in claims:
        kinds = ",".join(sorted({check.kind.value for check in claim.checks}))
        out.line(f"{claim.id}\t{claim.kind.value}\t{claim.source.location}\t[{kinds}]")
    return 0


def _cmd_show(args: argparse.Namespace, out: _Output) -> int:
    claim = _catalog().get(args.claim_id)
    if args.json:
        print(claim.model_dump_json(indent=2))
        return 0
    for text in _describe(claim):
        out.line(text)
    return 0


def _describe(claim: Claim) -> list[str]:
    lines = [
        f"{claim.id} — {claim.title}",
        f"source: {claim.source.paper}, {claim.source.location}, "
        f"Eq. {', '.join(claim.source.equations)}",
        f"kind: {claim.kind.value}",
        f"statement: {claim.statement}",
    ]
    lines += [f"assumption ({item.name}): {item.statement}" for item in claim.assumptions]
    lines += [f"convention ({item.name}): {item.statement}" for item in claim.conventions]
    lines.append(f"tolerance: rtol={claim.tolerance.rtol:g}, atol={claim.tolerance.atol:g}")
    if claim.tolerance.error_law:
        lines.append(f"error law: {claim.tolerance.error_law}")
    lines += [
        f"check [{check.kind.value}] {check.name}: {check.description}" for check in claim.checks
    ]
    if claim.notes:
        lines.append(f"notes: {claim.notes}")
    return lines


def _previous_results(args: argparse.Namespace) -> list:
    from theorylab.report import load_report

    if not args.resume:
        return []
    if args.json in (None, "-"):
        raise TheorylabError("--resume needs --json FILE to read earlier results from")
    path = Path(args.json)
    if not path.exists():
        return []
    earlier = load_report(path)
    if earlier.level.value != args.level or earlier.seed != args.seed:
        raise TheorylabError(
            f"{path} holds level {earlier.level.value} seed {earlier.seed}; cannot resume a run "
            f"with level {args.level} seed {args.seed}"
        )
    return list(earlier.results)


def _cmd_verify(args: argparse.Namespace, out: _Output) -> int:
    from theorylab.engine import RunOptions
    from theorylab.report import write_json, write_report_dir

    catalog = _catalog()
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
    json_path = None if args.json in (None, "-") else Path(args.json)
    previous = _previous_results(args)

    def save(partial: Report) -> None:
        if json_path is not None:
            write_json(partial, json_path)

    report = _run_with_progress(claims, catalog, options, previous, save, out)
    if args.json == "-":
        print(report.model_dump_json(indent=2))
    else:
        out.results(report)
    if args.report:
        paths = write_report_dir(report, Path(args.report))
        out.line(f"report written: {', '.join(str(path) for path in paths.values())}")
    tripped = [r for r in report.results if r.verdict in FAIL_ON[args.fail_on]]
    return 1 if tripped else 0


def _run_with_progress(claims, catalog, options, previous, save, out: _Output) -> Report:
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


def _cmd_falsify(args: argparse.Namespace, out: _Output) -> int:
    from theorylab.falsify import search

    if args.max_examples < 1:
        raise TheorylabError(f"--max-examples must be >= 1, got {args.max_examples}")
    catalog = _catalog()
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


def _cmd_report(args: argparse.Namespace, out: _Output) -> int:
    from theorylab.report import load_report, write_report_dir

    path = Path(args.results)
    report = load_report(path)
    directory = Path(args.report) if args.report else path.parent / "theorylab-report"
    out.results(report)
    paths = write_report_dir(report, directory)
    out.line(f"report written: {', '.join(str(item) for item in paths.values())}")
    return 0


def _cmd_schema(args: argparse.Namespace, out: _Output) -> int:
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
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ran, 1 ``--fail-on`` tripped, 2 bad input)."""
    try:
        args = _build_parser().parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0)
        return int(exc.code or 0)
    out = _Output(sys.stdout)
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
    except KeyboardInterrupt:
        print("theorylab: interrupted; results so far are in the --json file", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
