"""Compare two ``results.json`` files: verdicts and evidence, with timings left out.

``python -m theorylab.results_diff BEFORE AFTER`` prints every difference in claim verdicts,
reasons and evidence (check by check, field by field), ignoring what differs between two
runs of the same code: wall times, the creation stamp, the command line, and the
environment (versions, platform, thread count). Exit 0 when they agree, 1 when they
differ, 2 when a file cannot be read. A refactor that must not change results
(issue 14) is checked with it; so is a rerun on another machine.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["IGNORED_KEYS", "differences", "main"]

IGNORED_KEYS = frozenset({"created", "command", "environment", "timings", "worker"})
"""Keys whose values legitimately differ between two runs of the same code (with any key
that names seconds: ``seconds``, ``wall_seconds``, ``cell_seconds_max``, ...)."""


def _strip(value: Any, ignored: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip(v, ignored)
            for k, v in value.items()
            if k not in ignored and "seconds" not in k
        }
    if isinstance(value, list):
        return [_strip(v, ignored) for v in value]
    return value


def _walk(before: Any, after: Any, path: str) -> Iterator[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            if key not in before or key not in after:
                side = "after" if key in after else "before"
                yield f"{path}.{key}: only {side}"
            else:
                yield from _walk(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            yield f"{path}: {len(before)} items before, {len(after)} after"
        for index, (left, right) in enumerate(zip(before, after, strict=False)):
            yield from _walk(left, right, f"{path}[{index}]")
    elif before != after:
        yield f"{path}: {str(before)[:120]!r} -> {str(after)[:120]!r}"


def differences(
    before: dict, after: dict, only: str = "*", ignore: frozenset[str] = frozenset()
) -> list[str]:
    """Every difference in verdicts and evidence of the claims matching ``only`` (a glob).

    Keys in :data:`IGNORED_KEYS`, keys naming seconds, and keys in ``ignore`` are left out
    at any depth.
    """
    ignored = IGNORED_KEYS | ignore
    found: list[str] = []
    for field in ("level", "seed", "backend", "device"):
        if before.get(field) != after.get(field):
            found.append(f"{field}: {before.get(field)!r} -> {after.get(field)!r}")
    left, right = (
        {r["claim"]["id"]: _strip(r, ignored) for r in side.get("results", [])
         if fnmatch.fnmatchcase(r["claim"]["id"], only)}
        for side in (before, after)
    )
    for claim_id in sorted(set(left) | set(right)):
        if claim_id not in left or claim_id not in right:
            found.append(f"{claim_id}: only {'after' if claim_id in right else 'before'}")
            continue
        found.extend(_walk(left[claim_id], right[claim_id], claim_id))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Print the differences of two results files; exit 0 if none, 1 if any, 2 if unreadable."""
    parser = argparse.ArgumentParser(prog="python -m theorylab.results_diff")
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--only", default="*", help="compare only claims matching this glob")
    parser.add_argument(
        "--ignore", action="append", default=[], metavar="KEY",
        help="also leave out this key at any depth (repeatable), e.g. key: sweep-cell cache ids",
    )
    args = parser.parse_args(argv)
    try:
        before, after = (json.loads(path.read_text()) for path in (args.before, args.after))
    except (OSError, ValueError) as exc:
        print(f"error: cannot read results: {exc}", file=sys.stderr)
        return 2
    found = differences(before, after, args.only, frozenset(args.ignore))
    for line in found:
        print(line)
    claims = sum(fnmatch.fnmatchcase(r["claim"]["id"], args.only) for r in before["results"])
    print(f"{len(found)} difference(s) over {claims} claims (timings and environment left out)")
    return 1 if found else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
