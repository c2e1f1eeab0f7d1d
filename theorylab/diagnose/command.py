"""``theorylab diagnose``: the CLI of :func:`theorylab.diagnose` (imports torch only when run).

``--demo`` trains and diagnoses the built-in digits MLP (:mod:`theorylab.diagnose.demo`);
otherwise ``--model pkg.module:factory`` builds the network, ``--weights FILE`` loads its
state dict (safetensors, or ``torch.load(weights_only=True)``: never pickle) and
``--data pkg.module:loader`` returns ``(inputs, targets)`` or batches of them (pairs, or
dicts of tensors with ``--forward pkg.module:fn`` / ``--target pkg.module:fn``: the hooks of
:mod:`theorylab.diagnose.inputs`); ``--next-data pkg.module:loader`` (the same forms) is the next
batch or stream for paper 003; ``--weight-decay λ`` is paper 004's λ (``weight_decay=`` of
:func:`theorylab.diagnose`; ``--demo`` trains without weight decay and ignores it). Every
input, and that the report can be written, is checked before the computation: bad input is one
line on stderr and exit code 2. Progress is drawn on stderr: a bar per stage, the quantity being
computed and a bar per quantity (:class:`~.progress.TextProgress`); the report is
``diagnosis.json``, ``.md`` and ``.html`` with the figures' PNGs.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys
from pathlib import Path
from typing import Any

from theorylab.errors import BackendUnavailableError, OutputPathError, ParameterError, ShapeError

from .model import SKIP_NAMES

__all__ = ["DEFAULT_DIAGNOSIS_DIR", "add_diagnose_parser", "check_diagnosis_outputs",
           "load_callable", "run_diagnose"]

DEFAULT_DIAGNOSIS_DIR = Path("theorylab-diagnosis")


def add_diagnose_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``diagnose`` subcommand to an ``add_subparsers`` object."""
    command = commands.add_parser("diagnose", help="what the papers' theorems say about a network")
    command.add_argument("--demo", action="store_true",
                         help="train and diagnose the built-in MLP on offline digits")
    command.add_argument("--model", metavar="PKG.MODULE:FACTORY", help="builds the nn.Module")
    command.add_argument("--weights", metavar="FILE", help=".safetensors or a torch state dict")
    command.add_argument("--data", metavar="PKG.MODULE:LOADER",
                         help="returns (inputs, targets) or an iterable of batches")
    command.add_argument("--next-data", metavar="PKG.MODULE:LOADER",
                         help="the next batch or stream, loaded like --data (paper 003)")
    command.add_argument("--loss", default="mse",
                         choices=["mse", "cross_entropy", "binary_cross_entropy"])
    command.add_argument("--lr", type=float, metavar="ETA", help="SGD learning rate η > 0")
    command.add_argument("--batch-size", type=int, metavar="B", help="SGD batch size in samples")
    command.add_argument("--weight-decay", type=float, metavar="λ",
                         help="paper 004's λ > 0: torch.optim.SGD(weight_decay=λ) on theorylab's "
                              "loss (default 10⁻³‖F‖₂, Remark 5.2)")
    command.add_argument("--level", choices=["quick", "full"], default="quick")
    command.add_argument("--seed", type=int, default=0)
    command.add_argument("--skip", default="", metavar="PARTS",
                         help=f"comma-separated parts not to compute: "
                              f"{', '.join(SKIP_NAMES)}")
    command.add_argument("--forward", metavar="PKG.MODULE:FN",
                         help="forward(model, inputs) -> outputs, e.g. for dict batches")
    command.add_argument("--target", metavar="PKG.MODULE:FN",
                         help="target(batch) -> targets (default: the pair's second item or "
                              "the dict's 'labels')")
    command.add_argument("--report", metavar="DIR", default=str(DEFAULT_DIAGNOSIS_DIR),
                         help=f"write diagnosis.json, .md, .html and the figures here "
                              f"(default {DEFAULT_DIAGNOSIS_DIR}/)")
    return command


def load_callable(spec: str, flag: str) -> Any:
    """Import ``pkg.module:name`` and return the attribute (ParameterError if it cannot).

    The working directory is searched first, as ``python -m`` and uvicorn's ``module:app`` do.
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ParameterError(f"{flag} must look like pkg.module:name, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure is the user's bad path
        raise ParameterError(f"{flag} {spec!r}: cannot import {module_name!r}: {exc}") from None
    if not hasattr(module, attribute):
        raise ParameterError(f"{flag} {spec!r}: module {module_name!r} has no {attribute!r}")
    return getattr(module, attribute)


def _call(function: Any, flag: str, spec: str) -> Any:
    """Call a user's factory or loader; its failure is one ParameterError line, no traceback."""
    if not callable(function):
        raise ParameterError(f"{flag} {spec!r} is not callable")
    try:
        return function()
    except Exception as exc:  # the user's code failed: report it, do not crash
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ParameterError(f"{flag} {spec!r} raised {type(exc).__name__}: {first}") from None


