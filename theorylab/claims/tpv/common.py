"""Pieces shared by several ``tpv.*`` claims of paper 000 (App. D-E checks)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from theorylab.derivations import judge_derivation, labelled
from theorylab.registry import CATALOG, CheckContext
from theorylab.spec import CheckKind, Claim, Convention, DerivationStep, Finding, Level

__all__ = [
    "EFFECTIVE_CURVATURE",
    "EPS",
    "SLOPE_BAND",
    "Z_LIMIT",
    "judged_cases",
    "library_strategy",
    "torch_checks",
]

EPS = float(np.finfo(np.float64).eps)
"""float64 machine epsilon."""
SLOPE_BAND = 0.25
"""Allowed distance of a fitted log-log slope from the stated exponent."""
Z_LIMIT = 4.0
"""Largest accepted |z| of a Monte Carlo mean against its exact value."""

EFFECTIVE_CURVATURE = Convention(
    name="effective curvature", statement=r"$H_{\mathrm{eff}} = J^\top J/n$ on the training set"
)
"""The convention shared by ``tpv.gauss_newton_split`` and ``tpv.sgd_lyapunov``."""


def judged_cases(
    cases: Sequence[tuple],
    derive: Callable[..., list[DerivationStep]],
    label: Callable[..., str],
) -> Finding:
    """Judge ``derive(*case)`` over every case, its steps labelled ``label(*case)``.

    ``label`` is often a bound ``str.format``: ``"n={}, d={}".format``.
    """
    steps: list[DerivationStep] = []
    for case in cases:
        steps.extend(labelled(label(*case), derive(*case)))
    return judge_derivation(steps, cases=len(cases))


def library_strategy(name: str) -> Callable[[], Any]:
    """A builder of ``theorylab.strategies.<name>()``, imported (with hypothesis) on first use."""

    def build() -> Any:
        from theorylab import strategies

        return getattr(strategies, name)()

    return build


def _experiment(path: str) -> Callable[[CheckContext], Finding]:
    """A check calling the function at ``path`` ("package.module.function"), imported late."""
    module, function = path.rsplit(".", 1)

    def run(context: CheckContext) -> Finding:
        return getattr(importlib.import_module(module), function)(context)

    return run


def torch_checks(claim: Claim, package: str, checks: Sequence[tuple[str, str, str]]) -> None:
    """Register TORCH checks of ``claim`` that import torch only when they run.

    Each entry is ``(check name, "module.function" inside package, description)``; the check
    calls that experiment function with its context. Registered in the given order.
    """
    for name, experiment, description in checks:
        CATALOG.check(
            claim,
            kind=CheckKind.TORCH,
            description=description,
            levels=(Level.QUICK, Level.FULL),
            name=name,
        )(_experiment(f"{package}.{experiment}"))
