"""``prodml explain``: why a registered model scores a record as it does, in words."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prodml.cli.options import JsonOption, ProjectOption

if TYPE_CHECKING:
    from prodml.project import Project

RefArgument = Annotated[
    str, typer.Argument(help="Model version number (3, v3) or alias (champion).")
]


def explain(
    ref: RefArgument = "champion",
    row: Annotated[
        str | None,
        typer.Option("--row", help="The record as a JSON object: '{\"Income\": 80, ...}'."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="A CSV or Parquet file holding the record (with --id/--index)."
        ),
    ] = None,
    id: Annotated[
        str | None,
        typer.Option("--id", help="With --data: the value of data.id_column of the record."),
    ] = None,
    index: Annotated[
        int | None,
        typer.Option("--index", help="With --data: the record's row number, counting from 0."),
    ] = None,
    top: Annotated[int, typer.Option("--top", "-n", help="How many reasons to show.", min=1)] = 5,
    project: ProjectOption = Path("."),
    json: JsonOption = False,
) -> None:
    """Explain one record: the prediction, the decision and the top reasons in plain words.

    Each reason places the record's value among the training data and gives its exact
    contribution to the model's score (log-odds for a yes/no outcome); the base value and all
    contributions add up to the score.

    Examples:

        prodml explain 3 --row '{"Age": 24, "Income": 80, "Home": "rent", "Amount": 1500}'

        prodml explain champion --data applications.csv --id A-1027 --json

        prodml explain --data applications.csv --index 0 --top 8
    """
    from prodml.cli.output import emit_json, info
    from prodml.project import Project

    proj = Project(project)
    record = _record(proj, row=row, data=data, id=id, index=index)
    explanation = proj.explain(ref, record, top=top)
    if json:
        emit_json(explanation.to_dict())
        return
    print(explanation.render())
    if explanation.method == "none":
        info("(the baseline model has no reasons: it scores everyone the same)")


def _record(
    proj: Project, *, row: str | None, data: Path | None, id: str | None, index: int | None
) -> dict[str, Any]:
    from prodml.errors import UserError
    from prodml.explain import parse_row_json

    if (row is None) == (data is None):
        raise UserError(
            "give the record either as --row JSON or as --data FILE with --id or --index",
            where="--row/--data",
            fix="e.g. --row '{\"Income\": 80}' or --data new.csv --index 0",
        )
    if row is not None:
        if id is not None or index is not None:
            raise UserError(
                "--id and --index select a row of --data; they do not apply to --row",
                where="--id/--index",
                fix="drop --id/--index, or give the record with --data FILE",
            )
        return parse_row_json(row, where="--row")
    assert data is not None
    return _row_from_file(proj, data, id=id, index=index)


def _row_from_file(
    proj: Project, path: Path, *, id: str | None, index: int | None
) -> dict[str, Any]:
    from prodml.data import load_source
    from prodml.errors import UserError

    if (id is None) == (index is None):
        raise UserError(
            "with --data, choose the record with exactly one of --id VALUE or --index N",
            where="--id/--index",
            fix="e.g. --data new.csv --index 0",
        )
    frame = load_source(str(path), base_dir=Path.cwd())
    if index is not None:
        if not 0 <= index < len(frame):
            raise UserError(
                f"row {index} does not exist: {path} has {len(frame)} rows",
                where="--index",
                fix=f"give a row number from 0 to {len(frame) - 1}",
            )
        chosen = frame.iloc[index]
    else:
        column = proj.spec.data.id_column
        if column is None:
            raise UserError(
                "--id needs data.id_column in prodml.yaml, which is not set",
                where="--id",
                fix="set data.id_column, or pick the row with --index N",
            )
        if column not in frame.columns:
            raise UserError(
                f"the id column {column!r} is not in {path}",
                where="--id",
                fix=f"use --index N, or a file with a {column} column",
            )
        matches = frame[frame[column].astype(str) == str(id)]
        if matches.empty:
            raise UserError(
                f"no row of {path} has {column} = {id!r}",
                where="--id",
                fix=f"check the value; {column} holds e.g. "
                + ", ".join(map(str, frame[column].head(3))),
            )
        chosen = matches.iloc[0]
    return {str(k): _plain(v) for k, v in chosen.items()}


def _plain(value: Any) -> Any:
    """Python scalars from numpy ones; None for missing values."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value
