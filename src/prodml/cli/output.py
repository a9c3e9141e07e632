"""Where output goes: data to stdout, messages and progress to stderr (clig.dev)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["emit_json", "error", "info", "progress", "stderr_console", "stdout_console"]


def stdout_console() -> Any:
    """Tables fit the terminal; piped into a file or a pager they are not squeezed to 80."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, soft_wrap=True, width=160)
    return console


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def info(message: str) -> None:
    stderr_console().print(message, markup=False)


def error(message: str) -> None:
    stderr_console().print(f"error: {message}", style="bold red", markup=False)


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


@contextmanager
def progress() -> Iterator[Callable[[str], None]]:
    """A spinner with the current step on a terminal; plain step lines otherwise."""
    console = stderr_console()
    if console.is_terminal:
        with console.status("starting") as status:
            yield lambda message: status.update(message)
    else:
        yield lambda message: console.print(f"· {message}", markup=False)
