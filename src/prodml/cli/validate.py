"""``prodml validate``: check a batch against a model's contract before it is scored."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from prodml.cli.options import JsonOption, ProjectOption

if TYPE_CHECKING:
    from prodml.data import ValidationResult

_EXAMPLES_SHOWN = 3


def validate(
    source: Annotated[
        str | None,
        typer.Argument(
            help="CSV/Parquet file or Parquet folder to check. Default: the project's data source."
        ),
    ] = None,
    project: ProjectOption = Path("."),
    model: Annotated[
        str, typer.Option("--model", "-m", help="Version number or alias to check against.")
    ] = "champion",
    query: Annotated[
        str | None,
        typer.Option(
            "--query", help="SQL whose result to check, run on --url or the project's data.source."
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="SQLAlchemy URL for --query (default: data.source.url). Keep passwords out of "
            "it: PGPASSWORD or ~/.pgpass work.",
        ),
    ] = None,
    quarantine: Annotated[
        Path | None,
        typer.Option(
            "--quarantine",
            help="Write the rejected rows, with their row number and reason, to this CSV "
            "(or .parquet) file.",
            dir_okay=False,
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Check every row against the model's data contract: ok, repaired (how) or rejected (why).

    Examples:

        prodml validate new_batch.csv

        prodml validate new_batch.csv --model 3 --quarantine rejected.csv

        prodml validate --query "select * from applications where day = current_date" --json

    Repairs follow data.repairs and data.validation in prodml.yaml. Exit code 4 means more rows
    were rejected than data.validation.max_rejected_share allows (the report and the quarantine
    file are still written).
    """
    from prodml.cli.output import emit_json, info
    from prodml.errors import DataRejectedError, UserError
    from prodml.project import Project
    from prodml.spec import SqlSource

    proj = Project(project)
    records: Any
    if query is not None:
        if source is not None:
            raise UserError(
                "give either a FILE or --query, not both", where="--query", fix="drop one of them"
            )
        base = proj.spec.data.source
        sql_url = url or (base.url if isinstance(base, SqlSource) else None)
        if sql_url is None:
            raise UserError(
                "--query needs a database: the project's data.source is a file",
                where="--query",
                fix="pass --url postgresql+psycopg://host/db (or validate a file instead)",
            )
        records = SqlSource(url=sql_url, query=query)
        shown = f"query on {proj.spec.data.source if url is None else 'the --url database'}"
    elif source is not None:
        records = source
        shown = source
    else:
        records = None
        shown = "the project's data source"
    version = proj.store.metadata.resolve(model).version
    result = proj.validate(records, model=model)
    if quarantine is not None:
        written = _write_quarantine(result, quarantine)
        info(f"wrote {written} rejected row{'' if written == 1 else 's'} to {quarantine}")
    if json:
        emit_json({"source": str(shown), "model_version": version, **result.to_dict()})
    else:
        _print(result, version=version, source=str(shown))
    if not result.passed:
        raise DataRejectedError(
            f"{result.n_rejected} of {result.n_rows} rows rejected "
            f"({result.rejected_share:.2%}), above the allowed "
            f"{result.max_rejected_share:.2%}",
            where="data.validation.max_rejected_share",
            fix="fix the rejected rows at the source (--quarantine lists each with its reason), "
            "or relax data.repairs / data.validation in prodml.yaml if the data is right",
        )


def _write_quarantine(result: ValidationResult, path: Path) -> int:
    from prodml.errors import UserError

    frame = result.quarantine()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() in {".parquet", ".pq"}:
            frame.astype({c: str for c in frame.columns if frame[c].dtype == object}).to_parquet(
                path, index=False
            )
        else:
            frame.to_csv(path, index=False)
    except OSError as exc:
        raise UserError(
            f"cannot write the quarantine file: {exc.strerror or exc}",
            where=str(path),
            fix="choose a writable path for --quarantine",
        ) from exc
    return len(frame)


def _print(result: ValidationResult, *, version: int, source: str) -> None:
    from rich.table import Table

    from prodml.cli.output import stdout_console

    console = stdout_console()
    table = Table(title=f"Validation of {source} against model version {version}")
    for name in ("column", "kind", "ok", "missing", "repaired", "rejected", "problems", "examples"):
        table.add_column(
            name, justify="right" if name in {"ok", "missing", "repaired", "rejected"} else "left"
        )
    for column in result.columns.values():
        problems = ", ".join(
            f"{check.replace('_', ' ')} {count}"
            for check, count in column.checks.items()
            if check != "missing"
        )
        examples = "; ".join(
            f"{check.replace('_', ' ')}: {', '.join(values[:_EXAMPLES_SHOWN])}"
            for check, values in column.examples.items()
        )
        table.add_row(
            column.name,
            column.kind,
            f"{column.ok:,}",
            f"{column.missing:,}",
            f"{column.repaired:,}",
            f"{column.rejected:,}",
            problems or ("missing column" if not column.present else "-"),
            examples or "-",
        )
    console.print(table)
    n = result.n_rows
    console.print(
        f"{n:,} rows: {result.n_ok:,} ok, {result.n_repaired:,} repaired, "
        f"{result.n_rejected:,} rejected ({result.rejected_share:.2%})",
        markup=False,
    )
    if result.missing_columns:
        console.print(
            "missing required columns (every row rejected): " + ", ".join(result.missing_columns),
            markup=False,
        )
    if result.extra_columns:
        console.print(
            f"{len(result.extra_columns)} extra columns ignored: "
            + ", ".join(result.extra_columns[:20]),
            markup=False,
        )
    verdict = "PASS" if result.passed else "FAIL"
    console.print(
        f"{verdict}: rejected share {result.rejected_share:.2%}, allowed "
        f"{result.max_rejected_share:.2%} (data.validation.max_rejected_share)",
        markup=False,
    )
