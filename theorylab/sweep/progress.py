"""A live bar over a sweep's cells, with elapsed time and ETA, on stderr when it is a terminal."""

from __future__ import annotations

from typing import Any

__all__ = ["CellProgress"]


class CellProgress:
    """Context manager: ``advance()`` once per finished cell; silent when not on a terminal.

    Parameters
    ----------
    description
        Text before the bar (the sweep's name).
    total
        Number of distinct cells.
    completed
        Cells already in the store (a resumed run starts the bar there).
    enabled
        ``False`` turns the bar off everywhere.
    """

    def __init__(self, description: str, total: int, completed: int, enabled: bool) -> None:
        self.description = description
        self.total = total
        self.completed = completed
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> CellProgress:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        if not console.is_terminal:
            return self
        self._progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(
            self.description, total=self.total, completed=self.completed
        )
        return self

    def advance(self) -> None:
        """One more cell finished."""
        if self._progress is not None:
            self._progress.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
