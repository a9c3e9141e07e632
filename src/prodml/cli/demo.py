"""``prodml demo``: the full lifecycle on the bundled credit example (what ``make demo`` runs)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="New or empty folder for the demo's project (kept). Default: a new temporary one.",
        file_okay=False,
    ),
]
SeedOption = Annotated[int, typer.Option(help="Seed of the simulated traffic.")]
ApplicationsOption = Annotated[
    int,
    typer.Option(
        "--applications", min=200, max=100_000, help="Simulated applications per round of traffic."
    ),
]


def demo(
    directory: DirOption = None, seed: SeedOption = 7, applications: ApplicationsOption = 1500
) -> None:
    """Train, serve, drift, monitor and maintain a credit model, start to finish, in minutes.

    In a new project folder (kept afterwards), the demo trains the bundled credit example,
    starts prodml serve on a free local port, replays held-back applications as SIMULATED
    production traffic with growing drift (income inflation, a new job category), sends their
    true outcomes back late as feedback, runs monitoring (alerts fire), and ends with a summary
    and the paths of the model report and the monitoring dashboard. The server is always
    stopped at the end, also on Ctrl-C.

    Examples:

        prodml demo

        prodml demo --dir demo-project       # keep the project where you want it
    """
    import tempfile

    from prodml.cli.output import stdout_console
    from prodml.demo import DemoSettings, Narrator, run_demo

    root = directory if directory is not None else Path(tempfile.mkdtemp(prefix="prodml-demo-"))
    narrator = Narrator(stdout_console())
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        run_demo(root, DemoSettings(seed=seed, applications=applications), narrator)
    except KeyboardInterrupt:
        narrator.say(f"interrupted: the server is stopped; the project so far is in {root}")
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a container stop, kill) ends the demo like Ctrl-C: the server is stopped too."""
    raise KeyboardInterrupt
