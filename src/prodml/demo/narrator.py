"""The demo's voice on the terminal: chapters, plain sentences, tables, and a clear mark on
everything simulated.

Everything the demo invents (applications, their outcomes, the drift) is printed behind a
``SIMULATED`` tag, so a newcomer never mistakes the story's traffic for real data. Each chapter
line carries the elapsed time, which is how the three-minute budget is checked by eye.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

__all__ = ["Narrator"]


class Narrator:
    """Writes the story to a rich console (stdout by default)."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console

        self.console = console or Console(highlight=False, soft_wrap=True)
        self.started = time.perf_counter()
        self.chapters = 0

    @property
    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started

    def chapter(self, title: str) -> None:
        from rich.rule import Rule

        self.chapters += 1
        self.console.print()
        self.console.print(
            Rule(
                f"[bold]{self.chapters}. {title}[/]  [dim]{self.elapsed_s:5.0f} s[/]", align="left"
            )
        )

    def say(self, text: str) -> None:
        self.console.print(text, markup=False)

    def note(self, text: str) -> None:
        """A secondary line (paths, settings): dimmed."""
        self.console.print(text, style="dim", markup=False)

    def simulated(self, text: str) -> None:
        """A line about invented data, tagged so it cannot be read as real."""
        from rich.text import Text

        line = Text("SIMULATED ", style="bold black on yellow")
        line.append(" " + text)
        self.console.print(line)

    def alert(self, severity: str, text: str) -> None:
        style = {"critical": "bold red", "warning": "yellow"}.get(severity, "cyan")
        self.console.print(f"ALERT [{severity}] {text}", style=style, markup=False)

    def table(
        self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = ""
    ) -> None:
        from rich.table import Table

        table = Table(title=title, caption=caption or None, title_justify="left")
        for column in columns:
            table.add_column(column, justify="left" if column == columns[0] else "right")
        for row in rows:
            table.add_row(*(str(cell) for cell in row))
        self.console.print(table)
