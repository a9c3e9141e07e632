"""``prodml score``: batch scoring, streaming, resumable, on this machine or a Ray cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import JsonOption, ProjectOption


def score(
    source: Annotated[
        str,
        typer.Argument(
            metavar="IN",
            help="CSV or Parquet file, folder of Parquet files, fsspec URL (s3://...), or a "
            "SQLAlchemy URL with --query.",
        ),
    ],
    output: Annotated[
        str,
        typer.Argument(
            metavar="OUT", help="A .parquet or .csv file, or a folder (ending in /) of Parquet."
        ),
    ],
    project: ProjectOption = Path("."),
    model: Annotated[
        str, typer.Option("--model", "-m", help="Version number or alias to score with.")
    ] = "champion",
    engine: Annotated[
        str, typer.Option("--engine", help="local (threads on this machine) or ray.")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Existing Ray cluster (default: start a local one)."),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Rows per batch and per resumable part.")
    ] = 65_536,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Scoring threads (local engine; default: cores)."),
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", help="SQL query to run when IN is a database URL.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing OUT.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Score every row of IN with a registered model and write OUT.

    Each output row has the input position (row), the id column, prediction, probability
    (binary), decision, model_version, status (ok, repaired, rejected), repairs and the reason
    a row was rejected; rejected rows are kept, never dropped. An interrupted run continues
    from the last completed part when started again; OUT appears only once complete.

    Examples:

        prodml score customers.parquet scores.parquet

        prodml score customers.csv scores.csv --model 3

        prodml score s3://bucket/customers/ out/ --engine ray

        prodml score "postgresql+psycopg://me@db/crm" scores.parquet --query "select * from c"
    """
    from prodml.cli.output import emit_json, info
    from prodml.project import Project

    proj = Project(project)
    reference: str | int = int(model) if model.isdigit() else model
    with _progress_bar() as progress:
        summary = proj.score(
            source,
            output,
            model=reference,
            engine=engine,
            ray_address=ray_address,
            batch_size=batch_size,
            workers=workers,
            query=query,
            overwrite=overwrite,
            progress=progress,
            say=info,
        )
    if json:
        emit_json(summary.to_dict())
        return
    resumed = f" ({summary.resumed_rows:,} resumed)" if summary.resumed_rows else ""
    info(
        f"scored {summary.rows:,} rows{resumed} with model version {summary.model_version} "
        f"in {summary.seconds:.1f} s ({summary.rows_per_second:,.0f} rows/s, {summary.engine}): "
        f"{summary.ok:,} ok, {summary.repaired:,} repaired, {summary.rejected:,} rejected "
        f"-> {summary.output}"
    )


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int | None], None] | None]:
    """A bar with rows, rows/s and ETA on a terminal; nothing when stderr is not one."""
    from prodml.cli.output import stderr_console

    console = stderr_console()
    if not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TextColumn("{task.fields[speed]} rows/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("scoring", total=None, speed="-")

        def update(done: int, total: int | None) -> None:
            speed = bar.tasks[0].speed
            bar.update(task, completed=done, total=total, speed=f"{speed:,.0f}" if speed else "-")

        yield update