def _load_weights(model: Any, path: Path) -> None:
    import torch

    if not path.is_file():
        raise ParameterError(f"--weights {path}: no such file")
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError:
            raise BackendUnavailableError("--weights *.safetensors needs the safetensors "
                                          "package (pip install safetensors)") from None
        state = load_file(str(path))
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # UnpicklingError, RuntimeError, EOFError
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ParameterError(f"--weights {path}: not a weights-only torch file (pickled "
                                 f"objects are refused): {first}") from None
    if not isinstance(state, dict):
        raise ParameterError(f"--weights {path}: expected a state dict, got "
                             f"{type(state).__name__}")
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise ShapeError(f"--weights {path} does not fit the model: {first}") from None


def _user_diagnosis(args: argparse.Namespace, progress: Any) -> Any:
    missing = [flag for flag, value in (("--model", args.model), ("--data", args.data),
                                        ("--lr", args.lr), ("--batch-size", args.batch_size))
               if value is None]
    if missing:
        raise ParameterError(f"diagnose needs {', '.join(missing)} (or --demo)")
    skip = [name.strip() for name in args.skip.split(",") if name.strip()]
    unknown = sorted(set(skip) - set(SKIP_NAMES))
    if unknown:
        raise ParameterError(f"--skip: unknown part(s) {', '.join(unknown)}; choose from "
                             f"{', '.join(SKIP_NAMES)}")
    if not math.isfinite(args.lr) or args.lr <= 0:
        raise ParameterError(f"--lr must be finite and > 0, got {args.lr}")
    if args.batch_size < 1:
        raise ParameterError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.weight_decay is not None and not (math.isfinite(args.weight_decay)
                                              and args.weight_decay > 0):
        raise ParameterError(f"--weight-decay must be finite and > 0, got {args.weight_decay}")
    hooks = {}
    for flag, spec in (("--forward", args.forward), ("--target", args.target)):
        if spec is not None:
            hooks[flag[2:]] = load_callable(spec, flag)
            if not callable(hooks[flag[2:]]):
                raise ParameterError(f"{flag} {spec!r} is not callable")
    model = _call(load_callable(args.model, "--model"), "--model", args.model)
    data = _call(load_callable(args.data, "--data"), "--data", args.data)
    following = (None if args.next_data is None else
                 _call(load_callable(args.next_data, "--next-data"), "--next-data",
                       args.next_data))
    if args.weights is not None:
        _load_weights(model, Path(args.weights))
    from .api import diagnose

    return diagnose(model, data, loss=args.loss, learning_rate=args.lr,
                    batch_size=args.batch_size, level=args.level, seed=args.seed,
                    progress=progress, skip=skip, next_batch=following,
                    weight_decay=args.weight_decay, **hooks)


def check_diagnosis_outputs(folder: Path) -> None:
    """Raise :class:`OutputPathError` unless the report folder and its files can be written."""
    from theorylab.cli_checks import check_output_paths

    from .render import DIAGNOSIS_FILES

    check_output_paths(None, folder)  # the folder exists as one, or can be created
    if not folder.is_dir():
        return
    for target in [*(folder / name for name in DIAGNOSIS_FILES), *folder.glob("figure-*.png")]:
        if target.is_dir():
            raise OutputPathError(f"cannot write {target}: it is a folder")
        if target.exists() and not os.access(target, os.W_OK):
            raise OutputPathError(f"cannot write {target}: permission denied")


def run_diagnose(args: argparse.Namespace, out: Any) -> int:
    """Run ``theorylab diagnose``: bars on stderr, the summary table, JSON/Markdown/HTML."""
    from rich.table import Table

    from .progress import TextProgress

    folder = Path(args.report)
    check_diagnosis_outputs(folder)
    progress = TextProgress(sys.stderr)
    if args.demo:
        from .demo import demo_diagnosis

        out.line("training the demo MLP (64-32-32-1, tanh) on 512 digits, then diagnosing ...")
        diagnosis = demo_diagnosis(seed=args.seed, level=args.level, progress=progress)
    else:
        diagnosis = _user_diagnosis(args, progress)
    from .render import summary_rows, write_diagnosis

    table = Table(title=f"theorylab diagnosis ({diagnosis.seconds:.1f} s)")
    for header in ("paper", "quantity", "value", "uncertainty", "cost"):
        table.add_column(header)
    for row in summary_rows(diagnosis):
        table.add_row(*row)
    if out.rich:
        out.console.print(table)
    else:
        for row in summary_rows(diagnosis):
            out.line(" | ".join(row))
    paths = write_diagnosis(diagnosis, folder)
    out.line(f"diagnosis written: {', '.join(str(path) for path in paths.values())}")
    return 0
