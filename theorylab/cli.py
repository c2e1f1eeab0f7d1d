"""The ``theorylab`` command: list, show, verify, prove, falsify, report, errata, schema, new.

This module builds the parser and dispatches; the commands live in :mod:`theorylab.cli_catalogue`
(list, show and the equation index) and :mod:`theorylab.cli_run` (verify, prove, falsify,
report, errata).

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
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from theorylab import __version__
from theorylab.cli_catalogue import add_index_arguments, cmd_list, cmd_show
from theorylab.cli_checks import seed_argument
from theorylab.cli_run import (
    FAIL_ON,
    apply_threads,
    cmd_errata,
    cmd_falsify,
    cmd_report,
    cmd_verify,
)
from theorylab.console import DEFAULT_REPORT_DIR, Output
from theorylab.errors import TheorylabError
from theorylab.spec import CheckKind, Claim, Level, Report
from theorylab.sweep.options import add_sweep_arguments

__all__ = ["main"]

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


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="theorylab", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=f"theorylab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="the claim catalogue")
    listing.add_argument("--json", action="store_true", help="print the claims as JSON")
    add_index_arguments(listing)

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


# --------------------------------------------------------------------------- commands


def _cmd_new(args: argparse.Namespace, out: Output) -> int:
    from theorylab.scaffold import run_new

    for line in run_new(args):
        out.line(line)
    return 0


def _cmd_diagnose(args: argparse.Namespace, out: Output) -> int:
    from theorylab.diagnose.command import run_diagnose

    apply_threads(args)
    return run_diagnose(args, out)


def _cmd_schema(args: argparse.Namespace, out: Output) -> int:
    model = Claim if args.model == "claim" else Report
    print(json.dumps(model.model_json_schema(), indent=2))
    return 0


COMMANDS = {
    "list": cmd_list,
    "show": cmd_show,
    "verify": cmd_verify,
    "prove": cmd_verify,
    "falsify": cmd_falsify,
    "report": cmd_report,
    "schema": _cmd_schema,
    "errata": cmd_errata,
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
