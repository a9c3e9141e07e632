"""``prodml init``: scaffold a project file from a data file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new project (created).")],
    data: Annotated[Path, typer.Option("--data", "-d", help="CSV or Parquet training data.")],
    target: Annotated[str, typer.Option("--target", "-t", help="Column to predict.")],
    positive: Annotated[
        str | None, typer.Option("--positive", help="Target value that means the event.")
    ] = None,
    task: Annotated[
        str | None, typer.Option("--task", help="binary or regression (guessed if omitted).")
    ] = None,
    decision: Annotated[
        str | None, typer.Option("--decision", help="The decision the model informs.")
    ] = None,
    value: Annotated[
        list[str] | None,
        typer.Option(
            "--value",
            help="Value of an outcome, once per outcome: tp=0, fp=-0.1*Amount, ... "
            "(binary) or over=-1, under=-3 (regression).",
        ),
    ] = None,
    unit: Annotated[str, typer.Option("--unit", help="Unit of value, e.g. EUR.")] = "value",
    force: Annotated[bool, typer.Option("--force", help="Overwrite prodml.yaml.")] = False,
) -> None:
    """Look at the data and write a commented prodml.yaml to complete.

    Examples:

        prodml init my-project --data loans.csv --target Status --positive bad

        prodml init my-project --data loans.csv --target Status --positive bad
        --decision "approve or decline the loan" --value tp=0 --value fp="-0.1*Amount"
        --value fn="-Amount" --value tn="0.1*Amount"
    """
    from prodml.cli.output import info
    from prodml.scaffold import init_project, parse_value_options

    result = init_project(
        directory,
        data=data,
        target=target,
        positive=positive,
        task=task,
        decision=decision,
        values=parse_value_options(value or []),
        unit=unit,
        force=force,
    )
    summary = f"wrote {result.path} ({result.task}"
    summary += f", positive class {result.positive!r})" if result.positive else ")"
    info(summary)
    if result.id_column:
        info(f"  id column: {result.id_column}")
    if result.time_column:
        info(f"  time column: {result.time_column} (time-ordered splits)")
    if result.missing:
        info("before `prodml train`, fill in:")
        for item in result.missing:
            info(f"  - {item}")
    else:
        info(f"ready: prodml train -p {directory}")
