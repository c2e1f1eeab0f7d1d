"""Trained networks of paper 001's torch experiments, as the checks read them.

Shared by ``awd.empirical_alpha`` (Table 1, Sec. 5.3) and ``awd.alpha_bounds`` (Theorem 5.1 on
trained layers). The experiments themselves (:mod:`.empirical_alpha.seeds`) need torch and
are imported when a check runs.
"""

from __future__ import annotations

from typing import Any

from theorylab.registry import CheckContext

__all__ = ["all_rows", "seeded_rows", "setting_label", "trained_rows"]


def seeded_rows(context: CheckContext) -> tuple[Any, ...]:
    """Trained (near-minimum) settings over their training seeds; checkpoints excluded."""
    from theorylab.claims.awd.empirical_alpha.seeds import run_table

    table = run_table(context.full, context.seed, context.device, context.sweep)
    return tuple(row for row in table if not row.setting.checkpoint)


def all_rows(context: CheckContext) -> tuple[Any, ...]:
    """The first training seed's (``context.seed``) network of every setting."""
    from theorylab.claims.awd.empirical_alpha.seeds import run_table

    table = run_table(context.full, context.seed, context.device, context.sweep)
    return tuple(row.runs[0] for row in table)


def trained_rows(context: CheckContext) -> tuple[Any, ...]:
    """The trained (near-minimum) settings; early checkpoints are outside the claim."""
    return tuple(row for row in all_rows(context) if not row.setting.checkpoint)


def setting_label(row: Any) -> str:
    """``data/model/loss`` of the row's setting (``@<steps>steps`` for a checkpoint)."""
    setting = row.setting
    suffix = f"@{setting.steps}steps" if setting.checkpoint else ""
    return f"{setting.data}/{setting.model}/{setting.loss}{suffix}"
