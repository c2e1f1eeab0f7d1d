"""``theorylab verify | prove | falsify | report | errata``: running claims and writing results.

Where ``verify`` writes, and what ``prove`` prints, is described in :mod:`theorylab.cli`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from theorylab import cli_catalogue
from theorylab.cli_checks import check_output_paths
from theorylab.console import DEFAULT_REPORT_DIR, Output, written_line
from theorylab.errors import TheorylabError
from theorylab.spec import CheckKind, Claim, Level, Report, Verdict
from theorylab.sweep.prepare import prepare_sweep

__all__ = [
    "FAIL_ON",
    "apply_threads",
    "cmd_errata",
    "cmd_falsify",
    "cmd_report",
    "cmd_verify",
    "run_with_progress",
]

FAIL_ON = {
    "never": frozenset(),
    "refuted": frozenset({Verdict.REFUTED}),
    "inconclusive": frozenset({Verdict.REFUTED, Verdict.INCONCLUSIVE}),
}


def apply_threads(args: argparse.Namespace) -> None:
    """Set torch's CPU threads before any check runs (policy: theorylab.threads)."""
    from theorylab.threads import apply_threads

    if args.threads is not None and args.threads < 1:
        raise TheorylabError(f"--threads must be >= 1, got {args.threads}")
    apply_threads(args.threads)


def _selected_kinds(args: argparse.Namespace) -> frozenset[CheckKind] | None:
    """``prove`` runs symbolic checks; ``verify --kind K`` only kinds K; else every kind."""
    if args.command == "prove":
        return frozenset({CheckKind.SYMBOLIC})
    if getattr(args, "kind", None):
        return frozenset(CheckKind(kind) for kind in args.kind)
    return None


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


def cmd_verify(args: argparse.Namespace, out: Output) -> int:
    """``verify`` / ``prove``: check paths, run the claims, write JSON and the report."""
    apply_threads(args)
    from theorylab.engine import RunOptions
    from theorylab.report import write_json, write_report_dir

    check_output_paths(*_output_paths(args))  # before anything runs: nothing half-written
    catalog = cli_catalogue.catalog(args)
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

    report = run_with_progress(claims, catalog, options, previous, save, out)
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


def run_with_progress(claims, catalog, options, previous, save, out: Output) -> Report:
    """Run the claims with a rich progress bar on a terminal, plain lines when piped."""
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


def cmd_falsify(args: argparse.Namespace, out: Output) -> int:
    """``falsify``: hypothesis search for a shrunk counterexample of one claim."""
    apply_threads(args)
    from theorylab.falsify import search

    if args.max_examples < 1:
        raise TheorylabError(f"--max-examples must be >= 1, got {args.max_examples}")
    catalog = cli_catalogue.catalog(args)
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


def cmd_report(args: argparse.Namespace, out: Output) -> int:
    """``falsify``: hypothesis search for a shrunk counterexample of one claim."""
    from theorylab.report import load_report, write_report_dir

    if args.claim_modules:  # a report renders from its JSON; load them only to check them
        cli_catalogue.catalog(args)
    path = Path(args.results)
    directory = Path(args.report) if args.report else path.parent / DEFAULT_REPORT_DIR
    check_output_paths(None, directory)
    report = load_report(path)
    out.results(report)
    paths = write_report_dir(report, directory)
    out.line(written_line(list(paths.values())))
    return 0


def cmd_errata(args: argparse.Namespace, out: Output) -> int:
    """``report``: render a results JSON as Markdown and HTML."""
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
        catalog = cli_catalogue.catalog(args)
        claims = [c for c in catalog.all() if paper_for(c.source.paper) in papers]
        options = RunOptions(level=Level.QUICK, command="errata")
        report = run_with_progress(claims, catalog, options, [], lambda _: None, out)
        source = f"a verify run made by this command ({report.created:%Y-%m-%d %H:%M} UTC)"
    sheets = [build_sheet(paper, report, full, source) for paper in papers]
    out.line(f"errata written: {', '.join(map(str, write_sheets(sheets, target)))}")
    return 0


