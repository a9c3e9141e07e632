"""``prodml feedback``: ground truth that arrives after the decision."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import JsonOption, ProjectOption


def feedback(
    source: Annotated[str, typer.Argument(help="CSV or Parquet file with ids and outcomes.")],
    id_column: Annotated[
        str, typer.Option("--id-column", help="Column holding the entity or prediction id.")
    ],
    label_column: Annotated[
        str | None,
        typer.Option("--label-column", help="Column holding the outcome (default: the target)."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="entity (the project's id column, default) or prediction (prediction_id).",
        ),
    ] = None,
    project: ProjectOption = Path("."),
    json: JsonOption = False,
) -> None:
    """Record observed outcomes; monitoring joins them to the logged decisions.

    Examples:

        prodml feedback labels.csv --id-column application_id

        prodml feedback outcomes.parquet --id-column prediction_id --label-column defaulted
    """
    from dataclasses import asdict

    from prodml.cli.output import emit_json, info
    from prodml.errors import UserError
    from prodml.project import Project

    if by not in (None, "entity", "prediction"):
        raise UserError(f"unknown --by {by!r}", where="--by", fix="use entity or prediction")
    receipt = Project(project).feedback(
        source,
        id_column=id_column,
        label_column=label_column,
        by=by,  # type: ignore[arg-type]
    )
    if json:
        emit_json(asdict(receipt))
        return
    info(
        f"recorded {receipt.written:,} labels (joined by {receipt.by} id from "
        f"{receipt.id_column!r}, outcome from {receipt.label_column!r})"
        + (
            f"; skipped {receipt.skipped:,} rows without an id or outcome"
            if receipt.skipped
            else ""
        )
    )
