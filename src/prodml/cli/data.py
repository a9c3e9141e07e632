"""``prodml data``: the stored training-data snapshots, compared and hashed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from prodml.cli.options import JsonOption, ProjectOption

app = typer.Typer(
    help="Data versions: the snapshots training stored, what used them, how they differ.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
HashArgument = Annotated[
    str, typer.Argument(help="Snapshot hash or unique prefix (4+ hex digits).")
]
_PREVIEW_LEVELS = 5


@app.command("list")
def list_(project: ProjectOption = Path("."), json: JsonOption = False) -> None:
    """List the data snapshots, newest first, with the runs and model versions that used them.

    Examples:

        prodml data list

        prodml data list --json
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.project import Project

    infos = Project(project).datasets()
    if json:
        emit_json([info.to_dict() for info in infos])
        return
    from rich.table import Table

    table = Table(title="Data snapshots")
    for heading in ("hash", "rows", "columns", "created", "runs", "versions", "source"):
        table.add_column(heading, justify="right" if heading in {"rows", "columns"} else "left")
    for info in infos:
        record = info.record
        table.add_row(
            record.hash[:12],
            f"{record.rows:,}",
            str(record.n_columns),
            record.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            ", ".join(map(str, info.runs)) or "-",
            ", ".join(map(str, info.versions)) or "-",
            record.source,
        )
    stdout_console().print(table)


@app.command("show")
def show(ref: HashArgument, project: ProjectOption = Path("."), json: JsonOption = False) -> None:
    """Show one snapshot: where it came from, what used it, and a profile of every column.

    Examples:

        prodml data show 3f2a

        prodml data show 3f2a9c01 --json
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.data import infer_contract, infer_kinds
    from prodml.project import Project

    proj = Project(project)
    info = proj.dataset(ref)
    frame = proj.dataset_frame(info.hash)
    contract = infer_contract(frame, infer_kinds(frame))
    if json:
        emit_json({**info.to_dict(), "profile": contract.to_dict()["columns"]})
        return
    from rich.table import Table

    record = info.record
    console = stdout_console()
    console.print(
        f"snapshot {record.hash}\n  {record.rows:,} rows, {record.n_columns} columns, stored "
        f"{record.created_at:%Y-%m-%d %H:%M:%S} UTC\n  source: {record.source}\n"
        f"  runs: {', '.join(map(str, info.runs)) or '-'}; model versions: "
        f"{', '.join(map(str, info.versions)) or '-'}",
        markup=False,
    )
    table = Table(title="Columns")
    for heading in ("column", "type", "kind", "missing", "distinct", "range / top levels"):
        table.add_column(heading)
    for column in contract.columns.values():
        if column.min is not None and column.max is not None:
            median = (column.quantiles or {}).get("0.5")
            summary = f"{column.min:,.6g} .. {column.max:,.6g}" + (
                f" (median {median:,.6g})" if median is not None else ""
            )
        elif column.categories:
            summary = ", ".join(list(column.categories)[:_PREVIEW_LEVELS])
        elif column.earliest:
            summary = f"{column.earliest} .. {column.latest}"
        else:
            summary = "-"
        table.add_row(
            column.name,
            record.columns.get(column.name, column.dtype),
            column.kind,
            f"{column.missing_rate:.1%}",
            f"{column.n_unique:,}",
            summary,
        )
    console.print(table)


@app.command("diff")
def diff(
    a: HashArgument, b: HashArgument, project: ProjectOption = Path("."), json: JsonOption = False
) -> None:
    """Compare two snapshots: columns added, removed or retyped, and per-column shift.

    Examples:

        prodml data diff 3f2a 9c01

    Shift is the population stability index (PSI; under 0.1 stable, 0.1-0.25 moderate, over
    0.25 major) for every column, and the Kolmogorov-Smirnov distance for numbers.
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.project import Project

    result = Project(project).diff_datasets(a, b)
    if json:
        emit_json(result.to_dict())
        return
    from rich.table import Table

    console = stdout_console()
    console.print(
        f"{result.a[:12]} -> {result.b[:12]}: rows {result.rows_a:,} -> {result.rows_b:,}",
        markup=False,
    )
    for label, columns in (("added", result.added), ("removed", result.removed)):
        for name, kind in columns.items():
            console.print(f"  {label}: {name} ({kind})", markup=False)
    for name, (old, new) in result.retyped.items():
        console.print(f"  retyped: {name} {old} -> {new}", markup=False)
    table = Table(title="Shift per column (A -> B)")
    for column in (
        "column",
        "kind",
        "PSI",
        "shift",
        "KS",
        "missing A -> B",
        "mean A -> B",
        "levels",
    ):
        table.add_column(column)
    for shift in sorted(result.shifts, key=lambda s: -s.psi):
        mean = (
            f"{shift.mean_a:,.4g} -> {shift.mean_b:,.4g}"
            if shift.mean_a is not None and shift.mean_b is not None
            else "-"
        )
        levels = "; ".join(
            part
            for part in (
                f"new: {', '.join(shift.new_levels)}" if shift.new_levels else "",
                f"gone: {', '.join(shift.gone_levels)}" if shift.gone_levels else "",
            )
            if part
        )
        table.add_row(
            shift.name,
            shift.kind,
            f"{shift.psi:.3f}",
            shift.verdict,
            "-" if shift.ks is None else f"{shift.ks:.3f}",
            f"{shift.missing_a:.1%} -> {shift.missing_b:.1%}",
            mean,
            levels or "-",
        )
    console.print(table)


@app.command("hash")
def hash_(
    source: Annotated[
        str | None,
        typer.Argument(help="CSV/Parquet file or Parquet folder. Default: the project's source."),
    ] = None,
    project: ProjectOption = Path("."),
    json: JsonOption = False,
) -> None:
    """Hash a data file as training would, streaming it, and say which runs trained on it.

    Examples:

        prodml data hash new_export.parquet

    The hash ignores row order, column order and file format: the same table as CSV or Parquet,
    shuffled, hashes the same. Files are read batch by batch, so any size fits in memory.
    """
    from prodml.cli.output import emit_json, stdout_console
    from prodml.project import Project

    proj = Project(project)
    digest = proj.hash_data(source)
    used = [info for info in proj.datasets() if info.hash == digest.hash]
    if json:
        emit_json(
            {
                "hash": digest.hash,
                "rows": digest.rows,
                "columns": digest.columns,
                "stored": bool(used),
                "runs": used[0].runs if used else [],
                "versions": used[0].versions if used else [],
            }
        )
        return
    console = stdout_console()
    console.print(
        f"{digest.hash}  {digest.rows:,} rows, {len(digest.columns)} columns", markup=False
    )
    if used:
        info = used[0]
        console.print(
            f"  stored snapshot: runs {', '.join(map(str, info.runs)) or '-'}, model versions "
            f"{', '.join(map(str, info.versions)) or '-'}",
            markup=False,
        )
    else:
        console.print(
            "  no stored snapshot has this hash: no model was trained on it", markup=False
        )
