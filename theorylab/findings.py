"""Small builders of a check's :class:`~theorylab.spec.Finding`, shared by every paper.

:func:`judged` turns a computed condition into a verdict (never a literal): ``supported``
when it holds, else ``REFUTED``, with a counterexample built only on refutation.
:func:`torch_finding` fills the fields every torch check over trained networks sets.

>>> judged(2 + 2 == 4, "arithmetic").verdict.value
'HOLDS'
>>> judged(False, "x < 0 fails", instance=lambda: {"x": 1}).counterexample.instance
{'x': 1}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from theorylab.spec import Counterexample, Finding, Verdict

if TYPE_CHECKING:
    from theorylab.checks import CheckContext

__all__ = ["judged", "torch_finding"]


def judged(
    holds: bool,
    summary: str,
    *,
    supported: Verdict = Verdict.HOLDS,
    instance: Callable[[], dict[str, Any]] | None = None,
    claimed: Any = None,
    actual: Any = None,
    message: str | None = None,
    **fields: Any,
) -> Finding:
    """``supported`` when ``holds``, else REFUTED; other Finding fields pass through.

    With ``instance``, a refutation carries ``Counterexample(instance(), claimed, actual,
    message)`` (``message`` defaults to ``summary``); ``instance`` is called only then.
    """
    if instance is not None and not holds:
        fields["counterexample"] = Counterexample(
            instance=instance(),
            claimed=claimed,
            actual=actual,
            message=summary if message is None else message,
        )
    return Finding(verdict=supported if holds else Verdict.REFUTED, summary=summary, **fields)


def torch_finding(context: CheckContext, items: Sequence[object], **fields: Any) -> Finding:
    """A torch check's finding over ``items`` (trained nets): backend, device and count set."""
    return Finding(backend="torch", device=context.device, instances=len(items), **fields)
